"""What training costs with the sentence encoder: from an empty embedding cache,
after an editor changed one example, and per fold of `content evaluate`.

1. Full training of the model for the current data with an empty embedding
   cache (a fresh folder given to the pipeline as $KENES_EMBEDDINGS): every
   example is embedded. Target: <= 5 minutes on the 2-core machine.
2. The same data with one example changed, on that cache: only the changed
   text is embedded. Target: <= 60 s.
3. `content evaluate --folds 5` with the warm cache (`--folds 0` skips it):
   the training seconds of each fold. Target: no slower than 52 s a fold.

The models are trained into a temporary folder; the clone's models/ and the
shared cache's models are not touched. It prints numbers; it asserts nothing.

    .venv/bin/python -m bench.training [--folds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import ROOT
from bot.nlu.tooling import Project, ensure_venv, train

MODEL_INPUTS = ("config.yml", "domain.yml", "nlu_data", "nlu", "bot", "content")


def copy_project(target: Path) -> Project:
    """A copy of what training reads, so one example can change without touching the clone."""
    for name in MODEL_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return Project(root=target)


def change_one_example(project: Project) -> None:
    """Append one new example to the first training file, as an editor would."""
    path = sorted((project.nlu_data / "ru").glob("*.yml"))[0]
    text = path.read_text(encoding="utf-8")
    marker = "  examples: |\n"
    index = text.index(marker) + len(marker)
    line = f"    - пример, добавленный редактором в {time.time():.0f}\n"
    path.write_text(text[:index] + line + text[index:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.training", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--folds", type=int, default=5, help="0: skip the evaluation")
    args = parser.parse_args()
    ensure_venv(Project())
    with tempfile.TemporaryDirectory(prefix="kenes-bench-training-") as tmp:
        work = Path(tmp)
        embeddings = work / "embeddings"
        os.environ["KENES_EMBEDDINGS"] = str(embeddings)
        (work / "clone").mkdir()
        project = copy_project(work / "clone")
        started = time.monotonic()
        train(project, work / "full.tar.gz")
        full = time.monotonic() - started
        print(f"full training, empty embedding cache:    {full:6.1f} s  (target <= 300 s)")
        change_one_example(project)
        started = time.monotonic()
        train(project, work / "changed.tar.gz")
        changed = time.monotonic() - started
        print(f"retraining after one changed example:    {changed:6.1f} s  (target <= 60 s)")
        if args.folds:
            from bot.content import evaluate as ev
            from bot.nlu.data import read_examples

            examples = read_examples(project.nlu_data)
            started = time.monotonic()
            runs = ev.run_folds(project, ev.kfold_split(examples, args.folds))
            wall = time.monotonic() - started
            per_fold = [round(r.train_seconds, 1) for r in runs]
            mean = sum(per_fold) / len(per_fold)
            print(
                f"content evaluate --folds {args.folds}, warm cache: {mean:6.1f} s a fold "
                f"(target <= 52 s); folds {per_fold}; {wall:.0f} s in all"
            )


if __name__ == "__main__":
    main()
