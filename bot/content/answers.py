"""Curated answers: the `utter_<intent>` responses of domain.yml, per language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.content.schema import LANGUAGES, DomainFile

# A sentence that offers a counselor in this chat. It is true only while a staff group
# is connected, so the bot leaves such sentences out when none is (`Answer.text_for`).
OFFERS_A_SPECIALIST = re.compile(
    r"в этом чате|здесь, в чате|в чате|осы чат|осында айтсаңыз|скажите об этом здесь|"
    r"соединить вас с консультантом|кеңесшімен байланыстыра",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


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

    def offering_sentences(self) -> list[str]:
        """The sentences that offer a counselor in this chat."""
        return [s for line in self.text.split("\n") for s in _offers(line)[1]]

    def text_for(self, *, counselors: bool) -> str:
        """The text as sent: without counselors in a staff group, the sentences that
        offer one in this chat are left out (the rest of each line stays)."""
        if counselors or not OFFERS_A_SPECIALIST.search(self.text):
            return self.text
        lines = []
        for line in self.text.split("\n"):
            kept, _ = _offers(line)
            if kept or not line.strip():
                lines.append(" ".join(kept))
        return "\n".join(lines).strip()


def _offers(line: str) -> tuple[list[str], list[str]]:
    """A line's sentences: (those that offer no counselor, those that do)."""
    kept: list[str] = []
    offering: list[str] = []
    for sentence in _SENTENCE_END.split(line):
        (offering if OFFERS_A_SPECIALIST.search(sentence) else kept).append(sentence)
    return kept, offering


@dataclass(frozen=True, slots=True)
class AnswerBook:
    answers: dict[tuple[str, str], Answer]

    @classmethod
    def load(cls, domain_path: Path) -> AnswerBook:
        raw = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
        answers: dict[tuple[str, str], Answer] = {}
        for name, variants in DomainFile.model_validate(raw).responses.items():
            if not name.startswith("utter_"):
                continue
            intent = name.removeprefix("utter_")
            for variant in variants:
                lang = variant.language
                if lang is None or variant.text is None:
                    continue
                meta = variant.metadata
                answers[(intent, lang)] = Answer(
                    intent=intent,
                    lang=lang,
                    text=variant.text.strip(),
                    resources=tuple(meta.resources),
                    regional=meta.regional,
                    specialist=meta.specialist,
                    facts=tuple(
                        Fact(claim=f.claim, source=f.source, verified=f.verified)
                        for f in meta.facts
                    ),
                )
        return cls(answers=answers)

    def get(self, intent: str, lang: str) -> Answer | None:
        return self.answers.get((intent, lang))

    def has(self, intent: str) -> bool:
        return all((intent, lang) in self.answers for lang in LANGUAGES)
