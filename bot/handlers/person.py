"""'Talk to a person': /human and the button.

With a staff group configured, a case opens (or the open one is found) and the
citizen is told what happens next. Without one, the citizen is told honestly
where people are: the advisory center."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import Citizen
from bot.desk import CaseDesk
from bot.handlers.registry import Handlers
from bot.services.cases import REQUEST_HUMAN_INTENT, OpenedVia
from bot.services.citizens import CitizenService
from bot.services.memory import ChatMemory
from bot.services.routes import Route
from bot.ui import citizen_texts
from bot.ui.callbacks import TalkToPerson

router = Handlers(name="person")


async def _offer(
    message: Message | InaccessibleMessage,
    citizen: Citizen | None,
    content: ContentLibrary,
    lang: str,
) -> None:
    region = content.resources.regions.get(citizen.region or "") if citizen else None
    await message.answer(citizen_texts.person_unavailable(region, lang))


async def _connect(  # noqa: PLR0913 - aiogram injects each dependency by name
    chat_id: int,
    intent: str,
    *,
    desk: CaseDesk,
    bot: Bot,
    session: AsyncSession,
    citizen: Citizen | None,
    content: ContentLibrary,
    memory: ChatMemory,
    lang: str,
) -> None:
    if citizen is None:
        citizen = await CitizenService(session).get_or_create(chat_id)
    # The intent of the answer the button was under sets the priority; a plain
    # request for a person is the lowest.
    route = content.taxonomy.route_of(intent) if intent else Route.ESCALATE
    await desk.open_case(
        bot,
        session,
        citizen,
        lang=citizen.language or lang,
        route=route,
        intent=intent or REQUEST_HUMAN_INTENT,
        recent=await memory.recent(chat_id),
        # The button under an answer is the counselor's offer accepted; /human a request.
        via=OpenedVia.OFFER if intent else OpenedVia.REQUEST,
    )


@router.message(Command("human"))
async def human_command(  # noqa: PLR0913 - aiogram injects each dependency by name
    message: Message,
    citizen: Citizen | None,
    content: ContentLibrary,
    i18n: I18n,
    bot: Bot,
    session: AsyncSession,
    memory: ChatMemory,
    desk: CaseDesk | None = None,
) -> None:
    if desk is None:
        await _offer(message, citizen, content, i18n.current_locale)
        return
    await _connect(
        message.chat.id,
        "",
        desk=desk,
        bot=bot,
        session=session,
        citizen=citizen,
        content=content,
        memory=memory,
        lang=i18n.current_locale,
    )


@router.callback_query(TalkToPerson.filter())
async def talk_pressed(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: TalkToPerson,
    citizen: Citizen | None,
    content: ContentLibrary,
    i18n: I18n,
    bot: Bot,
    session: AsyncSession,
    memory: ChatMemory,
    desk: CaseDesk | None = None,
) -> None:
    await query.answer()
    if query.message is None:
        return
    if desk is None:
        await _offer(query.message, citizen, content, i18n.current_locale)
        return
    intent = callback_data.intent if callback_data.intent in content.taxonomy.intents else ""
    await _connect(
        query.message.chat.id,
        intent,
        desk=desk,
        bot=bot,
        session=session,
        citizen=citizen,
        content=content,
        memory=memory,
        lang=i18n.current_locale,
    )
