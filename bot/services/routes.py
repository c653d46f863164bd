"""Route lives in `bot.domain`; kept for bot/handlers/{free_text,case_relay,person}.py."""

from __future__ import annotations

from bot.domain import Route

__all__ = ["Route"]
