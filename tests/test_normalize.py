"""The shared normalisation: one folded form for every way people type a word."""

from __future__ import annotations

import pytest

from bot.nlp.normalize import emoji_tokens, normalize, tokens


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (["кеңес", "кенес", "keñes", "kenes", "KENES!!!"], "кенес"),
        (["мешіт қайда", "мешит кайда", "meshit qayda", "meshit kaida"], "мешит каида"),
        (["Сәлеметсіз бе", "salemetsiz be", "сəлеметсіз бе"], "салемециз бе"),
        (["помогите", "pomogite", "помогитеееее"], "помогите"),
        (["шешім", "sheshim", "s'es'im"], "шешим"),
    ],
)
def test_variants_fold_together(variants: list[str], expected: str) -> None:
    assert {normalize(v) for v in variants} == {expected}


def test_digits_kept_and_punctuation_emoji_dropped() -> None:
    assert normalize("Звоните 112!!! 😢😢") == "звоните 112"
    assert tokens("<b>привет</b> & пока") == ["б", "привет", "б", "пока"]


def test_empty_and_symbols_only() -> None:
    assert normalize("") == ""
    assert normalize("🙂 ... !!!") == ""


def test_emoji_become_word_tokens_for_the_nlu() -> None:
    # The joke and the lament fold to the same words; only the emoji differ.
    assert normalize("өліп қалдым 😂") == normalize("өліп қалдым 😔")
    assert emoji_tokens("өліп қалдым 😂") == ["emoji_1f602", "emoji_joy"]
    assert emoji_tokens("өліп қалдым 😔") == ["emoji_1f614", "emoji_sorrow"]
    # Word tokens (\w+, what Rasa's CountVectorsFeaturizer keeps), in order;
    # skin tones, joiners and variation selectors are dropped.
    found = emoji_tokens("🙏🏻 ❤️ 💔 hello")
    assert found == ["emoji_1f64f", "emoji_2764", "emoji_1f494", "emoji_sorrow"]
    assert all(t.replace("_", "").isalnum() for t in found)
    assert emoji_tokens("просто текст, 112!") == []
