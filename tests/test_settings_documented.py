"""Every setting is documented in .env.example, and the file parses as settings."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings

EXAMPLE = PROJECT_ROOT / ".env.example"


def _documented(path: Path) -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", path.read_text("utf-8"), re.MULTILINE))


def test_every_setting_is_in_env_example() -> None:
    settings = {(field.alias or name).upper() for name, field in Settings.model_fields.items()}
    documented = _documented(EXAMPLE)
    assert settings - documented == set(), "settings missing from .env.example"
    assert documented - settings == set(), ".env.example names settings that do not exist"


def test_env_example_as_is_gives_working_settings() -> None:
    settings = Settings(_env_file=EXAMPLE)
    assert settings.content_dir == PROJECT_ROOT / "content"
    assert settings.bot_token is None
