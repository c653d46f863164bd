"""Editors' review of questions the bot did not understand.

The message log keeps the text of low-confidence messages (and only those).
An editor assigns each to an intent, which appends it as a training example to
`nlu_data/<lang>/reviewed.yml`, or dismisses it; either way the text is then
removed from the log, so it is kept no longer than needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.repositories import MessageLogRepository

REVIEWED_FILE = "reviewed.yml"


@dataclass(frozen=True, slots=True)
class PendingQuestion:
    id: int
    lang: str
    text: str
    intent: str | None
    confidence: float
    asked_at: datetime


class ReviewError(ValueError):
    pass


class ReviewService:
    def __init__(self, session: AsyncSession, nlu_data_dir: Path, intents: Sequence[str]) -> None:
        self._session = session
        self._log = MessageLogRepository(session)
        self._nlu_data_dir = nlu_data_dir
        self._intents = set(intents)

    async def pending(self, limit: int = 50) -> list[PendingQuestion]:
        """Questions waiting for review, newest first."""
        return [
            PendingQuestion(
                id=entry.id,
                lang=entry.lang,
                text=entry.text or "",
                intent=entry.intent,
                confidence=entry.confidence,
                asked_at=entry.created_at,
            )
            for entry in await self._log.unreviewed_texts(limit)
        ]

    async def assign(self, entry_id: int, intent: str) -> Path:
        """Add the question as an example of `intent`; returns the file written."""
        if intent not in self._intents:
            raise ReviewError(f"unknown intent {intent!r}")
        entry = await self._log.get(entry_id)
        if entry is None or entry.text is None or entry.reviewed:
            raise ReviewError(f"no question #{entry_id} waiting for review")
        path = add_example(self._nlu_data_dir / entry.lang / REVIEWED_FILE, intent, entry.text)
        await self._log.mark_reviewed(entry_id)
        await self._session.commit()
        return path

    async def dismiss(self, entry_id: int) -> None:
        entry = await self._log.get(entry_id)
        if entry is None or entry.text is None or entry.reviewed:
            raise ReviewError(f"no question #{entry_id} waiting for review")
        await self._log.mark_reviewed(entry_id)
        await self._session.commit()


class _Literal(str):
    """A string written as a YAML literal block, like Rasa's `examples: |`."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _examples(block: dict[str, Any]) -> list[str]:
    return [
        line.strip()[2:].strip()
        for line in str(block.get("examples") or "").splitlines()
        if line.strip().startswith("- ")
    ]


def add_example(path: Path, intent: str, text: str) -> Path:
    """Append `text` under `intent` in a Rasa NLU file (created if missing)."""
    example = " ".join(text.split())
    if not example:
        raise ReviewError("an empty question cannot be an example")
    data: dict[str, Any] = {"version": "3.1", "nlu": []}
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or data
    blocks: list[dict[str, Any]] = data.setdefault("nlu", [])
    block = next((b for b in blocks if b.get("intent") == intent), None)
    if block is None:
        block = {"intent": intent, "examples": ""}
        blocks.append(block)
    examples = _examples(block)
    if example not in examples:
        examples.append(example)
    for b in blocks:
        lines = examples if b is block else _examples(b)
        b["examples"] = _Literal("".join(f"- {e}\n" for e in lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000),
        encoding="utf-8",
    )
    return path
