"""The one splitter of long texts: Telegram's UTF-16 measure, boundaries, HTML."""

from __future__ import annotations

import re

import pytest
from aiogram.utils.i18n import I18n

from bot.config import PROJECT_ROOT
from bot.domain import Refusal
from bot.telegram.text_limits import (
    CALLBACK_ANSWER_LIMIT,
    MESSAGE_LIMIT,
    TOPIC_NAME_LIMIT,
    fit,
    message_parts,
    split_text,
    utf16_len,
)
from bot.ui import citizen_texts, staff_texts

# Characters outside the Basic Multilingual Plane: two UTF-16 units each.
ASTRAL = "🙂😀🚀𝄞𠀋🇰🇿"
_TAG = re.compile(r"<[^<>]*>")


def _balanced(html: str) -> bool:
    """Every tag of `html` whole, and its elements closed in order."""
    if html.count("<") != html.count(">") or html.count("<") != len(_TAG.findall(html)):
        return False
    stack: list[str] = []
    for tag in _TAG.findall(html):
        name = tag.strip("</>").split()[0]
        if tag.startswith("</"):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("🙂") == 2
    assert utf16_len("қазақша 🙂") == 10


@pytest.mark.parametrize(
    "text",
    [
        "🙂" * 5000,  # 10,000 units, no boundary at all
        ("🙂😀 " * 1500) + "𝄞" * 3000,
        "".join(ASTRAL[i % len(ASTRAL)] for i in range(7001)),
        "а" + "🙂" * 4096,  # the cut would fall between the halves of a pair
    ],
)
def test_astral_text_splits_within_the_limit_and_joins_back(text: str) -> None:
    parts = split_text(text, MESSAGE_LIMIT)
    assert len(parts) >= 2
    assert all(utf16_len(part) <= MESSAGE_LIMIT for part in parts)
    assert "".join(parts) == text
    # No part starts or ends with half of a surrogate pair.
    for part in parts:
        part.encode("utf-16-le", errors="strict")
        assert not any(0xD800 <= ord(char) <= 0xDFFF for char in part)


def test_prefers_paragraphs_then_lines_then_sentences_then_words() -> None:
    paragraph = "Бірінші сөйлем. Екінші сөйлем 🙂 " * 20
    text = "\n\n".join([paragraph] * 10)
    parts = split_text(text, 1000)
    assert all(part.endswith("\n\n") for part in parts[:-1])
    assert "".join(parts) == text
    lines = "\n".join(["Жол " * 30] * 40)
    assert all(part.endswith("\n") for part in split_text(lines, 1000)[:-1])
    sentences = "Бір сөйлем бар. " * 400
    assert all(part.endswith(". ") for part in split_text(sentences, 1000)[:-1])
    words = "сөз " * 2000
    assert all(part.endswith(" ") for part in split_text(words, 1000)[:-1])


def test_html_tags_and_entities_are_never_cut() -> None:
    line = '<b>Кеңес</b> &amp; <a href="https://example.kz/a?b=1&amp;c=2">сілтеме 🙂</a> &lt;5'
    text = " ".join([line] * 300)
    parts = split_text(text, 700, html=True)
    assert len(parts) >= 2
    assert "".join(parts) == text
    for part in parts:
        assert utf16_len(part) <= 700
        assert _balanced(part), part[:80]
        assert not re.search(r"&[a-z]*$", part)  # no entity cut in two


def test_an_element_longer_than_the_limit_is_closed_and_opened_again() -> None:
    text = "Кіріспе. <i>" + "ұзын сөйлем 🙂 " * 400 + "</i> Соңы."
    parts = message_parts(text, 1000)
    assert len(parts) >= 2
    for part in parts:
        assert utf16_len(part) <= 1000
        assert _balanced(part), part[-40:]


def test_message_parts_and_fit_stay_within_the_limit() -> None:
    report = "\n".join(f"<b>{i}</b> · {'🙂' * (i % 50)} жол" for i in range(2000))
    parts = message_parts(report)
    assert all(0 < utf16_len(part) <= MESSAGE_LIMIT and _balanced(part) for part in parts)
    assert "\n".join(parts) == report
    long = "\n\n".join(["<b>Абзац</b> " + "🙂" * 300] * 20)
    fitted = fit(long)
    assert utf16_len(fitted) <= MESSAGE_LIMIT
    assert fitted.endswith("\n…")
    assert _balanced(fitted.removesuffix("\n…"))
    assert fit("қысқа 🙂") == "қысқа 🙂"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_short_interface_texts_fit_their_limits(lang: str) -> None:
    """Callback answers and topic titles, in every language, by Telegram's measure."""
    i18n = I18n(path=PROJECT_ROOT / "locales", default_locale="ru", domain="messages")
    with i18n.context(), i18n.use_locale(lang):
        answers = [
            citizen_texts.stale_button(),
            citizen_texts.rating_thanks(),
            staff_texts.take_done(),
            staff_texts.picker_done(),
            staff_texts.outsider_refusal(),
            staff_texts.not_sent(None),
            staff_texts.not_sent("Ж" * 64),
            staff_texts.not_delivered(blocked=True),
            staff_texts.not_delivered(blocked=False),
            staff_texts.refusal_text("stale"),
            *(staff_texts.refusal_text(r, "Ж" * 64) for r in Refusal),
        ]
        titles = [
            staff_texts.topic_name(2**31 - 1, "kk", state)
            for state in ("urgent", "escalate", "request", "closed", "withdrawn")
        ]
    assert all(utf16_len(text) <= CALLBACK_ANSWER_LIMIT for text in answers), answers
    assert all(utf16_len(title) <= TOPIC_NAME_LIMIT for title in titles), titles
