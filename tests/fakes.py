"""Test doubles for the NLU: the bot's logic is tested without a Rasa server."""

from __future__ import annotations

import asyncio

from bot.nlp.normalize import normalize
from bot.nlu.client import IntentScore, NLUUnavailable, Parse

DEFAULT_RULES: dict[str, str] = {
    "салем": "greet",
    "сәлем": "greet",
    "здравств": "greet",
    "рахмет": "thanks",
    "спасибо": "thanks",
    "закон": "law_religious_activity",
    "заң": "law_religious_activity",
    "центр": "advisory_center_info",
    "орталык": "advisory_center_info",
    "управлени": "regional_office",
    "басқарма": "regional_office",
    "секта": "relative_in_group",
    "сектаг": "relative_in_group",
    "жить не хочу": "crisis_self_harm",
    "язык": "change_language",
    "погода": "out_of_scope",
}
FALLBACK_RANKING = (
    IntentScore("nlu_fallback", 0.3),
    IntentScore("advisory_center_info", 0.3),
    IntentScore("signs_destructive_group", 0.2),
    IntentScore("law_religious_activity", 0.1),
    IntentScore("out_of_scope", 0.05),
)


class KeywordNLU:
    """An `NLUClient` that recognises keywords; `down=True` makes it unavailable."""

    def __init__(self, rules: dict[str, str] | None = None) -> None:
        self.rules = {normalize(k): v for k, v in (rules or DEFAULT_RULES).items()}
        self.down = False
        self.calls = 0
        # When set, every parse waits for this event (a slow NLU server).
        self.hold: asyncio.Event | None = None

    async def parse(self, text: str) -> Parse:
        self.calls += 1
        if self.hold is not None:
            await self.hold.wait()
        if self.down:
            raise NLUUnavailable("fake NLU is down")
        folded = normalize(text)
        for keyword, intent in self.rules.items():
            if keyword in folded:
                return Parse(
                    intent=intent,
                    confidence=0.93,
                    ranking=(IntentScore(intent, 0.93), IntentScore("out_of_scope", 0.02)),
                    model="fake",
                )
        return Parse(intent="nlu_fallback", confidence=0.3, ranking=FALLBACK_RANKING, model="fake")

    async def close(self) -> None:
        return None
