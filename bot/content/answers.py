"""Curated answers: the `utter_<intent>` responses of domain.yml, per language."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("kk", "ru")


@dataclass(frozen=True, slots=True)
class Fact:
    claim: str
    source: str
    verified: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """One curated answer in one language. `text` is Telegram HTML written by editors."""

    intent: str
    lang: str
    text: str
    resources: tuple[str, ...] = ()
    regional: bool = False
    facts: tuple[Fact, ...] = field(default=())
    # The text offers a specialist: a "talk to a specialist" button goes under it.
    specialist: bool = False


@dataclass(frozen=True, slots=True)
class AnswerBook:
    answers: dict[tuple[str, str], Answer]

    @classmethod
    def load(cls, domain_path: Path) -> AnswerBook:
        raw: dict[str, Any] = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
        answers: dict[tuple[str, str], Answer] = {}
        for name, variants in (raw.get("responses") or {}).items():
            if not name.startswith("utter_"):
                continue
            intent = name.removeprefix("utter_")
            for variant in variants or []:
                lang = _language_of(variant)
                if lang is None or "text" not in variant:
                    continue
                meta: dict[str, Any] = variant.get("metadata") or {}
                answers[(intent, lang)] = Answer(
                    intent=intent,
                    lang=lang,
                    text=str(variant["text"]).strip(),
                    resources=tuple(meta.get("resources") or ()),
                    regional=bool(meta.get("regional", False)),
                    specialist=bool(meta.get("specialist", False)),
                    facts=tuple(
                        Fact(
                            claim=str(f.get("claim", "")),
                            source=str(f.get("source", "")),
                            verified=bool(f.get("verified", False)),
                        )
                        for f in meta.get("facts") or ()
                    ),
                )
        return cls(answers=answers)

    def get(self, intent: str, lang: str) -> Answer | None:
        return self.answers.get((intent, lang))

    def has(self, intent: str) -> bool:
        return all((intent, lang) in self.answers for lang in LANGUAGES)


def _language_of(variant: dict[str, Any]) -> str | None:
    for condition in variant.get("condition") or ():
        if condition.get("name") == "language" and condition.get("value") in LANGUAGES:
            return str(condition["value"])
    return None
