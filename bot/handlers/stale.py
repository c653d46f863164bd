"""Buttons that no handler recognises: outdated or forged callback data."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.handlers.registry import Handlers

router = Handlers(name="stale")


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active. Please open /menu."))
