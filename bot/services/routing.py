"""Routing: from a message to the route the bot takes.

The route is the more serious of the NLU's route and the safety net's (the
editors' lexicons and the semantic layer, `bot.services.semantic`); the
safety net works without the NLU server, so a crisis is caught either way,
and nothing lowers it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot import metrics
from bot.content.taxonomy import Taxonomy
from bot.domain import FALLBACK_INTENT, Route
from bot.nlu.client import IntentScore, NLUClient, NLUUnavailable


class SafetyFinding(Protocol):
    @property
    def route(self) -> Route: ...

    @property
    def intent(self) -> str: ...

    @property
    def situation(self) -> str: ...


class SafetyNet(Protocol):
    """The safety check. One with a `follow(model_name)` method is told which NLU
    model answered, so its semantic layer can follow the model in service."""

    def check(self, text: str, recent: Sequence[str] = ()) -> SafetyFinding | None: ...


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Where a message goes, and why."""

    intent: str | None
    confidence: float
    route: Route
    ranking: tuple[IntentScore, ...]
    entities: tuple[dict[str, Any], ...]
    nlu_available: bool
    safety_situation: str | None
    model: str | None = None

    @property
    def raised_by_safety(self) -> bool:
        return self.safety_situation is not None


class MessageRouter:
    def __init__(
        self,
        nlu: NLUClient | None,
        safety: SafetyNet | None,
        taxonomy: Taxonomy,
        *,
        threshold: float,
    ) -> None:
        self._nlu = nlu
        self._safety = safety
        self._taxonomy = taxonomy
        self._threshold = threshold

    @property
    def taxonomy(self) -> Taxonomy:
        return self._taxonomy

    async def route(self, text: str, recent: Sequence[str] = ()) -> RoutingDecision:
        """Route with the NLU when it answers, and always with the safety check."""
        decision = await self._route(text, recent)
        nlu = "up" if decision.nlu_available else "down"
        metrics.ROUTES.labels(decision.route.value, nlu).inc()
        if decision.raised_by_safety:
            metrics.SAFETY_RAISES.labels(decision.route.value).inc()
        return decision

    async def _route(self, text: str, recent: Sequence[str]) -> RoutingDecision:
        if self._nlu is None:
            return await self._offline_in_thread(text, recent)
        try:
            parse = await self._nlu.parse(text)
        except NLUUnavailable:
            return await self._offline_in_thread(text, recent)
        follow = getattr(self._safety, "follow", None)
        if callable(follow):
            follow(parse.model)
        intent = parse.intent
        if intent == FALLBACK_INTENT or parse.confidence < self._threshold:
            nlu_route = Route.FALLBACK
        else:
            nlu_route = self._taxonomy.route_of(intent)
        ranking = tuple(r for r in parse.ranking if r.name != FALLBACK_INTENT)
        decision = RoutingDecision(
            intent=intent,
            confidence=parse.confidence,
            route=nlu_route,
            ranking=ranking,
            entities=parse.entities,
            nlu_available=True,
            safety_situation=None,
            model=parse.model,
        )
        # The semantic layer runs a sentence encoder (milliseconds of CPU, the
        # GIL released): in a thread, so other chats are not held up meanwhile.
        return await asyncio.to_thread(self._apply_safety, decision, text, recent)

    async def _offline_in_thread(self, text: str, recent: Sequence[str]) -> RoutingDecision:
        return await asyncio.to_thread(self.route_offline, text, recent)

    def route_offline(self, text: str, recent: Sequence[str] = ()) -> RoutingDecision:
        """Route with the safety check alone, as while the NLU server is down."""
        decision = RoutingDecision(
            intent=None,
            confidence=0.0,
            route=Route.FALLBACK,
            ranking=(),
            entities=(),
            nlu_available=False,
            safety_situation=None,
        )
        return self._apply_safety(decision, text, recent)

    def _apply_safety(
        self, decision: RoutingDecision, text: str, recent: Sequence[str]
    ) -> RoutingDecision:
        finding = self._safety.check(text, recent) if self._safety else None
        if finding is None or finding.route.severity <= decision.route.severity:
            return decision
        return RoutingDecision(
            intent=finding.intent,
            confidence=decision.confidence if decision.intent == finding.intent else 1.0,
            route=finding.route,
            ranking=decision.ranking,
            entities=decision.entities,
            nlu_available=decision.nlu_available,
            safety_situation=finding.situation,
            model=decision.model,
        )
