"""Language detection between Kazakh and Russian, trained from the NLU data."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT
from bot.services.language import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector.from_nlu_data(PROJECT_ROOT / "nlu_data")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Дін істері басқармасы қайда орналасқан?", "kk"),
        ("балам сектаға кіріп кетті не істеймін", "kk"),
        ("balam sektaga kirip ketti ne isteimin", "kk"),
        ("Где находится управление по делам религий?", "ru"),
        ("мой сын ушел в секту что делать", "ru"),
        ("moi syn ushel v sektu chto delat", "ru"),
    ],
)
def test_detects_language(detector: LanguageDetector, text: str, lang: str) -> None:
    guess = detector.detect(text)
    assert guess is not None
    assert guess.lang == lang
    assert guess.confidence > 0.9


def test_no_evidence(detector: LanguageDetector) -> None:
    assert detector.detect("🙂🙂") is None


def test_trained_from_examples() -> None:
    tiny = LanguageDetector({"kk": ["сәлем қалайсың"], "ru": ["привет как дела"]})
    assert tiny.detect("қалайсың")
    guess = tiny.detect("как дела")
    assert guess is not None
    assert guess.lang == "ru"
