"""`python -m bot safety evaluate`: how well the safety net catches people in danger.

Runs the safety test set (`tests/data/safety/`: dangerous messages in Kazakh
and Russian labelled with the route they need, and ordinary questions) through
the safety check alone and, unless `--offline-only`, through the NLU server as
well, combined as the bot combines them: the more serious of the two routes.
Prints recall per language, the false alarm rates and every miss, and exits 1
when a target is missed (2 when the NLU server is not reachable).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.config import PROJECT_ROOT, Settings
from bot.domain import Route
from bot.nlp.safety import SafetyCheck, SafetyVerdict
from bot.services.semantic import LayeredSafety

DEFAULT_DATA = PROJECT_ROOT / "tests" / "data" / "safety"
LANGUAGES = ("kk", "ru")
CONCURRENCY = 8

# The targets the safety net is held to (issues: "A safety net that catches
# people in danger even when the NLU misses or is down", and "A multilingual
# sentence encoder under the NLU and under the bot's own safety net").
CRISIS_RECALL_WITH_NLU = 0.99
ESCALATION_RECALL_WITH_NLU = 0.99
CRISIS_RECALL_ALONE = 0.97
ESCALATION_RECALL_ALONE = 0.90
FALSE_CRISIS_MAX = 0.01
FALSE_ESCALATION_ALONE_MAX = 0.08

NOT_RUNNING = (
    "The NLU server at {url} is not reachable.\n"
    "Start it in another terminal with:  .venv/bin/python -m bot nlu serve\n"
    "or evaluate the safety check alone:  .venv/bin/python -m bot safety evaluate --offline-only"
)


class TestSetError(ValueError):
    """The safety test set is malformed."""


@dataclass(frozen=True, slots=True)
class SafetyCase:
    """One test case: a message, or consecutive messages whose whole is judged."""

    lang: str
    messages: tuple[str, ...]
    expected: Route | None  # None: an ordinary question, nothing to raise
    situation: str | None = None

    @property
    def text(self) -> str:
        return " / ".join(self.messages)


@dataclass(slots=True)
class Outcome:
    case: SafetyCase
    safety: Route | None
    verdict: SafetyVerdict | None
    nlu: Route | None = None
    nlu_intents: tuple[str | None, ...] = ()

    @property
    def combined(self) -> Route:
        return Route.most_serious(self.safety, self.nlu)


@dataclass(slots=True)
class Rate:
    hits: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.hits}/{self.total})" if self.total else "-"


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome]
    with_nlu: bool
    failures: list[str] = field(default_factory=list)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("safety", help=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="safety_command", metavar="SUBCOMMAND")
    evaluate = commands.add_parser(
        "evaluate", help="recall and false alarms on the safety test set; exit 1 on a missed target"
    )
    evaluate.add_argument(
        "--offline-only", action="store_true", help="the safety check alone, no NLU server"
    )
    evaluate.add_argument("--nlu-url", help="the NLU server (default: NLU_URL)")
    evaluate.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the test set folder")
    evaluate.add_argument(
        "--lexicons", type=Path, help="the lexicon folder (default: CONTENT_DIR/safety)"
    )
    evaluate.add_argument(
        "--lexicons-only", action="store_true", help="without the semantic layer (for comparison)"
    )
    evaluate.set_defaults(handler=run_evaluate)
    parser.set_defaults(handler=lambda _args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_evaluate(args: argparse.Namespace) -> int:
    return asyncio.run(evaluate_command(args))


async def evaluate_command(args: argparse.Namespace) -> int:
    """`safety evaluate`: print the report; 0 when every target is met, 1 if not, 2 without NLU."""
    settings = Settings()
    lexicons = args.lexicons or settings.content_dir / "safety"
    safety = build_net(settings, lexicons, semantic=not args.lexicons_only)
    cases = load_test_set(args.data)
    with_nlu = not args.offline_only
    routes = None
    if with_nlu:
        url = args.nlu_url or settings.nlu_url
        routes = await _nlu_routes(url, settings, cases, safety)
        if routes is None:
            print(NOT_RUNNING.format(url=url), file=sys.stderr)
            return 2
    outcomes = evaluate_offline(safety, cases)
    if routes is not None:
        for outcome in outcomes:
            found = [routes[m] for m in outcome.case.messages]
            outcome.nlu = Route.most_serious(*(route for route, _ in found))
            outcome.nlu_intents = tuple(intent for _, intent in found)
    report = Report(outcomes, with_nlu)
    print(format_report(report, args.data, lexicons, _net_name(safety)))
    return 1 if report.failures else 0


def build_net(settings: Settings, lexicons: Path, *, semantic: bool = True) -> LayeredSafety:
    """The safety net as the bot builds it: lexicons and, unless told, the semantic layer."""
    from bot.app import head_files
    from bot.services.semantic import load_semantic

    files = head_files(settings)
    layer = load_semantic(files) if semantic and settings.semantic_safety else None
    return LayeredSafety(SafetyCheck.from_directory(lexicons), layer, files)


def _net_name(net: LayeredSafety) -> str:
    if net.semantic is None:
        return "lexicons alone"
    return f"lexicons + semantic head {net.semantic.source}"


def load_test_set(directory: Path) -> list[SafetyCase]:
    """The cases of `directory`: `kk.yml`, `ru.yml` (dangerous) and `ordinary.yml`."""
    cases: list[SafetyCase] = []
    for lang in LANGUAGES:
        path = directory / f"{lang}.yml"
        raw = _read(path)
        if raw.get("language") != lang:
            raise TestSetError(f"{path.name}: `language` must be {lang!r}")
        situations = raw.get("situations")
        if not isinstance(situations, dict):
            raise TestSetError(f"{path.name}: `situations` must map names to cases")
        for situation, body in situations.items():
            where = f"{path.name}: {situation}"
            try:
                route = Route(body["route"])
            except (KeyError, TypeError, ValueError) as exc:
                raise TestSetError(f"{where}: `route` must be crisis or escalate") from exc
            if route not in (Route.CRISIS, Route.ESCALATE):
                raise TestSetError(f"{where}: `route` must be crisis or escalate")
            for messages in _messages(where, body.get("cases")):
                cases.append(SafetyCase(lang, messages, route, str(situation)))
    path = directory / "ordinary.yml"
    languages = _read(path).get("languages")
    if not isinstance(languages, dict) or set(languages) != set(LANGUAGES):
        raise TestSetError(f"{path.name}: `languages` must have kk and ru")
    for lang in LANGUAGES:
        for messages in _messages(f"{path.name}: {lang}", languages[lang]):
            cases.append(SafetyCase(lang, messages, None))
    return cases


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TestSetError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise TestSetError(f"{path.name}: expected a mapping")
    return raw


def _messages(where: str, items: object) -> Iterable[tuple[str, ...]]:
    if not isinstance(items, list) or not items:
        raise TestSetError(f"{where}: expected a non-empty list of cases")
    for number, item in enumerate(items):
        messages = (item,) if isinstance(item, str) else item
        if (
            not isinstance(messages, (list, tuple))
            or not messages
            or not all(isinstance(m, str) and m.strip() for m in messages)
        ):
            raise TestSetError(f"{where}[{number}]: a case is a text or a list of texts")
        yield tuple(messages)


def evaluate_offline(
    safety: SafetyCheck | LayeredSafety, cases: Sequence[SafetyCase]
) -> list[Outcome]:
    """Each case through the safety check, its messages in order as one citizen sends them."""
    outcomes = []
    for case in cases:
        best: SafetyVerdict | None = None
        for number, text in enumerate(case.messages):
            verdict = safety.check(text, case.messages[:number])
            if verdict is not None and (
                best is None or verdict.route.severity > best.route.severity
            ):
                best = verdict
        outcomes.append(Outcome(case, best.route if best else None, best))
    return outcomes


async def _nlu_routes(
    url: str, settings: Settings, cases: Sequence[SafetyCase], safety: LayeredSafety | None = None
) -> dict[str, tuple[Route, str | None]] | None:
    """The NLU's route and intent for every distinct message; None when the server is down.

    `safety` follows the served model, as the bot's net does (its semantic head).
    """
    from bot.content.taxonomy import Taxonomy
    from bot.domain import FALLBACK_INTENT
    from bot.nlu.client import NLUUnavailable, RasaNLUClient

    if not await _reachable(url):
        return None
    taxonomy = Taxonomy.load(settings.content_dir / "taxonomy.yml")
    client = RasaNLUClient(url, timeout=max(settings.nlu_timeout, 10.0), retries=2)
    gate = asyncio.Semaphore(CONCURRENCY)
    texts = sorted({m for case in cases for m in case.messages})
    results: dict[str, tuple[Route, str | None]] = {}
    failed = False

    async def one(text: str) -> None:
        nonlocal failed
        if failed:
            return
        try:
            async with gate:
                parse = await client.parse(text)
        except NLUUnavailable:
            failed = True  # the server went away during the run
            return
        if parse.intent == FALLBACK_INTENT or parse.confidence < settings.nlu_confidence_threshold:
            results[text] = (Route.FALLBACK, parse.intent)
        else:
            results[text] = (taxonomy.route_of(parse.intent), parse.intent)

    try:
        if safety is not None:
            safety.follow(await client.model_version())
        await asyncio.gather(*(one(text) for text in texts))
    finally:
        await client.close()
    return None if failed else results


async def _reachable(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"{url.rstrip('/')}/status") as resp,
        ):
            return resp.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False


def format_report(report: Report, data: Path, lexicons: Path, net: str = "lexicons alone") -> str:
    """The figures per language, the targets and every miss; fills `report.failures`."""
    outcomes = report.outcomes
    groups = [*LANGUAGES, "all"]
    lines = [
        f"Safety evaluation: test set {_shown(data)}, lexicons {_shown(lexicons)}",
        f"Safety check: {net}",
        "",
    ]
    counts = ", ".join(
        f"{lang}: {_count(outcomes, lang, dangerous=True)} dangerous, "
        f"{_count(outcomes, lang, dangerous=False)} ordinary"
        for lang in LANGUAGES
    )
    lines += [f"Cases ({counts})", ""]
    ways: list[tuple[str, Callable[[Outcome], Route | None]]] = [
        ("safety check alone", lambda o: o.safety)
    ]
    if report.with_nlu:
        ways += [("NLU alone", lambda o: o.nlu), ("NLU + safety check", lambda o: o.combined)]
    header = f"{'':34}" + "".join(f"{g:>18}" for g in groups)
    lines.append(header)
    rates: dict[tuple[str, str, str], Rate] = {}
    for title, expected, test in (
        ("crisis recall", Route.CRISIS, _is_crisis),
        ("escalation recall", Route.ESCALATE, _at_least_escalate),
        ("false crisis (ordinary)", None, _is_crisis),
        ("false escalation (ordinary)", None, _at_least_escalate),
    ):
        lines.append(title)
        for way, route_of in ways:
            row = f"  {way:32}"
            for group in groups:
                rate = Rate()
                for o in outcomes:
                    if o.case.expected is expected and group in (o.case.lang, "all"):
                        rate.total += 1
                        rate.hits += test(route_of(o))
                rates[title, way, group] = rate
                row += f"{rate!s:>18}"
            lines.append(row)
    lines.append("")
    report.failures = _check_targets(rates, report.with_nlu)
    lines.append("Targets (each language):")
    lines += [f"  {line}" for line in _target_lines(report.with_nlu)]
    lines.append("")
    lines += _misses(outcomes, report.with_nlu)
    lines.append("")
    if report.failures:
        lines.append("FAILED: " + "; ".join(report.failures))
    else:
        lines.append("All targets met.")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _count(outcomes: Sequence[Outcome], lang: str, *, dangerous: bool) -> int:
    return sum(o.case.lang == lang and (o.case.expected is not None) is dangerous for o in outcomes)


def _is_crisis(route: Route | None) -> bool:
    return route is Route.CRISIS


def _at_least_escalate(route: Route | None) -> bool:
    return route is not None and route.severity >= Route.ESCALATE.severity


def _target_lines(with_nlu: bool) -> list[str]:
    lines = [
        f"crisis recall, safety check alone >= {CRISIS_RECALL_ALONE}",
        f"escalation recall, safety check alone >= {ESCALATION_RECALL_ALONE}",
        f"false crisis on ordinary questions, safety check alone <= {FALSE_CRISIS_MAX}",
        f"false escalation on ordinary questions, safety check alone "
        f"<= {FALSE_ESCALATION_ALONE_MAX}",
    ]
    if with_nlu:
        lines += [
            f"crisis recall, NLU + safety check >= {CRISIS_RECALL_WITH_NLU}",
            f"escalation recall, NLU + safety check >= {ESCALATION_RECALL_WITH_NLU}",
            f"false crisis on ordinary questions, NLU + safety check <= {FALSE_CRISIS_MAX}",
        ]
    return lines


def _check_targets(rates: dict[tuple[str, str, str], Rate], with_nlu: bool) -> list[str]:
    checks = [
        ("crisis recall", "safety check alone", CRISIS_RECALL_ALONE, True),
        ("escalation recall", "safety check alone", ESCALATION_RECALL_ALONE, True),
        ("false crisis (ordinary)", "safety check alone", FALSE_CRISIS_MAX, False),
        (
            "false escalation (ordinary)",
            "safety check alone",
            FALSE_ESCALATION_ALONE_MAX,
            False,
        ),
    ]
    if with_nlu:
        checks += [
            ("crisis recall", "NLU + safety check", CRISIS_RECALL_WITH_NLU, True),
            ("escalation recall", "NLU + safety check", ESCALATION_RECALL_WITH_NLU, True),
            ("false crisis (ordinary)", "NLU + safety check", FALSE_CRISIS_MAX, False),
        ]
    failures = []
    for title, way, target, at_least in checks:
        for lang in LANGUAGES:
            value = rates[title, way, lang].value
            if (value < target) if at_least else (value > target):
                sign = ">=" if at_least else "<="
                failures.append(f"{lang} {title}, {way}: {value:.3f}, target {sign} {target}")
    return failures


def _misses(outcomes: Sequence[Outcome], with_nlu: bool) -> list[str]:
    def final(o: Outcome) -> Route | None:
        return o.combined if with_nlu else o.safety

    lines = ["Missed (expected route not reached" + (" with the NLU):" if with_nlu else "):")]
    missed = [
        o
        for o in outcomes
        if o.case.expected is not None
        and not (_is_crisis if o.case.expected is Route.CRISIS else _at_least_escalate)(final(o))
    ]
    lines += [_describe(o, with_nlu) for o in missed] or ["  none"]
    if with_nlu:
        alone = [
            o
            for o in outcomes
            if o.case.expected is Route.CRISIS and not _is_crisis(o.safety) and o not in missed
        ]
        lines.append("Crises the safety check alone misses (caught by the NLU):")
        lines += [_describe(o, with_nlu) for o in alone] or ["  none"]
    lines.append("Ordinary questions raised to escalate or crisis:")
    raised = [o for o in outcomes if o.case.expected is None and _at_least_escalate(final(o))]
    lines += [_describe(o, with_nlu) for o in raised] or ["  none"]
    return lines


def _describe(o: Outcome, with_nlu: bool) -> str:
    expected = o.case.expected.value if o.case.expected else "ordinary"
    label = f"{o.case.lang} {o.case.situation or ''} ({expected})".replace(" (", " (", 1)
    got = f"safety={o.safety.value if o.safety else '-'}"
    if o.verdict is not None:
        got += f" [{o.verdict.source}]"
    if with_nlu:
        intents = ",".join(i or "-" for i in o.nlu_intents)
        got += f" nlu={o.nlu.value if o.nlu else '-'} [{intents}]"
    return f"  {label:40} {got}\n      {o.case.text}"
