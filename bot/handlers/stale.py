"""Buttons that no handler recognises: outdated or forged callback data."""

from __future__ import annotations

from aiogram.types import CallbackQuery

from bot.handlers.registry import Handlers
from bot.ui import citizen_texts

router = Handlers(name="stale")


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(citizen_texts.stale_button())
