"""Free text: the safety check and the NLU decide the route; the reply follows it.

This router comes last: commands and buttons are handled before it.
"""

from __future__ import annotations

from aiogram import F
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import Citizen
from bot.desk.handoff import Handoff
from bot.handlers.registry import Handlers
from bot.handlers.replies import send_outcome
from bot.services.citizens import CitizenService
from bot.services.conversation import ConversationService, offer_language
from bot.services.language import LanguageDetector
from bot.services.memory import ChatMemory
from bot.services.routes import Route
from bot.services.routing import MessageRouter
from bot.ui import citizen_texts, keyboards

router = Handlers(name="free_text")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. /help lists what I can do."))


@router.message(F.text)
async def free_text(  # noqa: PLR0913 - aiogram injects each dependency by name
    message: Message,
    session: AsyncSession,
    citizen: Citizen | None,
    content: ContentLibrary,
    routing: MessageRouter,
    memory: ChatMemory,
    detector: LanguageDetector,
    i18n: I18n,
    settings: Settings,
    flooding: bool = False,
    flood_notice: bool = False,
    handoff: Handoff | None = None,
) -> None:
    text = message.text or ""
    chat_id = message.chat.id
    guess = detector.detect(text)
    first_contact = citizen is None
    if citizen is None:
        citizen = await CitizenService(session).get_or_create(chat_id)
    lang = citizen.language or (
        guess.lang if guess and guess.confidence >= 0.9 else i18n.current_locale
    )
    recent = await memory.recent(chat_id)
    await memory.remember(chat_id, text)
    service = ConversationService(session, routing, content.answers, content.resources)
    with i18n.use_locale(lang):
        # A flood still passes the safety check and is logged; only the NLU
        # call and the ordinary reply are skipped.
        outcome = await service.handle_text(citizen, text, lang, recent, offline=flooding)
        if flooding and outcome.decision.route.severity < Route.ESCALATE.severity:
            if flood_notice:
                await message.answer(
                    _("You are writing very fast. I read everything; give me a moment, please.")
                )
            return
        await send_outcome(
            message,
            outcome,
            content,
            lang,
            privacy_days=settings.message_log_days,
            consented=citizen.consent_at is not None,
            handoff=handoff,
        )
        offer = await offer_language(
            memory, chat_id, citizen, guess, text, first_contact=first_contact
        )
        if offer is None:
            return
        if offer.switch_to is None:
            await message.answer(
                citizen_texts.language_prompt(), reply_markup=keyboards.language_keyboard()
            )
            return
        switch, markup = keyboards.switch_language_offer(offer.switch_to)
        await message.answer(switch, reply_markup=markup)
