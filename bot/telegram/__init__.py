"""Talking to Telegram within its limits."""
