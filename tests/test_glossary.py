"""The glossary (bot/content/glossary.py) holds over every text citizens read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.citizen_texts import CONTENT_FILES, LANGUAGES, segments_cached
from bot.content.glossary import (
    GLOSSARY,
    Concept,
    _correct_phrases,
    glossary_problems,
    offences,
    talk_button_problems,
    unused_terms,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("concept", GLOSSARY, ids=[c.key for c in GLOSSARY])
def test_the_glossary_does_not_catch_correct_text(concept: Concept) -> None:
    for lang in LANGUAGES:
        for phrase in _correct_phrases(concept, lang):
            for variant in concept.variants.get(lang, ()):
                match = next(variant.finditer(phrase), None)
                assert match is None, (concept.key, lang, phrase, variant.pattern)


def test_every_source_is_read() -> None:
    """The scanners find the texts (a renamed key must not silently empty the check)."""
    counts: dict[tuple[str, str | None], int] = {}
    for segment in segments_cached(REPO):
        counts[segment.path, segment.lang] = counts.get((segment.path, segment.lang), 0) + 1
    for path in ("domain.yml", *CONTENT_FILES):
        for lang in LANGUAGES:
            assert counts.get((path, lang), 0) >= 5, (path, lang)
    for lang in LANGUAGES:
        assert counts.get((f"locales/{lang}/LC_MESSAGES/messages.po", lang), 0) >= 100, lang
    assert counts.get(("README.md", None), 0) > 0


@pytest.mark.parametrize("concept", GLOSSARY, ids=[c.key for c in GLOSSARY])
def test_one_term_for_each_thing(concept: Concept) -> None:
    found = offences(concept, REPO)
    assert not found, f"{len(found)} variant(s) of {concept.what}:\n" + "\n".join(found)


@pytest.mark.parametrize("concept", GLOSSARY, ids=[c.key for c in GLOSSARY])
def test_the_chosen_term_is_used(concept: Concept) -> None:
    assert not unused_terms(concept, REPO)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_talk_button_has_one_label(lang: str) -> None:
    problems = talk_button_problems(lang, REPO)
    assert not problems, "\n".join(problems)


def test_the_checkout_has_no_glossary_problem() -> None:
    """`content validate` reports the same findings; the checkout has none."""
    assert glossary_problems(REPO) == []
