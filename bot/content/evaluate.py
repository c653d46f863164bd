"""`python -m bot content evaluate`: how well the NLU understands held-out examples.

The examples of each intent and language are split with a fixed seed (20 %
held out, or K folds); a model is trained on the rest in the Rasa virtualenv
and asked about the held-out part, in one process (`nlu/heldout.py`). The
report answers the questions editors and reviewers ask before publishing:

- accuracy per language and precision / recall / F1 per intent;
- route-level figures, which matter more than intents: are sensitive
  messages (escalate, crisis) recognised as such, and are ordinary questions
  wrongly escalated? A prediction of `nlu_fallback` or below the confidence
  threshold counts as the fallback route, exactly as in the bot;
- the same route figures for the bot's routes: the most serious of the NLU's
  route, the lexicons' (content/safety/) and the semantic safety head's (the
  one the fold's model trained, `kenes_safety` in its parse), as the bot
  decides. The NLU figures say how good the model is; the bot figures say what
  citizens get. The lexicons are not trained on the split, but their authors
  may have read the training data, so the unbiased figure for the safety
  check is `python -m bot safety evaluate` on its own test set;
- the 20 worst errors with file and line, and a confusion matrix picture.

`--compare REF` evaluates a git ref the same way in a temporary worktree and
puts both versions side by side. The report itself is `bot.content.evaluation_report`'s.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.content.taxonomy import Taxonomy
from bot.domain import FALLBACK_INTENT, Route
from bot.nlp.safety import SafetyCheck
from bot.nlu.data import Example, read_examples
from bot.nlu.tooling import Project, ToolingError, ensure_venv

DEFAULT_SEED = 2024
DEFAULT_TEST_FRACTION = 0.2
WORST_ERRORS = 20
SENSITIVE = frozenset({Route.ESCALATE, Route.CRISIS})
ORDINARY = frozenset({Route.FAQ, Route.SERVICE})
HELDOUT_SCRIPT = Path(__file__).resolve().parents[2] / "nlu" / "heldout.py"


# --- splitting ---------------------------------------------------------------


Fold = tuple[list[Example], list[Example]]


def _groups(examples: Sequence[Example], seed: int) -> Iterator[list[Example]]:
    """The examples of each (language, intent), each group shuffled reproducibly."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.lang, example.intent)].append(example)
    for key in sorted(groups):
        # Sorted first, so the split depends on the examples, not on file order.
        group = sorted(groups[key], key=lambda e: (str(e.path), e.line, e.raw))
        random.Random(f"{seed}:{key[0]}:{key[1]}").shuffle(group)
        yield group


def holdout_split(
    examples: Sequence[Example],
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = DEFAULT_SEED,
) -> Fold:
    """Train and test parts, stratified by language and intent, the same on every run."""
    train: list[Example] = []
    test: list[Example] = []
    for group in _groups(examples, seed):
        n_test = round(len(group) * test_fraction) if len(group) > 1 else 0
        n_test = max(1, n_test) if len(group) > 1 else 0
        test.extend(group[:n_test])
        train.extend(group[n_test:])
    return train, test


def kfold_split(examples: Sequence[Example], k: int, seed: int = DEFAULT_SEED) -> list[Fold]:
    """K stratified folds: every example is tested exactly once."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    assigned: list[list[Example]] = [[] for _ in range(k)]
    offset = 0
    for group in _groups(examples, seed):
        for i, example in enumerate(group):
            # Rotate the start so small groups do not all land in fold 0.
            assigned[(i + offset) % k].append(example)
        offset += len(group)
    return [
        ([e for j, part in enumerate(assigned) if j != i for e in part], assigned[i])
        for i in range(k)
    ]


# --- running Rasa --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()
    # The route of the fold's semantic safety head (crisis, escalate) or None.
    semantic: str | None = None
    # (P(crisis), P(crisis or escalate)) by that head, or None without one.
    semantic_scores: tuple[float, float] | None = None

    @property
    def top_intent(self) -> str | None:
        """The classifier's best intent, looking past the fallback classifier's verdict."""
        if self.intent != FALLBACK_INTENT:
            return self.intent
        for name, _ in self.ranking:
            if name != FALLBACK_INTENT:
                return name
        return None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Prediction:
        return cls(
            intent=raw.get("intent"),
            confidence=float(raw.get("confidence") or 0.0),
            ranking=tuple((str(n), float(c)) for n, c in raw.get("ranking") or ()),
            semantic=str(raw["semantic"]) if raw.get("semantic") else None,
            semantic_scores=_scores(raw.get("semantic_scores")),
        )


def _scores(raw: Any) -> tuple[float, float] | None:
    if not isinstance(raw, list) or len(raw) != 2 or None in raw:
        return None
    return float(raw[0]), float(raw[1])


@dataclass(frozen=True, slots=True)
class FoldRun:
    test: list[Example]
    predictions: list[Prediction]
    train_seconds: float
    parse_seconds: float


def run_folds(
    project: Project,
    folds: Sequence[Fold],
    *,
    config: Path | None = None,
    ranking_size: int | None = None,
) -> list[FoldRun]:
    """Train on each fold's train part and predict its test part, in the Rasa venv.

    Each prediction keeps the `ranking_size` likeliest intents (default 5).
    """
    ensure_venv(project)
    job = {
        "config": str(config or project.config),
        "domain": str(project.domain) if project.domain.is_file() else None,
        "ranking_size": ranking_size,
        "folds": [
            {
                "train": [{"intent": e.intent, "example": e.raw} for e in train],
                "test": [e.text for e in test],
            }
            for train, test in folds
        ],
    }
    with tempfile.TemporaryDirectory(prefix="kenes-evaluate-") as tmp:
        job_path = Path(tmp) / "job.json"
        result_path = Path(tmp) / "result.json"
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        # The script is run by path so the evaluated checkout's own `nlu`
        # package (first on PYTHONPATH) is the one Rasa loads.
        result = subprocess.run(
            [str(project.python), str(HELDOUT_SCRIPT), str(job_path), str(result_path)],
            cwd=project.root,
            env=project.rasa_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not result_path.is_file():
            sys.stderr.write(result.stderr[-6000:])
            raise ToolingError(f"training for the evaluation failed (exit {result.returncode})")
        raw = json.loads(result_path.read_text(encoding="utf-8"))
    runs = []
    for (_, test), fold in zip(folds, raw["folds"], strict=True):
        runs.append(
            FoldRun(
                test=list(test),
                predictions=[Prediction.from_json(p) for p in fold["predictions"]],
                train_seconds=float(fold["train_seconds"]),
                parse_seconds=float(fold["parse_seconds"]),
            )
        )
    return runs


# --- scoring -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class ErrorCase:
    text: str
    lang: str
    expected: str
    predicted: str | None
    confidence: float
    expected_route: str
    predicted_route: str
    where: str


@dataclass
class Scores:
    """Every figure of one evaluation; `to_json()` is report.json."""

    examples: int
    threshold: float
    accuracy: float
    accuracy_by_lang: dict[str, float]
    confident_accuracy_by_lang: dict[str, float]
    route_accuracy: float
    escalation_recall: float
    crisis_recall: float
    false_escalation_rate: float
    fallback_rate: float
    intents: list[IntentScore]
    worst_errors: list[ErrorCase]
    confusion: dict[str, dict[str, int]]
    train_seconds: float
    parse_ms_per_example: float
    folds: int
    config: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    false_crisis_rate: float = 0.0
    # The bot's routes (NLU and safety check together); None without lexicons.
    bot: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def headline(self) -> dict[str, float]:
        """The figures compared side by side with another version."""
        return {
            "accuracy": self.accuracy,
            **{f"accuracy {lang}": v for lang, v in sorted(self.accuracy_by_lang.items())},
            **{
                f"confident accuracy {lang}": v
                for lang, v in sorted(self.confident_accuracy_by_lang.items())
            },
            "route accuracy": self.route_accuracy,
            "escalation recall": self.escalation_recall,
            "crisis recall": self.crisis_recall,
            "false escalation rate": self.false_escalation_rate,
            "false crisis rate": self.false_crisis_rate,
            "fallback rate": self.fallback_rate,
            **{f"bot: {name}": value for name, value in (self.bot or {}).items()},
            "training seconds": self.train_seconds,
            "parse ms per example": self.parse_ms_per_example,
        }


def _ratio(hits: int, total: int, *, empty: float = 1.0) -> float:
    """hits / total; `empty` when there was nothing to count (a recall of nothing
    missed is 1, a rate of mistakes among nothing is 0)."""
    return hits / total if total else empty


def predicted_route(prediction: Prediction, taxonomy: Taxonomy, threshold: float) -> Route:
    """The route the bot would take: fallback for nlu_fallback or low confidence."""
    if prediction.intent in (None, FALLBACK_INTENT) or prediction.confidence < threshold:
        return Route.FALLBACK
    return taxonomy.route_of(prediction.intent)


class RouteTally:
    """Route-level counts of one way of routing (the NLU's, or the bot's).

    Also used by bench/frontier.py, which replays the route guard.
    """

    def __init__(self) -> None:
        self.sensitive = self.sensitive_hits = self.crisis = self.crisis_hits = 0
        self.ordinary = self.ordinary_escalated = self.ordinary_crisis = 0

    def add(self, expected: Route, route: Route) -> None:
        if expected in SENSITIVE:
            self.sensitive += 1
            self.sensitive_hits += route in SENSITIVE
        if expected is Route.CRISIS:
            self.crisis += 1
            self.crisis_hits += route is Route.CRISIS
        if expected in ORDINARY:
            self.ordinary += 1
            self.ordinary_escalated += route in SENSITIVE
            self.ordinary_crisis += route is Route.CRISIS

    def figures(self) -> dict[str, float]:
        return {
            "escalation recall": _ratio(self.sensitive_hits, self.sensitive),
            "crisis recall": _ratio(self.crisis_hits, self.crisis),
            "false escalation rate": _ratio(self.ordinary_escalated, self.ordinary, empty=0.0),
            "false crisis rate": _ratio(self.ordinary_crisis, self.ordinary, empty=0.0),
        }


def score(
    runs: Sequence[FoldRun],
    taxonomy: Taxonomy,
    threshold: float,
    *,
    config: str = "",
    safety: SafetyCheck | None = None,
) -> Scores:
    """Every figure for `runs`; with `safety`, also the bot's routes (NLU + safety check)."""
    pairs = [(e, p) for run in runs for e, p in zip(run.test, run.predictions, strict=True)]
    by_lang: dict[str, list[bool]] = defaultdict(list)
    confident_by_lang: dict[str, list[bool]] = defaultdict(list)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    true_pos: Counter[str] = Counter()
    predicted_count: Counter[str] = Counter()
    support: Counter[str] = Counter()
    route_hits = in_scope = in_scope_fallback = 0
    nlu = RouteTally()
    bot = RouteTally()
    errors: list[tuple[tuple[int, float], ErrorCase]] = []
    for example, prediction in pairs:
        top = prediction.top_intent
        right = top == example.intent
        by_lang[example.lang].append(right)
        route = predicted_route(prediction, taxonomy, threshold)
        expected_route = taxonomy.route_of(example.intent)
        confident_by_lang[example.lang].append(right and route is expected_route)
        unsure = prediction.intent in (None, FALLBACK_INTENT) or prediction.confidence < threshold
        confusion[example.intent]["(fallback)" if unsure else top or "(none)"] += 1
        support[example.intent] += 1
        predicted_count[top or "(none)"] += 1
        if right:
            true_pos[example.intent] += 1
        route_hits += route is expected_route
        nlu.add(expected_route, route)
        if safety is not None:
            finding = safety.check(example.text)
            semantic = Route(prediction.semantic) if prediction.semantic else None
            bot.add(
                expected_route,
                Route.most_serious(route, finding.route if finding else None, semantic),
            )
        if expected_route is not Route.FALLBACK:
            in_scope += 1
            in_scope_fallback += route is Route.FALLBACK
        if not right or route is not expected_route:
            # Worst first: a missed sensitive message, then confident mistakes.
            missed = expected_route.severity > route.severity and expected_route in SENSITIVE
            errors.append(
                (
                    (0 if missed else 1, -prediction.confidence),
                    ErrorCase(
                        text=example.text,
                        lang=example.lang,
                        expected=example.intent,
                        predicted=prediction.intent,
                        confidence=round(prediction.confidence, 4),
                        expected_route=expected_route.value,
                        predicted_route=route.value,
                        where=example.where,
                    ),
                )
            )
    intents = []
    for intent in sorted(support):
        precision = _ratio(true_pos[intent], predicted_count[intent])
        recall = _ratio(true_pos[intent], support[intent])
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        intents.append(IntentScore(intent, precision, recall, f1, support[intent]))
    errors.sort(key=lambda item: item[0])
    nlu_figures = nlu.figures()
    parse_seconds = sum(r.parse_seconds for r in runs)
    return Scores(
        examples=len(pairs),
        threshold=threshold,
        accuracy=_ratio(sum(sum(v) for v in by_lang.values()), len(pairs)),
        accuracy_by_lang={lang: _ratio(sum(v), len(v)) for lang, v in sorted(by_lang.items())},
        confident_accuracy_by_lang={
            lang: _ratio(sum(v), len(v)) for lang, v in sorted(confident_by_lang.items())
        },
        route_accuracy=_ratio(route_hits, len(pairs)),
        escalation_recall=nlu_figures["escalation recall"],
        crisis_recall=nlu_figures["crisis recall"],
        false_escalation_rate=nlu_figures["false escalation rate"],
        false_crisis_rate=nlu_figures["false crisis rate"],
        bot=bot.figures() if safety is not None else None,
        fallback_rate=_ratio(in_scope_fallback, in_scope, empty=0.0),
        intents=intents,
        worst_errors=[case for _, case in errors[:WORST_ERRORS]],
        confusion={k: dict(v) for k, v in sorted(confusion.items())},
        train_seconds=sum(r.train_seconds for r in runs) / max(1, len(runs)),
        parse_ms_per_example=1000 * parse_seconds / max(1, len(pairs)),
        folds=len(runs),
        config=config,
    )


# --- evaluating a checkout -----------------------------------------------------


def evaluate(
    project: Project,
    *,
    threshold: float,
    folds: int = 0,
    seed: int = DEFAULT_SEED,
    config: Path | None = None,
) -> Scores:
    """Split, train, predict and score one checkout (folds=0: one 80/20 split)."""
    examples = read_examples(project.nlu_data)
    if not examples:
        raise ToolingError(f"no training examples under {project.nlu_data}")
    splits = kfold_split(examples, folds, seed) if folds else [holdout_split(examples, seed=seed)]
    taxonomy = Taxonomy.load(project.root / "content" / "taxonomy.yml")
    runs = run_folds(project, splits, config=config)
    lexicons = project.root / "content" / "safety"
    safety = SafetyCheck.from_directory(lexicons) if any(lexicons.glob("*.yml")) else None
    return score(runs, taxonomy, threshold, config=str(config or project.config), safety=safety)


@contextlib.contextmanager
def worktree(root: Path, ref: str) -> Iterator[Path]:
    """A detached temporary worktree of `ref`, removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="kenes-compare-"))
    path = tmp / "tree"
    result = subprocess.run(
        ["git", "-C", str(root), "worktree", "add", "--detach", str(path), ref],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tmp.rmdir()
        raise ToolingError(f"cannot check out {ref!r}: {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(root), "worktree", "remove", "--force", str(path)],
            capture_output=True,
            check=False,
        )
        subprocess.run(["git", "-C", str(root), "worktree", "prune"], check=False)
        with contextlib.suppress(OSError):
            tmp.rmdir()
