"""A citizen's free-text message: route it, log it, and find what to answer.

Returns data, not Telegram messages: the handlers render it in the citizen's
language. Nothing here needs Telegram, so it is tested without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.answers import Answer, AnswerBook
from bot.content.resources import Region, ResourceDirectory
from bot.db.models import Citizen, MessageLog, utcnow
from bot.db.repositories import MessageLogRepository
from bot.domain import (
    CHANGE_LANGUAGE_INTENT,
    OUT_OF_SCOPE_INTENT,
    PRIVACY_QUESTION_INTENT,
    REQUEST_HUMAN_INTENT,
    Route,
)
from bot.nlp.normalize import tokens
from bot.services.language import LanguageGuess
from bot.services.memory import ChatMemory
from bot.services.routing import MessageRouter, RoutingDecision

# Below this confidence the text is kept for editors' review.
REVIEW_CONFIDENCE = 0.6
# A switch of language is offered after this many messages in a row that are
# clearly in the other language (two, so one quoted phrase does not trigger it).
SWITCH_AFTER = 2
SWITCH_CONFIDENCE = 0.97
SWITCH_MIN_WORDS = 2


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: RoutingDecision
    answer: Answer | None
    region: Region | None
    needs_region: bool
    log_id: int
    suggestions: tuple[str, ...]


class ReplyKind(StrEnum):
    """What the reply to an `Outcome` is; the handlers render each kind."""

    LANGUAGE = "language"  # the language question and its buttons
    PRIVACY = "privacy"  # the one privacy text, as /start and /privacy show it
    NOT_UNDERSTOOD = "not_understood"  # no answer: the closest topics
    FALLBACK_ANSWER = "fallback_answer"  # an out-of-scope answer with the closest topics
    ANSWER = "answer"  # a curated answer, its links and its rating buttons
    OFFER_PERSON = "offer_person"  # a sensitive answer with a talk-to-a-counselor button
    NO_PERSON = "no_person"  # no staff group: (the answer and) where people are
    CASE_ANSWER = "case_answer"  # the answer before the case opens (a crisis)
    CASE_ONLY = "case_only"  # nothing but the case's own message


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    """What to say and do for an `Outcome`, in order: the emergency numbers in a
    message of their own, the reply of `kind`, then the case and the region question."""

    kind: ReplyKind
    emergency_numbers: bool = False
    open_case: bool = False
    # NO_PERSON only: the answer goes before where people are.
    with_answer: bool = False
    ask_region: bool = False


def plan_reply(outcome: Outcome, *, counselors: bool) -> ReplyPlan:
    """The reply to `outcome`; `counselors` when a staff group can take a case.

    A crisis or an escalate reply has no rating and no menu. With a staff
    group, a crisis opens an urgent case after the numbers and the answer (the
    case's own message says who reads it and when); an explicit request for a
    person opens a case instead of an answer; any other escalate answer offers a
    counselor with one tap, and one with nothing curated to say opens a case at
    once. Without a staff group, the answer is followed by where people are,
    and no button pretends to reach someone.
    """
    decision = outcome.decision
    route = decision.route
    answer = outcome.answer
    if decision.intent == CHANGE_LANGUAGE_INTENT and route is Route.SERVICE:
        return ReplyPlan(ReplyKind.LANGUAGE)
    if decision.intent == PRIVACY_QUESTION_INTENT and route is Route.SERVICE:
        return ReplyPlan(ReplyKind.PRIVACY)
    if route in (Route.CRISIS, Route.ESCALATE):
        return _escalation_plan(outcome, counselors=counselors)
    if answer is None:
        return ReplyPlan(ReplyKind.NOT_UNDERSTOOD)
    if route is Route.FALLBACK:
        return ReplyPlan(ReplyKind.FALLBACK_ANSWER)
    return ReplyPlan(ReplyKind.ANSWER, ask_region=outcome.needs_region)


def _escalation_plan(outcome: Outcome, *, counselors: bool) -> ReplyPlan:
    """plan_reply for a crisis or an escalate route."""
    decision = outcome.decision
    crisis = decision.route is Route.CRISIS
    answer = outcome.answer
    asked_for_person = decision.intent == REQUEST_HUMAN_INTENT
    if counselors and (crisis or asked_for_person):
        kind = ReplyKind.CASE_ANSWER if answer is not None and crisis else ReplyKind.CASE_ONLY
        return ReplyPlan(kind, emergency_numbers=crisis, open_case=True)
    if not counselors:
        with_answer = answer is not None and not asked_for_person
        return ReplyPlan(ReplyKind.NO_PERSON, emergency_numbers=crisis, with_answer=with_answer)
    if answer is None:
        return ReplyPlan(ReplyKind.CASE_ONLY, emergency_numbers=crisis, open_case=True)
    return ReplyPlan(ReplyKind.OFFER_PERSON, emergency_numbers=crisis)


@dataclass(frozen=True, slots=True)
class LanguageOffer:
    """After the reply: the language question (`switch_to` None, a first
    contact), or the offer to write in `switch_to` from now on."""

    switch_to: str | None = None


async def offer_language(  # noqa: PLR0913 - the message and who sent it; first_contact keyword-only
    memory: ChatMemory,
    chat_id: int,
    citizen: Citizen,
    guess: LanguageGuess | None,
    text: str,
    *,
    first_contact: bool,
) -> LanguageOffer | None:
    """Whether the reply to `text` is followed by a question about the language."""
    if first_contact:
        return LanguageOffer()
    other = (
        citizen.language is not None
        and guess is not None
        and guess.lang != citizen.language
        and guess.confidence >= SWITCH_CONFIDENCE
        and len(tokens(text)) >= SWITCH_MIN_WORDS
    )
    if await memory.note_language(chat_id, other=other) == SWITCH_AFTER and guess is not None:
        return LanguageOffer(guess.lang)
    return None


class ConversationService:
    def __init__(
        self,
        session: AsyncSession,
        router: MessageRouter,
        answers: AnswerBook,
        resources: ResourceDirectory,
        *,
        suggestion_count: int = 3,
    ) -> None:
        self._session = session
        self._router = router
        self._answers = answers
        self._resources = resources
        self._log = MessageLogRepository(session)
        self._suggestion_count = suggestion_count

    async def handle_text(
        self,
        citizen: Citizen,
        text: str,
        lang: str,
        recent: Sequence[str] = (),
        *,
        offline: bool = False,
    ) -> Outcome:
        """Route a message (with the safety check alone when `offline`) and log it."""
        if offline:
            decision = self._router.route_offline(text, recent)
        else:
            decision = await self._router.route(text, recent)
        answer = self._answers.get(decision.intent, lang) if decision.intent else None
        if decision.route is Route.FALLBACK and decision.intent != OUT_OF_SCOPE_INTENT:
            answer = None  # not understood: the fallback reply offers the closest topics
        region: Region | None = None
        needs_region = False
        if answer is not None and answer.regional:
            region = self._resources.find_region(text)
            if region is not None and region.id != citizen.region:
                citizen.region = region.id
            elif region is None and citizen.region:
                region = self._resources.regions.get(citizen.region)
            needs_region = self._ask_region_once(citizen, region)
        # Text is kept for the editors' review only with the citizen's consent
        # (the privacy notice's button), never for a crisis.
        keep_text = (
            citizen.consent_at is not None
            and decision.route is not Route.CRISIS
            and (decision.route is Route.FALLBACK or decision.confidence < REVIEW_CONFIDENCE)
        )
        entry = await self._log.add(
            MessageLog(
                citizen_id=citizen.id,
                lang=lang,
                intent=decision.intent,
                confidence=round(decision.confidence, 4),
                route=decision.route.value,
                text=text[:4096] if keep_text and decision.nlu_available else None,
                model=decision.model,
                nlu_available=decision.nlu_available,
                region=citizen.region,
                safety_raised=decision.raised_by_safety,
            )
        )
        await self._session.commit()
        suggestions = tuple(
            score.name
            for score in decision.ranking
            if self._answers.get(score.name, lang) is not None and score.name != OUT_OF_SCOPE_INTENT
        )[: self._suggestion_count]
        return Outcome(decision, answer, region, needs_region, entry.id, suggestions)

    async def answer_topic(self, citizen: Citizen, intent: str, lang: str) -> Outcome | None:
        """A topic chosen by a button: the same answer as free text, no NLU needed."""
        answer = self._answers.get(intent, lang)
        if answer is None:
            return None
        region = None
        if answer.regional and citizen.region:
            region = self._resources.regions.get(citizen.region)
        decision = RoutingDecision(
            intent=intent,
            confidence=1.0,
            route=self._router.taxonomy.route_of(intent),
            ranking=(),
            entities=(),
            nlu_available=True,
            safety_situation=None,
            model="menu",
        )
        entry = await self._log.add(
            MessageLog(
                citizen_id=citizen.id,
                lang=lang,
                intent=intent,
                confidence=1.0,
                route=decision.route.value,
                model="menu",
                region=citizen.region,
            )
        )
        needs_region = answer.regional and self._ask_region_once(citizen, region)
        await self._session.commit()
        return Outcome(decision, answer, region, needs_region, entry.id, ())

    @staticmethod
    def _ask_region_once(citizen: Citizen, region: Region | None) -> bool:
        """Ask for the region when it is unknown, once: later regional answers
        go without the question (the citizen can still name it, or use /resources)."""
        if region is not None or citizen.region_asked_at is not None:
            return False
        citizen.region_asked_at = utcnow()
        return True
