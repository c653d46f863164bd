"""Custom Rasa components of the Kenes NLU pipeline (see config.yml).

`KenesTokenizer` feeds the featurizers the text as `bot.nlp.normalize` folds
it, so training and serving see one spelling of every word whatever the
citizen typed: Kazakh special letters or not, Cyrillic or Latin, "помогитеее".
The bot's safety check folds text with the same function.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.normalize import normalize

_CHUNK = re.compile(r"\S+")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class KenesTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer over the normalised text.

    Each whitespace-separated chunk of the original text is normalised on its
    own, so every token keeps the offsets of the chunk it came from and entity
    annotations stay aligned with the original message.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text: str = message.get(attribute) or ""
        tokens: list[Token] = []
        for chunk in _CHUNK.finditer(text):
            for word in normalize(chunk.group(0)).split():
                tokens.append(Token(word, chunk.start(), chunk.end()))
        if not tokens:
            # Only punctuation or emoji: Rasa needs at least one token.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
