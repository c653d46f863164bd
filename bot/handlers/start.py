"""/start and /language: choosing the language, the privacy notice, the menu."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.handlers.registry import Handlers
from bot.services.citizens import CitizenService
from bot.ui import citizen_texts, keyboards, shared_texts
from bot.ui.callbacks import AcceptNotice, LanguageChoice

router = Handlers(name="start")


@router.message(CommandStart())
@router.message(Command("language"))
async def choose_language(message: Message) -> None:
    await message.answer(
        citizen_texts.language_prompt(), reply_markup=keyboards.language_keyboard()
    )


@router.callback_query(LanguageChoice.filter())
async def language_chosen(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: LanguageChoice,
    session: AsyncSession,
    content: ContentLibrary,
    settings: Settings,
    i18n: I18n,
) -> None:
    if callback_data.code not in shared_texts.LANGUAGE_NAMES or query.message is None:
        await query.answer(citizen_texts.stale_button())
        return
    citizen = await CitizenService(session).choose_language(query.from_user.id, callback_data.code)
    with i18n.use_locale(callback_data.code):
        await query.answer(_("Done: the bot will write in this language."))
        if callback_data.switch:
            await query.message.answer(_("Done: the bot will write in this language."))
            return
        if citizen.consent_at is None:
            # Consent is the citizen's own act: the button, not the language.
            await query.message.answer(
                citizen_texts.privacy_notice(settings.message_log_days),
                reply_markup=keyboards.notice_keyboard(),
            )
            return
        await query.message.answer(citizen_texts.privacy_notice(settings.message_log_days))
        await query.message.answer(
            citizen_texts.welcome() + "\n\n" + citizen_texts.menu_prompt(),
            reply_markup=keyboards.main_menu_keyboard(
                content, citizen.language or callback_data.code
            ),
        )


@router.callback_query(AcceptNotice.filter())
async def notice_accepted(
    query: CallbackQuery, session: AsyncSession, content: ContentLibrary, i18n: I18n
) -> None:
    citizen, first = await CitizenService(session).accept_notice(query.from_user.id)
    lang = citizen.language or i18n.current_locale
    with i18n.use_locale(lang):
        await query.answer(_("Thank you."))
        if query.message is None:
            return
        if isinstance(query.message, Message):
            with contextlib.suppress(TelegramBadRequest):
                await query.message.edit_reply_markup(reply_markup=None)
        if first:
            await query.message.answer(
                citizen_texts.welcome() + "\n\n" + citizen_texts.menu_prompt(),
                reply_markup=keyboards.main_menu_keyboard(content, lang),
            )
