"""Sending an `Outcome` to the citizen, the same way for free text and buttons."""

from __future__ import annotations

from aiogram.types import InaccessibleMessage, Message

from bot.content.library import ContentLibrary
from bot.handlers.case_relay import current_handoff
from bot.services.cases import REQUEST_HUMAN_INTENT
from bot.services.conversation import Outcome
from bot.services.routes import Route
from bot.ui import texts

_LANGUAGE_INTENT = "change_language"


async def send_outcome(
    message: Message | InaccessibleMessage,
    outcome: Outcome,
    content: ContentLibrary,
    lang: str,
) -> None:
    decision = outcome.decision
    route = decision.route
    if route is Route.CRISIS:
        # The numbers first, in a message of their own, before anything else.
        await message.answer(texts.emergency_block(content, lang))
    if decision.intent == _LANGUAGE_INTENT and route is Route.SERVICE:
        await message.answer(texts.language_prompt(), reply_markup=texts.language_keyboard())
        return
    answer = outcome.answer
    handoff = current_handoff()
    if handoff is not None and (route is Route.CRISIS or decision.intent == REQUEST_HUMAN_INTENT):
        # A person at once: a crisis opens an urgent case after the numbers and
        # the answer; an explicit request opens one instead of the answer.
        if answer is not None and route is Route.CRISIS:
            await message.answer(
                texts.answer_text(answer, content, outcome.region),
                reply_markup=texts.answer_keyboard(
                    answer, content, outcome.region, outcome.log_id, offer_person=False
                ),
            )
        await handoff.open_case(message.chat.id, lang=lang, route=route, intent=decision.intent)
        return
    if answer is None:
        if route in (Route.CRISIS, Route.ESCALATE):
            await message.answer(
                texts.person_unavailable(None, lang),
                reply_markup=texts.fallback_keyboard(content, (), lang),
            )
            return
        await message.answer(
            texts.fallback_text(nlu_available=decision.nlu_available),
            reply_markup=texts.fallback_keyboard(content, outcome.suggestions, lang),
        )
        return
    if route is Route.FALLBACK:
        await message.answer(
            answer.text, reply_markup=texts.fallback_keyboard(content, outcome.suggestions, lang)
        )
        return
    offer_person = route in (Route.CRISIS, Route.ESCALATE)
    text = texts.answer_text(answer, content, outcome.region)
    if not decision.nlu_available and not offer_person:
        text = texts.degraded_text() + "\n\n" + text
    await message.answer(
        text,
        reply_markup=texts.answer_keyboard(
            answer, content, outcome.region, outcome.log_id, offer_person=offer_person
        ),
    )
    if outcome.needs_region:
        await message.answer(
            texts.region_prompt(),
            reply_markup=texts.region_keyboard(content, lang, intent=answer.intent),
        )
