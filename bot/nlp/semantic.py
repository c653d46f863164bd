"""The semantic safety head: from a sentence embedding to crisis / escalate / neither.

A multinomial logistic regression over the e5 embedding of a message
(`bot.nlp.encoder`), with one class per sensitive intent of the taxonomy
(escalate and crisis routes, which name the situation) and one `other` class
for everything else. `nlu.classifiers.KenesSafetyHead` fits it while the
Rasa model trains; `python -m bot nlu train` stores it beside the model as
plain arrays (`kenes-<hash>.safety.npz`, no pickle), and the bot's safety net
(`bot.services.semantic`) reads it, so it works while the Rasa server is down.

The rule: crisis when the crisis classes together are at least
`crisis_threshold` likely, else escalate when the sensitive classes together
are at least `escalate_threshold` likely; the intent is the most likely one of
that route. Numpy only, Python 3.10 compatible (the NLU virtualenv imports it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

OTHER = "other"
CRISIS = "crisis"
ESCALATE = "escalate"
FORMAT = 1


@dataclass(frozen=True, slots=True)
class SemanticVerdict:
    """What the head found: a route (crisis or escalate), the intent and the two sums."""

    route: str
    intent: str
    crisis: float
    sensitive: float


@dataclass(frozen=True)
class SemanticHead:
    weights: Any  # (classes, dim) float32
    bias: Any  # (classes,) float32
    classes: tuple[str, ...]  # intent names, and OTHER
    routes: tuple[str, ...]  # per class: crisis, escalate or other
    crisis_threshold: float
    escalate_threshold: float
    encoder: str  # the Encoder.model_id the head was trained on

    def probabilities(self, embeddings: Any) -> Any:
        scores = np.asarray(embeddings, dtype=np.float32) @ self.weights.T + self.bias
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def sums(self, probabilities: Any) -> tuple[float, float]:
        """(P(crisis), P(crisis or escalate)) of one row of `probabilities`."""
        row = np.asarray(probabilities, dtype=np.float64)
        crisis_mask, sensitive_mask = self._masks()
        return float(row[crisis_mask].sum()), float(row[sensitive_mask].sum())

    def _masks(self) -> tuple[Any, Any]:
        crisis_mask = np.array([r == CRISIS for r in self.routes])
        return crisis_mask, crisis_mask | np.array([r == ESCALATE for r in self.routes])

    def decide(self, probabilities: Any) -> SemanticVerdict | None:
        """The verdict for one row of `probabilities`, or None for an ordinary message."""
        row = np.asarray(probabilities, dtype=np.float64)
        crisis_mask, sensitive_mask = self._masks()
        crisis, sensitive = self.sums(row)
        route = decide_route(crisis, sensitive, self.crisis_threshold, self.escalate_threshold)
        if route == CRISIS and crisis_mask.any():
            mask = crisis_mask
        elif route is not None and (sensitive_mask & ~crisis_mask).any():
            mask, route = sensitive_mask & ~crisis_mask, ESCALATE
        else:
            return None
        best = int(np.argmax(np.where(mask, row, -1.0)))
        return SemanticVerdict(route, self.classes[best], crisis, sensitive)

    def verdicts(self, embeddings: Any) -> list[SemanticVerdict | None]:
        return [self.decide(row) for row in self.probabilities(embeddings)]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(
                handle,
                format=np.array(FORMAT),
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float32),
                classes=np.array(self.classes, dtype=np.str_),
                routes=np.array(self.routes, dtype=np.str_),
                thresholds=np.array(
                    [self.crisis_threshold, self.escalate_threshold], dtype=np.float64
                ),
                encoder=np.array(self.encoder, dtype=np.str_),
            )

    @classmethod
    def load(cls, path: Path) -> SemanticHead:
        """Read what `save` wrote; ValueError when the file is not such a head."""
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["format"])
                weights = np.asarray(data["weights"], dtype=np.float32)
                bias = np.asarray(data["bias"], dtype=np.float32)
                classes = tuple(str(c) for c in data["classes"])
                routes = tuple(str(r) for r in data["routes"])
                crisis_threshold, escalate_threshold = (float(t) for t in data["thresholds"])
                encoder = str(data["encoder"])
        except (KeyError, OSError, EOFError, ValueError) as exc:
            # np.load refuses anything that is not plain arrays (allow_pickle=False).
            raise ValueError(f"{path.name}: not a semantic safety head ({exc})") from exc
        if version != FORMAT:
            raise ValueError(f"{path.name}: format {version}, not {FORMAT}")
        if weights.shape[0] != len(classes) or len(routes) != len(classes):
            raise ValueError(f"{path.name}: the arrays do not agree in size")
        return cls(weights, bias, classes, routes, crisis_threshold, escalate_threshold, encoder)


def decide_route(
    crisis: float, sensitive: float, crisis_threshold: float, escalate_threshold: float
) -> str | None:
    """The rule on the two sums: crisis, escalate or None (bench/frontier.py replays it)."""
    if crisis >= crisis_threshold:
        return CRISIS
    if sensitive >= escalate_threshold:
        return ESCALATE
    return None


def class_of(intent: str, routes: Mapping[str, str]) -> str:
    """The head's class for a training example of `intent`."""
    return intent if routes.get(intent) in (CRISIS, ESCALATE) else OTHER


def class_routes(classes: Sequence[str], routes: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(OTHER if c == OTHER else routes[c] for c in classes)
