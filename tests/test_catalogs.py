"""Interface strings: extracted from the code, translated in both languages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT

LANGS = ("kk", "ru")


def _catalog(lang: str) -> dict[str, object]:
    path = PROJECT_ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(po_file) if m.id}


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-k",
            "_",
            "-k",
            "__",
            "-o",
            str(pot),
            str(PROJECT_ROOT / "bot"),
        ],
        check=True,
    )
    with pot.open("rb") as pot_file:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot_file) if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_translated(lang: str, code_msgids: set[str]) -> None:
    catalog = _catalog(lang)
    missing = sorted(code_msgids - catalog.keys())
    assert not missing, f"{lang}: strings in the code but not in the catalog: {missing}"
    untranslated = [
        msgid
        for msgid in code_msgids
        if not getattr(catalog[msgid], "string", "") or getattr(catalog[msgid], "fuzzy", False)
    ]
    assert not untranslated, f"{lang}: untranslated or fuzzy: {untranslated}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    import re

    for msgid, message in _catalog(lang).items():
        string = str(getattr(message, "string", ""))
        assert set(re.findall(r"\{\w+\}", msgid)) == set(re.findall(r"\{\w+\}", string)), msgid
        assert string.count("<b>") == string.count("</b>"), msgid


def test_catalogs_are_sources_not_binaries() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "locales"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert not [p for p in tracked if Path(p).suffix == ".mo"]
