"""Crisis recall against false crises, as the route guard's crisis threshold moves.

One K-fold cross-validation exactly as `python -m bot content evaluate
--folds K` runs it, plus one model trained on all examples and asked about the
safety development sets (`bench/safety_dev`, `bench/safety_dev2`). Every
intent's confidence is kept, and the route guard (`nlu.route_guard.guard`)
and the bot's confidence threshold are replayed for each `crisis_threshold`
given, with the guard's other settings as config.yml has them. So one
training run shows the whole trade-off an editor or engineer chooses from;
the table in config.yml was made with it. It prints numbers; it asserts
nothing.

    .venv/bin/python -m bench.frontier [--folds 5] [--thresholds 0.3,0.4,0.5]
        [--dev bench/safety_dev bench/safety_dev2]

Columns. Cross-validation, NLU alone ("bot": NLU and safety check, as the bot
routes): crisis recall; escalation recall; false escalation and false crisis
rates on ordinary (faq, service) examples; out_of_scope examples sent to the
crisis route. Development sets, NLU and safety check (as `python -m bot
safety evaluate --data DIR`): crisis recall, and false crises among the
ordinary messages. The test set (`tests/data/safety`) is left out on purpose:
thresholds are chosen on these, and the test set is measured once after.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT
from bot.content.evaluate import Prediction, RouteTally
from bot.content.taxonomy import Taxonomy
from bot.domain import FALLBACK_INTENT, Route
from bot.nlp.normalize import tokens
from bot.nlp.semantic import decide_route
from nlu.route_guard import guard

GUARD = "nlu.classifiers.KenesRouteGuard"
HEAD = "nlu.classifiers.KenesSafetyHead"
DEFAULT_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Scored:
    """One message the NLU was asked about: every intent's confidence, and its words."""

    ranking: tuple[tuple[str, float], ...]
    words: int
    # The semantic safety head's (P(crisis), P(crisis or escalate)), if the model has one.
    semantic: tuple[float, float] | None = None


@dataclass(frozen=True)
class Held:
    """A held-out training example: what it should be, and the safety check's route."""

    expected: Route
    intent: str
    message: Scored
    safety: Route | None


@dataclass(frozen=True)
class DevCase:
    """A development case: one or more messages of one citizen, judged as a whole."""

    name: str  # "safety_dev kk"
    expected: Route | None  # None: ordinary
    messages: tuple[Scored, ...]
    safety: Route | None


def guard_settings(config: Path) -> dict[str, Any]:
    """The route guard's settings in a Rasa config file (its `name` left out)."""
    raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for component in raw.get("pipeline") or []:
        if component.get("name") == GUARD:
            return {k: v for k, v in component.items() if k != "name"}
    raise SystemExit(f"{config}: no {GUARD} in the pipeline")


def head_settings(config: Path) -> tuple[float, float]:
    """The semantic safety head's (crisis_threshold, escalate_threshold) in a Rasa config."""
    raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for component in raw.get("pipeline") or []:
        if component.get("name") == HEAD:
            return float(component["crisis_threshold"]), float(component["escalate_threshold"])
    return 2.0, 2.0  # no head: it never raises


@dataclass(frozen=True)
class Replay:
    """The served pipeline's last steps, with the route guard's settings to try."""

    routes: Mapping[str, str]
    taxonomy: Taxonomy
    settings: Mapping[str, Any]
    threshold: float  # the bot's NLU confidence threshold
    head: tuple[float, float] = (2.0, 2.0)  # the semantic head's thresholds

    def semantic(self, message: Scored) -> Route | None:
        """The semantic safety head's route for the message, at this replay's thresholds."""
        if message.semantic is None:
            return None
        route = decide_route(*message.semantic, *self.head)
        return Route(route) if route else None

    def route(self, message: Scored) -> Route:
        """The route the bot takes on the NLU's word, as the served pipeline decides it.

        The guard runs on the classifier's ranking; then a confidence below the
        bot's threshold is the fallback route (Rasa's FallbackClassifier and
        the bot both apply it).
        """
        ranking = [(name, conf) for name, conf in message.ranking if name != FALLBACK_INTENT]
        if not ranking:
            return Route.FALLBACK
        ranking.sort(key=lambda item: -item[1])
        decision = guard(ranking[0][0], ranking, self.routes, words=message.words, **self.settings)
        if decision.confidence < self.threshold:
            return Route.FALLBACK
        return self.taxonomy.route_of(decision.intent)


def cv_figures(held: Sequence[Held], replay: Replay) -> dict[str, float]:
    """`content evaluate`'s route figures, by the NLU alone and with the safety check
    ("bot ..."), and the out_of_scope examples each sends to the crisis route."""
    nlu, bot = RouteTally(), RouteTally()
    out_of_scope = {"": 0, "bot ": 0}
    for example in held:
        route = replay.route(example.message)
        both = Route.most_serious(route, example.safety, replay.semantic(example.message))
        nlu.add(example.expected, route)
        bot.add(example.expected, both)
        if example.expected is Route.FALLBACK:
            out_of_scope[""] += route is Route.CRISIS
            out_of_scope["bot "] += both is Route.CRISIS
    figures = {**nlu.figures(), **{f"bot {k}": v for k, v in bot.figures().items()}}
    for prefix, count in out_of_scope.items():
        figures[f"{prefix}out_of_scope to crisis"] = count
    return figures


def dev_figures(cases: Sequence[DevCase], replay: Replay) -> dict[str, tuple[float, int, int]]:
    """Per set and language: (crisis recall, false crises, ordinary cases), NLU + safety check."""
    tallies: dict[str, list[int]] = {}
    for case in cases:
        tally = tallies.setdefault(case.name, [0, 0, 0, 0])
        route = Route.most_serious(
            case.safety,
            *(replay.route(m) for m in case.messages),
            *(replay.semantic(m) for m in case.messages),
        )
        if case.expected is Route.CRISIS:
            tally[0] += 1
            tally[1] += route is Route.CRISIS
        elif case.expected is None:
            tally[2] += 1
            tally[3] += route is Route.CRISIS
    return {
        name: (hit / crisis if crisis else 1.0, false, ordinary)
        for name, (crisis, hit, ordinary, false) in tallies.items()
    }


def _scored(text: str, prediction: Prediction) -> Scored:
    return Scored(tuple(prediction.ranking), len(tokens(text)), prediction.semantic_scores)


def main() -> None:
    from bot.cli.safety import evaluate_offline, load_test_set
    from bot.config import Settings
    from bot.content import evaluate as ev
    from bot.nlp.safety import SafetyCheck
    from bot.nlu.data import Example, read_examples
    from bot.nlu.tooling import Project

    parser = argparse.ArgumentParser(
        prog="python -m bench.frontier", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--thresholds",
        default=",".join(str(t) for t in DEFAULT_THRESHOLDS),
        help="the crisis_threshold values to replay, comma-separated",
    )
    parser.add_argument(
        "--dev",
        nargs="*",
        type=Path,
        default=[ROOT / "bench" / "safety_dev", ROOT / "bench" / "safety_dev2"],
        help="development sets (folders like bench/safety_dev)",
    )
    parser.add_argument(
        "--head",
        default="",
        help="semantic head thresholds to replay as crisis:escalate pairs, comma-separated "
        "(for example 0.5:0.5,0.6:0.7), at the route guard's setting in config.yml",
    )
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",") if t.strip()]
    pairs = [
        (float(c), float(e))
        for c, _, e in (p.partition(":") for p in args.head.split(",") if p.strip())
    ]

    project = Project()
    threshold = Settings().nlu_confidence_threshold
    taxonomy = Taxonomy.load(project.root / "content" / "taxonomy.yml")
    safety = SafetyCheck.from_directory(project.root / "content" / "safety")
    settings = guard_settings(project.config)
    examples = read_examples(project.nlu_data)
    folds = ev.kfold_split(examples, args.folds)
    dev = [(directory, load_test_set(directory)) for directory in args.dev]
    texts = sorted({m for _, cases in dev for case in cases for m in case.messages})
    asked = [Example("", "", text, Path("dev"), 0) for text in texts]
    started = time.monotonic()
    runs = ev.run_folds(project, [*folds, (list(examples), asked)], ranking_size=1000)
    print(
        f"{len(examples)} examples, {args.folds} folds, {len(texts)} development messages; "
        f"trained and asked in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )

    held = [
        Held(
            taxonomy.route_of(example.intent),
            example.intent,
            _scored(example.text, prediction),
            verdict.route if (verdict := safety.check(example.text)) else None,
        )
        for run in runs[:-1]
        for example, prediction in zip(run.test, run.predictions, strict=True)
    ]
    by_text = {text: _scored(text, p) for text, p in zip(texts, runs[-1].predictions, strict=True)}
    dev_cases = [
        DevCase(
            f"{directory.name} {case.lang}",
            case.expected,
            tuple(by_text[m] for m in case.messages),
            outcome.safety,
        )
        for directory, cases in dev
        for case, outcome in zip(cases, evaluate_offline(safety, cases), strict=True)
    ]
    routes = {name: spec.route.value for name, spec in taxonomy.intents.items()}

    fixed = {k: v for k, v in settings.items() if k != "crisis_threshold"}
    print(f"route guard: {fixed}; bot threshold {threshold}")
    sets = sorted({case.name for case in dev_cases})
    header = (
        "crisis_th | CV crisis  bot    | esc    bot    | false esc  bot   "
        "| false crisis  bot   | oos->crisis bot"
    )
    print(header + "".join(f" | {name}: crisis, false" for name in sets))
    head = head_settings(project.config)
    print(f"semantic head thresholds (crisis, escalate): {head}")
    rows = [
        ({**settings, "crisis_threshold": value}, head, f"{value:9.2f}") for value in thresholds
    ]
    rows += [(dict(settings), pair, f"{pair[0]:4.2f}:{pair[1]:4.2f}") for pair in pairs]
    for guard_config, head_pair, label in rows:
        replay = Replay(routes, taxonomy, guard_config, threshold, head_pair)
        cv = cv_figures(held, replay)
        line = (
            f"{label} | {cv['crisis recall']:.3f}  {cv['bot crisis recall']:.3f} "
            f"| {cv['escalation recall']:.3f}  {cv['bot escalation recall']:.3f} "
            f"| {cv['false escalation rate']:.3f}  {cv['bot false escalation rate']:.3f} "
            f"| {cv['false crisis rate']:.4f}  {cv['bot false crisis rate']:.4f} "
            f"| {cv['out_of_scope to crisis']:4.0f} {cv['bot out_of_scope to crisis']:4.0f}"
        )
        figures = dev_figures(dev_cases, replay)
        for name in sets:
            recall, false, ordinary = figures[name]
            line += f" | {recall:.3f}, {false}/{ordinary}"
        print(line)


if __name__ == "__main__":
    main()
