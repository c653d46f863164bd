"""Which language a citizen writes in: Kazakh or Russian.

A small naive Bayes model over character n-grams of the raw text (Kazakh's
special letters are strong evidence) and words of the normalised text (for
Latin-letter and no-special-letter writing). It is trained at start-up from
the NLU training data, which is labelled by language folder, in well under a
second, so editors' new examples improve it without any extra step.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlp.normalize import normalize

LANGUAGES = ("kk", "ru")


def _features(text: str) -> list[str]:
    raw = f" {' '.join(text.casefold().split())} "
    grams = [raw[i : i + n] for n in (1, 2, 3) for i in range(len(raw) - n + 1)]
    words = [f"w:{w}" for w in normalize(text).split()]
    return grams + words


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str
    confidence: float


class LanguageDetector:
    def __init__(self, examples: Mapping[str, Iterable[str]]) -> None:
        self._log_probs: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        counts = {
            lang: Counter(f for t in texts for f in _features(t))
            for lang, texts in examples.items()
        }
        vocabulary = set().union(*counts.values()) if counts else set()
        for lang, counter in counts.items():
            total = sum(counter.values()) + len(vocabulary) + 1
            self._log_probs[lang] = {f: math.log((c + 1) / total) for f, c in counter.items()}
            self._unseen[lang] = math.log(1 / total)

    @classmethod
    def from_nlu_data(cls, nlu_dir: Path) -> LanguageDetector:
        examples: dict[str, list[str]] = {}
        for lang in LANGUAGES:
            texts: list[str] = []
            for path in sorted((nlu_dir / lang).glob("*.yml")):
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                for block in data.get("nlu") or ():
                    texts.extend(
                        line.strip()[2:].strip()
                        for line in str(block.get("examples") or "").splitlines()
                        if line.strip().startswith("- ")
                    )
            examples[lang] = texts
        return cls(examples)

    def detect(self, text: str) -> LanguageGuess | None:
        """The likelier language and its posterior probability; None for no evidence."""
        feats = _features(text)
        if not self._log_probs or not normalize(text):
            return None
        scores = {
            lang: sum(probs.get(f, self._unseen[lang]) for f in feats)
            for lang, probs in self._log_probs.items()
        }
        best = max(scores, key=lambda lang: scores[lang])
        top = scores[best]
        total = sum(math.exp(s - top) for s in scores.values())
        return LanguageGuess(best, 1 / total)
