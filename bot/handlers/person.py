"""'Talk to a person': /human and the button.

Counselors will answer from the staff group (a later capability); until then
the citizen is told honestly where people are: the advisory center."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.i18n import I18n

from bot.content.library import ContentLibrary
from bot.db.models import Citizen
from bot.handlers.registry import Handlers
from bot.ui import texts
from bot.ui.callbacks import TalkToPerson

router = Handlers(name="person")


async def _offer(
    message: Message | InaccessibleMessage,
    citizen: Citizen | None,
    content: ContentLibrary,
    lang: str,
) -> None:
    region = content.resources.regions.get(citizen.region or "") if citizen else None
    await message.answer(texts.person_unavailable(region, lang))


@router.message(Command("human"))
async def human_command(
    message: Message, citizen: Citizen | None, content: ContentLibrary, i18n: I18n
) -> None:
    await _offer(message, citizen, content, i18n.current_locale)


@router.callback_query(TalkToPerson.filter())
async def talk_pressed(
    query: CallbackQuery, citizen: Citizen | None, content: ContentLibrary, i18n: I18n
) -> None:
    await query.answer()
    if query.message is not None:
        await _offer(query.message, citizen, content, i18n.current_locale)
