"""Routers: one per feature. Chat-type filters sit on the parent router; the
free-text NLU router comes last, and a catch-all for stale buttons after it.
A citizen with an open case is relayed to the counselors before the media and
free-text routers; the staff group has its own parent router."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.handlers import (
    case_relay,
    commands,
    feedback,
    free_text,
    media,
    menu,
    person,
    stale,
    start,
)
from bot.handlers.staff import build_staff_router


def build_router() -> Router:
    private = Router(name="private")
    private.message.filter(F.chat.type == ChatType.PRIVATE)
    private.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    private.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    private.message.outer_middleware(case_relay.HandoffMiddleware())
    private.callback_query.outer_middleware(case_relay.HandoffMiddleware())
    private.include_routers(
        *(
            feature.router.build()
            for feature in (
                start,
                commands,
                menu,
                feedback,
                person,
                case_relay,
                media,
                free_text,
                stale,
            )
        )
    )
    root = Router(name="root")
    root.include_routers(private, build_staff_router())
    return root
