"""Sending an `Outcome` to the citizen, the same way for free text and buttons."""

from __future__ import annotations

from aiogram.types import InaccessibleMessage, Message

from bot.content.library import ContentLibrary
from bot.domain import CHANGE_LANGUAGE_INTENT, PRIVACY_QUESTION_INTENT, REQUEST_HUMAN_INTENT, Route
from bot.services.conversation import Outcome
from bot.telegram.desk.handoff import Handoff
from bot.ui import texts


async def send_outcome(
    message: Message | InaccessibleMessage,
    outcome: Outcome,
    content: ContentLibrary,
    lang: str,
    *,
    privacy_days: int,
    consented: bool,
    handoff: Handoff | None,
) -> None:
    """`handoff` opens a case where the reply calls for one; None without a staff group."""
    decision = outcome.decision
    route = decision.route
    if route is Route.CRISIS:
        # The numbers first, in a message of their own, before anything else.
        await message.answer(texts.emergency_block(content, lang, decision.intent))
    if decision.intent == CHANGE_LANGUAGE_INTENT and route is Route.SERVICE:
        await message.answer(texts.language_prompt(), reply_markup=texts.language_keyboard())
        return
    if decision.intent == PRIVACY_QUESTION_INTENT and route is Route.SERVICE:
        # The one privacy text, the same as /start and /privacy show.
        await message.answer(
            texts.privacy_notice(privacy_days),
            reply_markup=None if consented else texts.notice_keyboard(),
        )
        return
    if route in (Route.CRISIS, Route.ESCALATE):
        await _send_sensitive(message, outcome, content, lang, handoff)
        return
    answer = outcome.answer
    counselors = handoff is not None
    if answer is None:
        await message.answer(
            texts.fallback_text(nlu_available=decision.nlu_available, counselors=counselors),
            reply_markup=texts.fallback_keyboard(
                content, outcome.suggestions, lang, counselors=counselors
            ),
        )
        return
    if route is Route.FALLBACK:
        await message.answer(
            answer.text_for(counselors=counselors),
            reply_markup=texts.fallback_keyboard(
                content, outcome.suggestions, lang, counselors=counselors
            ),
        )
        return
    text = texts.answer_text(
        answer,
        content,
        outcome.region,
        counselors=counselors,
        feedback=outcome.log_id is not None,
    )
    if not decision.nlu_available:
        text = texts.degraded_text(counselors=counselors) + "\n\n" + text
    await message.answer(
        text,
        reply_markup=texts.answer_keyboard(
            answer, content, outcome.region, outcome.log_id, counselors=counselors
        ),
    )
    if outcome.needs_region:
        await message.answer(
            texts.region_prompt(),
            reply_markup=texts.region_keyboard(content, lang, intent=answer.intent),
        )


async def _send_sensitive(
    message: Message | InaccessibleMessage,
    outcome: Outcome,
    content: ContentLibrary,
    lang: str,
    handoff: Handoff | None,
) -> None:
    """A crisis or an escalate reply: no rating, no menu; a person, or where people are.

    With a staff group, a crisis opens an urgent case after the numbers and the
    answer, and the case's own message says who reads it and when; an explicit
    request for a person opens a case instead of an answer; any other escalate
    answer offers a counselor with one tap. Without a staff group, the answer is
    followed by where people are, and no button pretends to reach someone.
    """
    decision = outcome.decision
    crisis = decision.route is Route.CRISIS
    answer = outcome.answer
    asked_for_person = decision.intent == REQUEST_HUMAN_INTENT
    if handoff is not None and (crisis or asked_for_person):
        if answer is not None and crisis:
            await message.answer(
                texts.answer_text(answer, content, None, counselors=True, feedback=False)
            )
        await handoff.open_case(
            message.chat.id, lang=lang, route=decision.route, intent=decision.intent
        )
        return
    parts = [] if answer is None or asked_for_person else [answer.text_for(counselors=False)]
    if handoff is None:
        parts.append(texts.person_unavailable(outcome.region, lang))
        await message.answer(texts.fit("\n\n".join(parts)))
        return
    if answer is None:  # sensitive, and nothing curated to say: a person at once
        await handoff.open_case(
            message.chat.id, lang=lang, route=decision.route, intent=decision.intent
        )
        return
    await message.answer(
        texts.answer_text(answer, content, outcome.region, counselors=True, feedback=False),
        reply_markup=texts.person_keyboard(answer.intent),
    )
