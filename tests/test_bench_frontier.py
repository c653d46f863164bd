"""bench/frontier.py replays the route guard as the served pipeline applies it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import frontier
from bot.content.taxonomy import Taxonomy
from bot.domain import Route

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = Taxonomy.load(REPO / "content" / "taxonomy.yml")
ROUTES = {name: spec.route.value for name, spec in TAXONOMY.intents.items()}
SETTINGS = {"threshold": 0.3, "crisis_threshold": 0.5}
REPLAY = frontier.Replay(ROUTES, TAXONOMY, SETTINGS, 0.3)


def _msg(*ranking: tuple[str, float], words: int = 5) -> frontier.Scored:
    return frontier.Scored(tuple(ranking), words)


def test_guard_settings_are_read_from_the_pipeline(tmp_path: Path) -> None:
    settings = frontier.guard_settings(REPO / "config.yml")
    assert "crisis_threshold" in settings
    assert "name" not in settings
    bare = tmp_path / "config.yml"
    bare.write_text("pipeline:\n  - name: WhitespaceTokenizer\n")
    with pytest.raises(SystemExit):
        frontier.guard_settings(bare)


def test_a_replayed_route_follows_the_crisis_threshold() -> None:
    split = _msg(("crisis_self_harm", 0.6), ("personal_doubts", 0.3), ("greet", 0.1))

    def route(message: frontier.Scored, **settings: float) -> Route:
        return frontier.Replay(ROUTES, TAXONOMY, {**SETTINGS, **settings}, 0.3).route(message)

    assert route(split) is Route.CRISIS
    # A stricter crisis threshold keeps the person but not the emergency route.
    assert route(split, crisis_threshold=0.7) is Route.ESCALATE
    # The fallback classifier's own entry is not an intent; low confidence is fallback.
    unsure = _msg(("nlu_fallback", 0.9), ("greet", 0.2), ("thanks", 0.15))
    assert route(unsure) is Route.FALLBACK
    assert route(_msg(("greet", 0.9))) is Route.SERVICE
    assert route(_msg()) is Route.FALLBACK


def test_cv_figures_count_each_route_and_the_safety_check() -> None:
    crisis_hit = _msg(("crisis_self_harm", 0.9), ("greet", 0.1))
    ordinary = _msg(("greet", 0.95))
    held = [
        frontier.Held(Route.CRISIS, "crisis_self_harm", crisis_hit, None),
        # Missed by the NLU, raised by the safety check: counts for the bot only.
        frontier.Held(Route.CRISIS, "crisis_self_harm", ordinary, Route.CRISIS),
        frontier.Held(Route.SERVICE, "greet", ordinary, None),
        frontier.Held(Route.SERVICE, "greet", crisis_hit, None),  # a false crisis
        frontier.Held(Route.FALLBACK, "out_of_scope", crisis_hit, None),
    ]
    figures = frontier.cv_figures(held, REPLAY)
    assert figures["crisis recall"] == 0.5
    assert figures["bot crisis recall"] == 1.0
    assert figures["escalation recall"] == 0.5
    assert figures["false escalation rate"] == 0.5
    assert figures["false crisis rate"] == 0.5
    assert figures["out_of_scope to crisis"] == 1
    assert figures["bot out_of_scope to crisis"] == 1


def test_dev_figures_judge_a_case_by_its_most_serious_message() -> None:
    calm = _msg(("greet", 0.95))
    danger = _msg(("crisis_violence_threat", 0.8), ("greet", 0.2))
    cases = [
        frontier.DevCase("dev kk", Route.CRISIS, (calm, danger, calm), None),
        frontier.DevCase("dev kk", Route.CRISIS, (calm,), Route.CRISIS),
        frontier.DevCase("dev kk", Route.CRISIS, (calm,), None),
        frontier.DevCase("dev kk", None, (calm,), None),
        frontier.DevCase("dev kk", None, (danger,), None),
        frontier.DevCase("dev ru", None, (calm,), None),
    ]
    figures = frontier.dev_figures(cases, REPLAY)
    assert figures["dev kk"] == pytest.approx((2 / 3, 1, 2))
    assert figures["dev ru"] == (1.0, 0, 1)


def test_the_semantic_head_is_replayed_at_its_own_thresholds(tmp_path: Path) -> None:
    ordinary = frontier.Scored((("greet", 0.95),), 5, (0.96, 0.98))
    held = [frontier.Held(Route.CRISIS, "crisis_self_harm", ordinary, None)]
    strict = frontier.Replay(ROUTES, TAXONOMY, SETTINGS, 0.3, (0.97, 0.99))
    lenient = frontier.Replay(ROUTES, TAXONOMY, SETTINGS, 0.3, (0.95, 0.97))
    # The NLU alone misses it either way; the head raises it at lenient thresholds only.
    assert frontier.cv_figures(held, strict)["bot crisis recall"] == 0.0
    assert frontier.cv_figures(held, lenient)["bot crisis recall"] == 1.0
    assert frontier.cv_figures(held, lenient)["crisis recall"] == 0.0
    assert lenient.semantic(frontier.Scored((), 1, (0.5, 0.98))) is Route.ESCALATE
    assert lenient.semantic(frontier.Scored((), 1)) is None
    assert frontier.head_settings(REPO / "config.yml")[0] > 0.5
    bare = tmp_path / "config.yml"
    bare.write_text("pipeline:\n  - name: WhitespaceTokenizer\n")
    assert frontier.head_settings(bare) == (2.0, 2.0)
