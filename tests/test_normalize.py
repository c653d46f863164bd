"""The shared normalisation: one folded form for every way people type a word."""

from __future__ import annotations

import pytest

from bot.nlp.normalize import normalize, tokens


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
