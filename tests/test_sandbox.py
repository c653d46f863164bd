"""The terminal sandbox: the real bot, typed to through the emulator."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import WEEKDAYS, Settings
from devkit.sandbox import run_sandbox
from tests.fakes import KeywordNLU


async def test_sandbox_chat_in_russian_and_kazakh(
    settings: Settings, migrated_engine: object, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_sandbox(
        settings,
        nlu=KeywordNLU(),
        lines=["2", "какой закон о религии", "/language", "1", "дін туралы заң"],
    )
    out = capsys.readouterr().out
    assert "Тілді таңдаңыз / Выберите язык" in out
    assert "[1] Қазақша" in out
    assert "[2] Русский" in out
    assert "О ваших данных" in out
    assert "Понятно" in out  # consent is the notice's button
    assert "Ответ был полезен?" in out
    assert "→ https://adilet.zan.kz" in out  # URL buttons are shown with their link
    assert "Жауап пайдалы болды ма?" in out


@pytest.mark.parametrize(
    ("lines", "in_hours", "expected"),
    [
        (["2", "1", "я больше жить не хочу"], True, ["срочное", "Обычно консультант отвечает"]),
        (["1", "1", "өлгім келеді"], True, ["шұғыл", "Кеңесші әдетте"]),
        (
            ["2", "1", "я больше жить не хочу"],
            False,
            ["Сейчас консультанты не работают", "До тех пор"],
        ),
        (["1", "1", "өлгім келеді"], False, ["жұмыс уақыты емес", "Оған дейін"]),
    ],
)
async def test_the_sandbox_shows_the_crisis_path(
    settings: Settings,
    migrated_engine: object,
    capsys: pytest.CaptureFixture[str],
    lines: list[str],
    in_hours: bool,
    expected: list[str],
) -> None:
    tomorrow = datetime.now(ZoneInfo(settings.office_timezone)) + timedelta(days=1)
    hours = (
        {
            "office_days": ",".join(WEEKDAYS),
            "office_hours_start": time(0),
            "office_hours_end": time(0),
        }
        if in_hours
        else {"office_days": WEEKDAYS[tomorrow.weekday()]}
    )
    await run_sandbox(settings.model_copy(update=hours), nlu=KeywordNLU(), lines=lines)
    out = capsys.readouterr().out
    assert "112" in out
    for phrase in expected:
        assert phrase in out
    assert "келе жатыр" not in out
    assert "в пути" not in out
