"""Routing: the NLU's route, raised by the safety check, never lowered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from bot.config import PROJECT_ROOT
from bot.content.taxonomy import Taxonomy
from bot.domain import Route
from bot.services.routing import MessageRouter
from tests.fakes import KeywordNLU


@dataclass(frozen=True)
class Finding:
    route: Route
    intent: str
    situation: str


class StubSafety:
    def __init__(self, finding: Finding | None) -> None:
        self.finding = finding
        self.seen: list[tuple[str, tuple[str, ...]]] = []

    def check(self, text: str, recent: Sequence[str] = ()) -> Finding | None:
        self.seen.append((text, tuple(recent)))
        return self.finding


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load(PROJECT_ROOT / "content" / "taxonomy.yml")


CRISIS = Finding(Route.CRISIS, "crisis_self_harm", "self_harm")
ESCALATE = Finding(Route.ESCALATE, "relative_in_group", "relative_in_group")


def test_routes_follow_taxonomy(taxonomy: Taxonomy) -> None:
    assert taxonomy.route_of("greet") is Route.SERVICE
    assert taxonomy.route_of("request_human") is Route.ESCALATE
    assert taxonomy.route_of("crisis_abuse") is Route.CRISIS
    assert taxonomy.route_of("nlu_fallback") is Route.FALLBACK
    assert taxonomy.route_of("no_such_intent") is Route.FALLBACK


async def test_nlu_route(taxonomy: Taxonomy) -> None:
    router = MessageRouter(KeywordNLU(), StubSafety(None), taxonomy, threshold=0.45)
    decision = await router.route("какой закон о религии")
    assert (decision.intent, decision.route) == ("law_religious_activity", Route.FAQ)
    assert decision.nlu_available
    assert not decision.raised_by_safety


async def test_low_confidence_is_fallback_with_ranking(taxonomy: Taxonomy) -> None:
    router = MessageRouter(KeywordNLU(), None, taxonomy, threshold=0.45)
    decision = await router.route("ъъъ непонятно")
    assert decision.route is Route.FALLBACK
    assert "nlu_fallback" not in [r.name for r in decision.ranking]
    assert decision.ranking[0].name == "advisory_center_info"


async def test_safety_raises_faq_to_crisis(taxonomy: Taxonomy) -> None:
    safety = StubSafety(CRISIS)
    router = MessageRouter(KeywordNLU(), safety, taxonomy, threshold=0.45)
    decision = await router.route("какой закон", recent=["раньше"])
    assert decision.route is Route.CRISIS
    assert decision.intent == "crisis_self_harm"
    assert decision.safety_situation == "self_harm"
    assert safety.seen == [("какой закон", ("раньше",))]


async def test_nothing_lowers_a_crisis(taxonomy: Taxonomy) -> None:
    router = MessageRouter(KeywordNLU(), StubSafety(ESCALATE), taxonomy, threshold=0.45)
    decision = await router.route("жить не хочу")
    assert decision.route is Route.CRISIS
    assert decision.intent == "crisis_self_harm"
    assert not decision.raised_by_safety


async def test_nlu_down_uses_safety_alone(taxonomy: Taxonomy) -> None:
    nlu = KeywordNLU()
    nlu.down = True
    router = MessageRouter(nlu, StubSafety(CRISIS), taxonomy, threshold=0.45)
    decision = await router.route("что угодно")
    assert decision.route is Route.CRISIS
    assert not decision.nlu_available
    quiet = MessageRouter(nlu, StubSafety(None), taxonomy, threshold=0.45)
    assert (await quiet.route("закон")).route is Route.FALLBACK


def test_most_serious() -> None:
    assert Route.most_serious(Route.FAQ, Route.CRISIS, Route.ESCALATE) is Route.CRISIS
    assert Route.most_serious(None, Route.SERVICE) is Route.SERVICE
    assert Route.most_serious() is Route.FALLBACK
