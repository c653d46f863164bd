"""Everything that is not text: a polite reply, never a crash."""

from __future__ import annotations

from aiogram import F
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.registry import Handlers

router = Handlers(name="media")


@router.edited_message()
async def edited(message: Message) -> None:
    await message.answer(
        _("I answer new messages only. Please send your corrected question as a new message.")
    )


@router.message(F.voice | F.video_note | F.audio)
async def voice(message: Message) -> None:
    await message.answer(
        _("I cannot listen to voice or video messages yet. Please write your question in text.")
    )


@router.message(F.location | F.venue)
async def location(message: Message) -> None:
    await message.answer(
        _(
            "Thank you, but I do not need your location. To see the offices of your "
            "region, use /resources."
        )
    )


@router.message(F.contact)
async def contact(message: Message) -> None:
    await message.answer(
        _("Please do not send contacts or personal data here; I do not need them to help you.")
    )


@router.message(~F.text)
async def other(message: Message) -> None:
    await message.answer(
        _(
            "I can only read text. Please describe your question in words; "
            "if it is about a picture or a file, tell me what is in it."
        )
    )
