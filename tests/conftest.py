"""Shared fixtures. Under CI=true a missing service fails the test instead of
skipping it: CI has PostgreSQL, Redis and the Rasa environment."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.config import PROJECT_ROOT, Settings
from bot.db.engine import create_engine, session_factory, upgrade

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require(name: str, available: bool, how: str) -> None:
    """Skip locally when a service is missing; fail under CI, where it must exist."""
    if available:
        return
    if CI:
        pytest.fail(f"{name} is required under CI=true but is not available: {how}")
    pytest.skip(f"{name} not available: {how}")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The .mo files are built, not committed; build them if `make` did not."""
    for po_path in (PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'kenes.sqlite3'}"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=sqlite_url,
        bot_token=None,
        nlu_url="http://127.0.0.1:9",  # nothing listens there; tests use a fake NLU
        # The weekly report would post by itself on its day; tests that want it run it.
        weekly_report=False,
    )


@pytest.fixture
async def migrated_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(migrated_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with session_factory(migrated_engine)() as db_session:
        yield db_session


@pytest.fixture
def postgres_url() -> str:
    require("PostgreSQL", port_open("127.0.0.1", 5432), "expected on 127.0.0.1:5432, db test")
    return POSTGRES_URL
