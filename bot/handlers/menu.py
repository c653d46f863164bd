"""/menu: categories, then questions, then the same answers as free text gives."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import Citizen
from bot.desk.handoff import Handoff
from bot.handlers.registry import Handlers
from bot.handlers.replies import send_outcome
from bot.services.citizens import CitizenService
from bot.services.conversation import ConversationService
from bot.services.routing import MessageRouter
from bot.ui import citizen_texts, keyboards
from bot.ui.callbacks import Emergency, MenuOpen, Topic

router = Handlers(name="menu")


@router.message(Command("menu"))
async def show_menu(
    message: Message, citizen: Citizen | None, content: ContentLibrary, i18n: I18n
) -> None:
    lang = citizen.language if citizen and citizen.language else i18n.current_locale
    await message.answer(
        citizen_texts.menu_prompt(), reply_markup=keyboards.main_menu_keyboard(content, lang)
    )


@router.callback_query(MenuOpen.filter())
async def open_menu(
    query: CallbackQuery,
    callback_data: MenuOpen,
    citizen: Citizen | None,
    content: ContentLibrary,
    i18n: I18n,
) -> None:
    lang = citizen.language if citizen and citizen.language else i18n.current_locale
    await query.answer()
    if query.message is None:
        return
    if not callback_data.category:
        await query.message.answer(
            citizen_texts.menu_prompt(), reply_markup=keyboards.main_menu_keyboard(content, lang)
        )
        return
    category = content.menu.category(callback_data.category)
    if category is None:
        await query.message.answer(
            citizen_texts.stale_button(),
            reply_markup=keyboards.main_menu_keyboard(content, lang),
        )
        return
    await query.message.answer(
        citizen_texts.category_prompt(category.title.get(lang, category.id)),
        reply_markup=keyboards.category_keyboard(content, category.id, lang),
    )


@router.callback_query(Topic.filter())
async def open_topic(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: Topic,
    session: AsyncSession,
    citizen: Citizen | None,
    content: ContentLibrary,
    routing: MessageRouter,
    i18n: I18n,
    settings: Settings,
    handoff: Handoff | None = None,
) -> None:
    if query.message is None:
        await query.answer()
        return
    if citizen is None:
        citizen = await CitizenService(session).get_or_create(query.from_user.id)
    lang = citizen.language or i18n.current_locale
    service = ConversationService(session, routing, content.answers, content.resources)
    outcome = await service.answer_topic(citizen, callback_data.intent, lang)
    if outcome is None:
        await query.answer(citizen_texts.stale_button())
        return
    await query.answer()
    await send_outcome(
        query.message,
        outcome,
        content,
        lang,
        privacy_days=settings.message_log_days,
        consented=citizen.consent_at is not None,
        handoff=handoff,
    )


@router.callback_query(Emergency.filter())
async def show_emergency_numbers(
    query: CallbackQuery,
    callback_data: Emergency,
    citizen: Citizen | None,
    content: ContentLibrary,
    i18n: I18n,
) -> None:
    await query.answer()
    if query.message is None:
        return
    lang = citizen.language if citizen and citizen.language else i18n.current_locale
    situation = callback_data.situation or None
    await query.message.answer(citizen_texts.emergency_block(content, lang, situation))
