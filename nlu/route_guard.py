"""The route guard's rule, as a pure function (tested without Rasa).

Routes matter more than intents: a person in distress whose message the
classifier files under an ordinary question, or splits between two sensitive
intents, must still reach a person. With P(sensitive) the summed confidence
of all escalate and crisis intents and P(crisis) that of the crisis intents:

- if the top intent is not sensitive but P(sensitive) >= `threshold`, the
  most likely sensitive intent becomes the intent;
- if the intent is then an escalate one but P(crisis) >= `crisis_threshold`,
  the most likely crisis intent becomes the intent; so it does when the
  message is surely sensitive (P(sensitive) >= `sure_sensitive`) and
  P(crisis) >= `sure_crisis_threshold`: the person needs a human for certain,
  and whether they are in danger is the only doubt left; a crisis intent with
  P(crisis) below it is reported as the likeliest escalate intent (or, when
  the sensitive intents are unlikely, the best ordinary one): the classifier
  alone is not sure enough to call emergency services' numbers for it, and
  the bot's NLU-independent safety check still raises real danger to crisis;
- a message of at most `short_words` words ("жоқ", "хватит уже") needs
  P(crisis) >= `short_crisis_threshold` to be a crisis: a bare word says
  little, the crisis words are frequent in crisis examples ("басқа жол жоқ"),
  and short messages that are crises in earnest ("өлгім келеді") are the
  explicit kind the safety check's lexicons catch;
- a sensitive intent's confidence becomes P(sensitive): for these messages
  the route (a person, at once), not the exact intent, decides what the bot
  does, so the bot's confidence threshold applies to the route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SENSITIVE_ROUTES = ("escalate", "crisis")


@dataclass(frozen=True)
class GuardDecision:
    intent: str
    confidence: float
    sensitive: float
    crisis: float
    changed: bool


def guard(  # noqa: PLR0913 - the pipeline's thresholds from config.yml, keyword-only
    intent: str,
    ranking: Sequence[tuple[str, float]],
    routes: Mapping[str, str],
    *,
    threshold: float,
    crisis_threshold: float,
    sure_sensitive: float = 1.0,
    sure_crisis_threshold: float = 1.0,
    words: int | None = None,
    short_words: int = 0,
    short_crisis_threshold: float = 1.0,
) -> GuardDecision:
    """The intent and confidence to report for a classifier's `ranking` (best first).

    `words` is the number of words of the message (None: unknown, not short).
    """
    ordered = sorted(ranking, key=lambda item: -item[1])
    confidence = dict(ordered).get(intent, 0.0)
    sensitive = [(n, c) for n, c in ordered if routes.get(n) in SENSITIVE_ROUTES]
    crisis = [(n, c) for n, c in sensitive if routes.get(n) == "crisis"]
    p_sensitive = sum(c for _, c in sensitive)
    p_crisis = sum(c for _, c in crisis)
    if words is not None and words <= short_words:
        crisis_likely = p_crisis >= max(crisis_threshold, short_crisis_threshold)
    else:
        crisis_likely = p_crisis >= crisis_threshold or (
            p_sensitive >= sure_sensitive and p_crisis >= sure_crisis_threshold
        )
    chosen = intent
    if routes.get(chosen) == "crisis" and not crisis_likely:
        # A weak crisis guess ("бүгін қай күн" -> self-harm at 0.2) is not a
        # crisis: it is handled as escalate (a person offered at once) when the
        # sensitive intents are likely enough, else as the best ordinary intent.
        # The bot's NLU-independent safety check still raises real danger.
        escalates = [n for n, _ in sensitive if routes.get(n) == "escalate"]
        if escalates and p_sensitive >= threshold:
            return GuardDecision(escalates[0], p_sensitive, p_sensitive, p_crisis, changed=True)
        ordinary = [(n, c) for n, c in ordered if routes.get(n) not in SENSITIVE_ROUTES]
        if ordinary:
            return GuardDecision(*ordinary[0], p_sensitive, p_crisis, changed=True)
    if routes.get(chosen) not in SENSITIVE_ROUTES:
        if not sensitive or p_sensitive < threshold:
            return GuardDecision(intent, confidence, p_sensitive, p_crisis, changed=False)
        chosen = sensitive[0][0]
    if routes.get(chosen) == "escalate" and crisis and crisis_likely:
        chosen = crisis[0][0]
    elif routes.get(chosen) == "crisis" and not crisis_likely:
        chosen = next((n for n, _ in sensitive if routes.get(n) == "escalate"), chosen)
    return GuardDecision(chosen, p_sensitive, p_sensitive, p_crisis, changed=True)
