"""A citizen's free-text message: route it, log it, and find what to answer.

Returns data, not Telegram messages: the handlers render it in the citizen's
language. Nothing here needs Telegram, so it is tested without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.answers import Answer, AnswerBook
from bot.content.resources import Region, ResourceDirectory
from bot.db.models import Citizen, MessageLog, utcnow
from bot.db.repositories import MessageLogRepository
from bot.domain import OUT_OF_SCOPE_INTENT, Route
from bot.services.routing import MessageRouter, RoutingDecision

# Below this confidence the text is kept for editors' review.
REVIEW_CONFIDENCE = 0.6


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: RoutingDecision
    answer: Answer | None
    region: Region | None
    needs_region: bool
    log_id: int
    suggestions: tuple[str, ...]


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
