"""`python -m bot content ACTION`: the editors' tools.

- `validate`: Rasa's own data validation plus the project's checks, each
  problem with file and line; exit code 1 on errors, warnings do not fail.
- `evaluate`: train on most examples, test on the held-out rest, and write
  a report (accuracy, route-level recall, worst errors, confusion matrix).
- `review`: questions the bot did not understand, assigned to intents
  (written into nlu_data in their language) or dismissed.
- `publish`: validate, evaluate, refuse regressions, train, hot-reload.

Each action is one `_add_<action>(actions)` function below that registers its
parser and handler; a new action (e.g. `review`, `publish`) is one more
function added to `ACTIONS`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.nlu.tooling import REPO_ROOT, Project, ToolingError

DEFAULT_REPORT_DIR = Path("reports") / "evaluate"


def project(settings: Settings | None = None, root: Path = REPO_ROOT) -> Project:
    """The checkout and the cache configured by KENES_CACHE (or .env)."""
    settings = settings or Settings()
    return Project(root=root, cache=settings.kenes_cache)


def _add_validate(actions: Any) -> None:
    parser = actions.add_parser(
        "validate", help="check domain.yml, nlu_data/ and content/ (exit 1 on errors)"
    )
    parser.add_argument(
        "--no-rasa",
        action="store_true",
        help="skip `rasa data validate` (fast; needs no Rasa virtualenv)",
    )
    parser.add_argument("--quiet", action="store_true", help="errors only, no warnings")
    parser.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    from bot.ui.composed_checks import validate

    try:
        report = validate(project().root, rasa=not args.no_rasa, project=project())
    except ToolingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.render(warnings=not args.quiet))
    return 1 if report.errors else 0


def _add_evaluate(actions: Any) -> None:
    parser = actions.add_parser(
        "evaluate", help="train on a split, test the held-out examples, write a report"
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        metavar="K",
        help="stratified K-fold cross-validation instead of one 80/20 split",
    )
    parser.add_argument(
        "--compare", metavar="REF", help="also evaluate git REF and show both side by side"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help=f"where to write report.md, report.json, confusion.png (default {DEFAULT_REPORT_DIR})",
    )
    parser.add_argument(
        "--config", type=Path, help="an alternative pipeline to evaluate (default config.yml)"
    )
    parser.add_argument(
        "--threshold", type=float, help="confidence threshold (default NLU_CONFIDENCE_THRESHOLD)"
    )
    parser.add_argument("--seed", type=int, help="the split's random seed")
    parser.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from bot.content import evaluate as ev
    from bot.content.evaluation_report import summary, write_report

    settings = Settings()
    threshold = settings.nlu_confidence_threshold if args.threshold is None else args.threshold
    seed = ev.DEFAULT_SEED if args.seed is None else args.seed
    if args.folds == 1 or args.folds < 0:
        print("error: --folds needs K >= 2", file=sys.stderr)
        return 2
    config = args.config.resolve() if args.config else None
    try:
        scores = ev.evaluate(
            project(settings), threshold=threshold, folds=args.folds, seed=seed, config=config
        )
        print(f"this version: {summary(scores)}")
        compare = None
        if args.compare:
            with ev.worktree(REPO_ROOT, args.compare) as tree:
                theirs = ev.evaluate(
                    project(settings, tree), threshold=threshold, folds=args.folds, seed=seed
                )
            print(f"{args.compare}: {summary(theirs)}")
            compare = (args.compare, theirs)
        written = write_report(scores, args.out, compare=compare)
    except ToolingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("report: " + ", ".join(str(p) for p in written))
    return 0


def _add_review(actions: Any) -> None:
    parser = actions.add_parser(
        "review", help="assign questions the bot did not understand to intents, or dismiss them"
    )
    parser.add_argument("--list", action="store_true", help="only list them, newest first")
    parser.add_argument("--limit", type=int, default=50)
    parser.set_defaults(handler=run_review)


def run_review(args: argparse.Namespace) -> int:

    return asyncio.run(_review(args))


async def _review(args: argparse.Namespace) -> int:
    from bot.content.review import ReviewError, ReviewService
    from bot.content.taxonomy import Taxonomy
    from bot.db.engine import create_engine, session_factory

    settings = Settings()
    taxonomy = Taxonomy.load(settings.content_dir / "taxonomy.yml")
    names = list(taxonomy.intents)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            review = ReviewService(session, settings.nlu_data_dir, names)
            pending = await review.pending(args.limit)
            if not pending:
                print("Nothing to review.")
                return 0
            if args.list:
                for q in pending:
                    print(
                        f"#{q.id} [{q.lang}] {q.asked_at:%Y-%m-%d %H:%M} "
                        f"(NLU: {q.intent} {q.confidence:.2f}) {q.text}"
                    )
                return 0
            print(
                "For each question type an intent name or its number, "
                "d to dismiss, Enter to skip, q to quit. `?` lists the intents."
            )
            for q in pending:
                print(
                    f"\n#{q.id} [{q.lang}] {q.text}\n  the NLU thought: {q.intent} "
                    f"({q.confidence:.2f})"
                )
                while True:
                    answer = (await asyncio.to_thread(input, "intent › ")).strip()
                    if answer == "?":
                        print("  " + "  ".join(f"{i}:{n}" for i, n in enumerate(names, 1)))
                        continue
                    if answer == "q":
                        return 0
                    if not answer:
                        break
                    try:
                        if answer == "d":
                            await review.dismiss(q.id)
                            print("  dismissed")
                        else:
                            intent = names[int(answer) - 1] if answer.isdigit() else answer
                            path = await review.assign(q.id, intent)
                            print(f"  added to {intent} in {path}")
                        break
                    except (ReviewError, IndexError) as exc:
                        print(f"  {exc}")
    finally:
        await engine.dispose()
    return 0


def _add_publish(actions: Any) -> None:
    parser = actions.add_parser(
        "publish",
        help="validate, evaluate, train, and load the model into the running NLU server",
    )
    parser.add_argument(
        "--force", action="store_true", help="publish even if a route-level figure got worse"
    )
    parser.set_defaults(handler=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    from bot.content.evaluation_report import summary
    from bot.content.publish import publish
    from bot.ui.composed_checks import UPPER_CHECKS

    settings = Settings()
    try:
        result = publish(
            project(settings),
            threshold=settings.nlu_confidence_threshold,
            nlu_url=settings.nlu_url,
            force=args.force,
            upper_checks=UPPER_CHECKS,
        )
    except ToolingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if result.scores is not None:
        print(f"this version: {summary(result.scores)}")
    if not result.published:
        print("NOT published:")
        for reason in result.reasons:
            print(f"  {reason}")
        print("Fix the data, or publish anyway with --force.")
        return 1
    print(f"published {result.model.name if result.model else ''}")
    print(
        "the running NLU server now uses it"
        if result.reloaded
        else f"no NLU server answered at {settings.nlu_url}; it will be used at the next start"
    )
    return 0


ACTIONS: list[Callable[[Any], None]] = [_add_validate, _add_evaluate, _add_review, _add_publish]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "content",
        help="editors' tools: " + ", ".join(f.__name__.removeprefix("_add_") for f in ACTIONS),
    )
    actions = parser.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    for add in ACTIONS:
        add(actions)
