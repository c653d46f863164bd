"""Settings: one pydantic-settings object read from the environment and `.env`."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything configurable. `.env.example` documents each variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'kenes.sqlite3'}"
    redis_url: str | None = None
    nlu_url: str = "http://127.0.0.1:5005"
    nlu_timeout: float = Field(default=3.0, gt=0)
    nlu_retries: int = Field(default=1, ge=0, le=5)
    nlu_confidence_threshold: float = Field(default=0.45, ge=0, le=1)
    staff_chat_id: int | None = None
    log_level: str = "INFO"
    kenes_cache: Path = Path.home() / ".cache" / "kenes"
    content_dir: Path = PROJECT_ROOT / "content"
    domain_path: Path = PROJECT_ROOT / "domain.yml"
    nlu_data_dir: Path = PROJECT_ROOT / "nlu_data"
    locales_dir: Path = PROJECT_ROOT / "locales"
    office_hours_start: time = time(9, 0)
    office_hours_end: time = time(18, 0)
    office_timezone: str = "Asia/Almaty"
    message_log_days: int = Field(default=90, ge=1)

    @property
    def debug(self) -> bool:
        return self.log_level.upper() == "DEBUG"
