"""/help, /privacy, /resources and /forget."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.content.resources import Region
from bot.db.models import Citizen
from bot.desk import CaseDesk
from bot.handlers.registry import Handlers
from bot.services.citizens import CitizenService
from bot.services.forget import ForgetService
from bot.services.memory import ChatMemory
from bot.ui import citizen_texts, keyboards, shared_texts
from bot.ui.callbacks import ForgetConfirm, RegionChoice

router = Handlers(name="commands")


def _lang(citizen: Citizen | None, locale: str) -> str:
    return citizen.language if citizen is not None and citizen.language else locale


@router.message(Command("help"))
async def show_help(message: Message) -> None:
    await message.answer(citizen_texts.help_text())


@router.message(Command("privacy"))
async def show_privacy(message: Message, settings: Settings, citizen: Citizen | None) -> None:
    consented = citizen is not None and citizen.consent_at is not None
    await message.answer(
        citizen_texts.privacy_notice(settings.message_log_days),
        reply_markup=None if consented else keyboards.notice_keyboard(),
    )


def _region_reply(
    content: ContentLibrary, region: Region, lang: str, *, whole: bool, counselors: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The region's offices (`whole`: with the national resources), and a way to a
    specialist where their contacts are missing and counselors work here."""
    if whole:
        text = citizen_texts.resources_text(content, region, lang, counselors=counselors)
    else:
        text = shared_texts.region_block(region, lang, counselors=counselors)
    offer = counselors and shared_texts.contacts_missing(region)
    return text, keyboards.person_keyboard() if offer else None


@router.message(Command("resources"))
async def show_resources(
    message: Message,
    citizen: Citizen | None,
    content: ContentLibrary,
    i18n: I18n,
    desk: CaseDesk | None = None,
) -> None:
    lang = _lang(citizen, i18n.current_locale)
    region = content.resources.regions.get(citizen.region or "") if citizen else None
    if region is None:
        await message.answer(
            citizen_texts.region_prompt(), reply_markup=keyboards.region_keyboard(content, lang)
        )
        return
    text, markup = _region_reply(content, region, lang, whole=True, counselors=desk is not None)
    await message.answer(text, reply_markup=markup)


@router.callback_query(RegionChoice.filter())
async def region_chosen(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: RegionChoice,
    session: AsyncSession,
    content: ContentLibrary,
    i18n: I18n,
    desk: CaseDesk | None = None,
) -> None:
    region = content.resources.regions.get(callback_data.region)
    if region is None or query.message is None:
        await query.answer(citizen_texts.stale_button())
        return
    service = CitizenService(session)
    citizen = await service.get_or_create(query.from_user.id)
    await service.set_region(citizen, region.id)
    lang = _lang(citizen, i18n.current_locale)
    await query.answer()
    text, markup = _region_reply(
        content, region, lang, whole=not callback_data.intent, counselors=desk is not None
    )
    await query.message.answer(text, reply_markup=markup)


@router.message(Command("forget"))
async def ask_forget(message: Message) -> None:
    await message.answer(citizen_texts.forget_prompt(), reply_markup=keyboards.forget_keyboard())


@router.callback_query(ForgetConfirm.filter())
async def forget_confirmed(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: ForgetConfirm,
    session: AsyncSession,
    memory: ChatMemory,
    bot: Bot,
    desk: CaseDesk | None = None,
) -> None:
    await query.answer()
    if query.message is None:
        return
    if not callback_data.confirmed:
        await query.message.answer(_("Nothing was deleted."))
        return
    forgotten = await ForgetService(session, memory).forget(
        query.from_user.id, chat_id=query.message.chat.id, cases=desk is not None
    )
    withdrawal = forgotten.withdrawal
    if desk is not None and withdrawal is not None:
        await desk.withdrawn(bot, session, withdrawal)
        if withdrawal.case is not None:
            await query.message.answer(citizen_texts.case_withdrawn_for_citizen())
    if forgotten.deleted:
        await query.message.answer(
            _("Done: your data has been deleted. If you write again, the bot starts afresh.")
        )
    else:
        await query.message.answer(_("The bot keeps nothing about you."))
