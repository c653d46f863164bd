"""Wordings a native speaker corrected (issue 14, section 6): the old ones must not come back."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = ["domain.yml", "content/canned.yml", "locales/kk/LC_MESSAGES/messages.po"]

# (the wording that was replaced, the wording a native speaker writes)
CORRECTED = [
    ("тап болғаныңызға қатты өкінемін", "басыңызға мұндай жағдай түскеніне қатты қынжылып отырмын"),
    ("Өзіңізді қауіпке тікпеңіз", "Өзіңізді қатерге ұшыратпаңыз"),
    (
        "сізге немесе жақыныңызға не көбірек алаңдатады",
        "сізді немесе жақыныңызды ең көп не алаңдатады",
    ),
    ("жауаптарды жетілдіру үшін", "жауаптарды жетілдіруі үшін"),
    (
        "бостандығына құқығына кепілдік береді",
        "22-бабына сәйкес, әркімнің ар-ождан бостандығына құқығы бар",
    ),
    ("Сізді дұрыс түсінгеніме сенімді емеспін", "Сізді дұрыс түсінбеген болуым мүмкін"),
    ("діни араздық", "діни алауыздық"),
]


def _all_text() -> str:
    return "\n".join((REPO / name).read_text(encoding="utf-8") for name in SOURCES)


@pytest.mark.parametrize(("old", "new"), CORRECTED)
def test_the_corrected_kazakh_wording_is_used(old: str, new: str) -> None:
    text = _all_text()
    assert old.lower() not in text.lower()
    assert new.lower() in text.lower()


def test_no_loaded_word_for_the_authorities() -> None:
    text = (REPO / "locales/ru/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    text += _all_text()
    assert "донос" not in text.lower()


def test_the_editors_guide_agrees_with_the_taxonomy() -> None:
    guide = (REPO / "docs" / "editing.md").read_text(encoding="utf-8")
    assert "(verify)" in guide
    assert "verified: false" in guide
    assert "Never invent a fact" in guide
    assert "content/canned.yml" in guide
    assert "emergency_order" in guide
