"""Rendering for Telegram: callback data, keyboards and interface texts."""
