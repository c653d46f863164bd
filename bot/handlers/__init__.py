"""Routers: one per feature. Chat-type filters sit on the parent router; the
free-text NLU router comes last, and a catch-all for stale buttons after it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.handlers import commands, feedback, free_text, media, menu, person, stale, start


def build_router() -> Router:
    private = Router(name="private")
    private.message.filter(F.chat.type == ChatType.PRIVATE)
    private.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    private.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    private.include_routers(
        *(
            feature.router.build()
            for feature in (start, commands, menu, feedback, person, media, free_text, stale)
        )
    )
    root = Router(name="root")
    root.include_router(private)
    return root
