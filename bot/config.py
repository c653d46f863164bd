"""Settings: one pydantic-settings object read from the environment and `.env`."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Settings(BaseSettings):
    """Everything configurable. `.env.example` documents each variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'kenes.sqlite3'}"
    # Shared state for several replicas (FSM, conversation memory, flood control,
    # per-chat order, send limits); unset: all of it in this process.
    redis_url: str | None = None
    # The prefix of every Redis key of this bot (several bots may share one Redis).
    redis_prefix: str = Field(default="kenes", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    nlu_url: str = "http://127.0.0.1:5005"
    nlu_timeout: float = Field(default=3.0, gt=0)
    nlu_retries: int = Field(default=1, ge=0, le=5)
    nlu_confidence_threshold: float = Field(default=0.3, ge=0, le=1)
    staff_chat_id: int | None = None
    log_level: str = "INFO"
    kenes_cache: Path = Path.home() / ".cache" / "kenes"
    # The clone's NLU models and, beside each, its semantic safety head.
    models_dir: Path = PROJECT_ROOT / "models"
    # The safety net's semantic layer (sentence encoder + head); off: lexicons alone.
    semantic_safety: bool = True
    content_dir: Path = PROJECT_ROOT / "content"
    domain_path: Path = PROJECT_ROOT / "domain.yml"
    nlu_data_dir: Path = PROJECT_ROOT / "nlu_data"
    locales_dir: Path = PROJECT_ROOT / "locales"
    office_hours_start: time = time(9, 0)
    office_hours_end: time = time(18, 0)
    office_timezone: str = "Asia/Almaty"
    # The retention limit the privacy notice states: message records and votes,
    # and the link between a closed case and its citizen (with its topic in the
    # staff group), are deleted this many days after they were made or closed.
    message_log_days: int = Field(default=90, ge=1)
    # How often the retention job runs.
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    # Working days of the counselors, as English day abbreviations.
    office_days: str = "mon,tue,wed,thu,fri"
    # The language of the bot's messages in the staff group.
    staff_language: str = Field(default="ru", pattern="^(kk|ru)$")
    # Minutes before a case nobody took is announced again, per priority.
    reannounce_urgent_minutes: float = Field(default=2.0, gt=0)
    reannounce_escalate_minutes: float = Field(default=15.0, gt=0)
    reannounce_request_minutes: float = Field(default=60.0, gt=0)
    # Minutes of a citizen's silence before one reminder, and as many again
    # before the case closes with the outcome 'no response'.
    case_inactivity_minutes: float = Field(default=30.0, gt=0)
    # Minutes one waiting case ahead adds to a citizen's estimated wait, until
    # there is enough history to measure it.
    case_wait_minutes: float = Field(default=10.0, gt=0)
    # How often the background jobs (announcements, reminders) look at the cases.
    case_jobs_interval_seconds: float = Field(default=15.0, gt=0)
    # The service level the reports measure: minutes from opening to Take (and
    # to the counselor's first reply), per priority.
    sla_urgent_minutes: float = Field(default=5.0, gt=0)
    sla_escalate_minutes: float = Field(default=30.0, gt=0)
    sla_request_minutes: float = Field(default=120.0, gt=0)
    # The weekly report in the staff group's General topic (the last 7 days),
    # posted on this day at this hour of OFFICE_TIMEZONE.
    weekly_report: bool = True
    weekly_report_day: str = Field(default="mon", pattern="^(mon|tue|wed|thu|fri|sat|sun)$")
    weekly_report_hour: int = Field(default=9, ge=0, le=23)
    # Multiplies the outgoing rate limits; only for tests against an emulator
    # whose clock runs that much faster. Keep 1 with Telegram.
    rate_limit_scale: float = Field(default=1.0, gt=0)
    # Webhook mode (unset: long polling): Telegram POSTs updates to WEBHOOK_URL,
    # which a reverse proxy passes to WEBHOOK_HOST:WEBHOOK_PORT (same path); each
    # request must carry WEBHOOK_SECRET. /healthz, /readyz and /metrics listen there too.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    # A replica that holds an update this long without finishing it is taken to be
    # dead: another takes it over (looked for every INBOX_SWEEP_SECONDS).
    inbox_lease_seconds: float = Field(default=60.0, gt=0)
    inbox_sweep_seconds: float = Field(default=30.0, gt=0)
    # GET /healthz, /readyz and /metrics (bot/ops.py); off while OPS_PORT is unset.
    # 0 takes a free port (tests). Keep the host private: the metrics are for operators.
    ops_host: str = "127.0.0.1"
    ops_port: int | None = Field(default=None, ge=0, le=65535)

    @model_validator(mode="after")
    def _webhook_has_a_secret(self) -> Settings:
        if self.webhook_url and not (
            self.webhook_secret and self.webhook_secret.get_secret_value()
        ):
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (1-256 of A-Z, a-z, 0-9, _ and -)")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return self

    @field_validator("office_days")
    @classmethod
    def _known_days(cls, value: str) -> str:
        days = [d.strip().lower() for d in value.split(",") if d.strip()]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown or not days:
            raise ValueError(f"office_days: use {','.join(WEEKDAYS)}, comma-separated")
        return ",".join(days)

    @property
    def debug(self) -> bool:
        return self.log_level.upper() == "DEBUG"
