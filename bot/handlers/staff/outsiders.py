"""Anyone in the staff group who is not on the staff: refused politely, and
nothing of theirs reaches a citizen (no handler here relays)."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, Message

from bot.handlers.registry import Handlers
from bot.handlers.staff.filters import InCaseTopic
from bot.ui import staff_texts

router = Handlers(name="staff_outsiders")


@router.callback_query()
async def refuse_button(query: CallbackQuery) -> None:
    await query.answer(staff_texts.outsider_refusal(), show_alert=True)


@router.message(F.text.startswith("/"))
@router.message(InCaseTopic())
async def refuse_message(message: Message) -> None:
    await message.reply(staff_texts.outsider_refusal())
