"""Sending an `Outcome` to the citizen, the same way for free text and buttons:
the conversation service plans the reply (`plan_reply`), this only renders it."""

from __future__ import annotations

from aiogram.types import InaccessibleMessage, Message

from bot.content.library import ContentLibrary
from bot.desk.handoff import Handoff
from bot.services.conversation import Outcome, ReplyKind, plan_reply
from bot.telegram import text_limits
from bot.ui import citizen_texts, keyboards


async def send_outcome(  # noqa: PLR0913 - aiogram injects each dependency by name
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
    counselors = handoff is not None
    plan = plan_reply(outcome, counselors=counselors)
    decision = outcome.decision
    answer = outcome.answer
    if plan.emergency_numbers:
        # The numbers first, in a message of their own, before anything else.
        await message.answer(citizen_texts.emergency_block(content, lang, decision.intent))
    match plan.kind:
        case ReplyKind.LANGUAGE:
            await message.answer(
                citizen_texts.language_prompt(), reply_markup=keyboards.language_keyboard()
            )
        case ReplyKind.PRIVACY:
            await message.answer(
                citizen_texts.privacy_notice(privacy_days),
                reply_markup=None if consented else keyboards.notice_keyboard(),
            )
        case ReplyKind.NOT_UNDERSTOOD:
            await message.answer(
                citizen_texts.fallback_text(
                    nlu_available=decision.nlu_available, counselors=counselors
                ),
                reply_markup=keyboards.fallback_keyboard(
                    content, outcome.suggestions, lang, counselors=counselors
                ),
            )
        case ReplyKind.FALLBACK_ANSWER if answer is not None:
            await message.answer(
                answer.text_for(counselors=counselors),
                reply_markup=keyboards.fallback_keyboard(
                    content, outcome.suggestions, lang, counselors=counselors
                ),
            )
        case ReplyKind.ANSWER if answer is not None:
            text = citizen_texts.answer_text(
                answer,
                content,
                outcome.region,
                counselors=counselors,
                feedback=outcome.log_id is not None,
            )
            if not decision.nlu_available:
                text = citizen_texts.degraded_text(counselors=counselors) + "\n\n" + text
            await message.answer(
                text,
                reply_markup=keyboards.answer_keyboard(
                    answer, content, outcome.region, outcome.log_id, counselors=counselors
                ),
            )
        case ReplyKind.OFFER_PERSON if answer is not None:
            await message.answer(
                citizen_texts.answer_text(
                    answer, content, outcome.region, counselors=True, feedback=False
                ),
                reply_markup=keyboards.person_keyboard(answer.intent),
            )
        case ReplyKind.NO_PERSON:
            parts = [answer.text_for(counselors=False)] if plan.with_answer and answer else []
            parts.append(citizen_texts.person_unavailable(outcome.region, lang))
            await message.answer(text_limits.fit("\n\n".join(parts)))
        case ReplyKind.CASE_ANSWER if answer is not None:
            await message.answer(
                citizen_texts.answer_text(answer, content, None, counselors=True, feedback=False)
            )
    if plan.open_case and handoff is not None:
        await handoff.open_case(
            message.chat.id, lang=lang, route=decision.route, intent=decision.intent
        )
    if plan.ask_region and answer is not None:
        await message.answer(
            citizen_texts.region_prompt(),
            reply_markup=keyboards.region_keyboard(content, lang, intent=answer.intent),
        )
