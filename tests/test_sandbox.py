"""The terminal sandbox: the real bot, typed to through the emulator."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.sandbox import run_sandbox
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
