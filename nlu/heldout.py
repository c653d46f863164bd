"""Train on part of the data and predict the rest, in one Rasa process.

`python -m bot content evaluate` splits the examples (in the bot's
environment, so the split is testable without Rasa) and runs this script in
the Rasa virtualenv:

    python -m nlu.heldout JOB.json RESULT.json

JOB.json: {"config": path, "domain": path or null, "ranking_size": int (optional),
           "folds": [{"train": [{"intent", "example"}], "test": [text, ...]}]}
RESULT.json: {"folds": [{"train_seconds", "parse_seconds",
                         "predictions": [{"intent", "confidence", "ranking", "semantic",
                                          "semantic_scores"}]}]}

Each fold's model is loaded in-process, so parsing costs milliseconds per
example instead of a server round trip or a new process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

RANKING_SIZE = 5


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    logging.basicConfig(level=logging.WARNING)


def write_training_data(examples: list[dict[str, str]], path: Path) -> None:
    """Rasa NLU YAML with `examples` grouped by intent, annotations kept."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        by_intent[example["intent"]].append(" ".join(example["example"].split()))
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def _predict(
    model_path: str, texts: list[str], ranking_size: int = RANKING_SIZE
) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    predictions = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed.get("intent") or {}
        ranking = [
            [str(r.get("name")), float(r.get("confidence") or 0.0)]
            for r in (parsed.get("intent_ranking") or [])[:ranking_size]
        ]
        semantic = parsed.get("kenes_safety") or {}
        predictions.append(
            {
                "intent": intent.get("name"),
                "confidence": float(intent.get("confidence") or 0.0),
                "ranking": ranking,
                # The fold's semantic safety head (KenesSafetyHead): its route or null.
                "semantic": semantic.get("route"),
                "semantic_scores": [semantic.get("crisis"), semantic.get("sensitive")],
            }
        )
    return predictions


def run_fold(
    fold: dict[str, Any], config: str, domain: str | None, ranking_size: int = RANKING_SIZE
) -> dict[str, Any]:
    from rasa.model_training import train_nlu

    from nlu.train import fast_model_package, no_training_cache

    no_training_cache()
    fast_model_package()

    with tempfile.TemporaryDirectory(prefix="kenes-heldout-") as tmp:
        data = Path(tmp) / "nlu.yml"
        write_training_data(fold["train"], data)
        started = time.monotonic()
        model = train_nlu(config, str(data), str(Path(tmp) / "models"), domain=domain)
        train_seconds = time.monotonic() - started
        if model is None:
            raise RuntimeError("rasa produced no model")
        started = time.monotonic()
        predictions = asyncio.run(_predict(model, list(fold["test"]), ranking_size))
        parse_seconds = time.monotonic() - started
    return {
        "train_seconds": train_seconds,
        "parse_seconds": parse_seconds,
        "predictions": predictions,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m nlu.heldout JOB.json RESULT.json", file=sys.stderr)
        return 2
    _quiet()
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    folds = []
    for number, fold in enumerate(job["folds"], 1):
        print(f"fold {number}/{len(job['folds'])}: training ...", file=sys.stderr, flush=True)
        folds.append(
            run_fold(
                fold,
                job["config"],
                job.get("domain"),
                int(job.get("ranking_size") or RANKING_SIZE),
            )
        )
        print(
            f"fold {number}: trained in {folds[-1]['train_seconds']:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    Path(argv[1]).write_text(json.dumps({"folds": folds}, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
