"""Migrations and repositories on a fresh SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, session_factory, upgrade
from bot.db.models import FeedbackVote, MessageLog
from bot.services.citizens import CitizenService
from bot.services.feedback import FeedbackService

TABLES = {
    "citizens",
    "message_log",
    "feedback_votes",
    "alembic_version",
    "staff",
    "cases",
    "relayed_messages",
    "audit_log",
}


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        for table in (*TABLES, "alembic_version"):
            await conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    await _reset_postgres(url)
    return url


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))


async def test_migrations_create_schema_and_downgrade(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    try:
        assert await _tables(engine) >= TABLES
        from alembic import command
        from alembic.config import Config

        from bot.db.engine import MIGRATIONS_DIR

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", fresh_url)
        await asyncio.to_thread(command.downgrade, config, "base")
        assert not (TABLES - {"alembic_version"}) & await _tables(engine)
        await asyncio.to_thread(upgrade, fresh_url)  # and back up again
        assert await _tables(engine) >= TABLES
    finally:
        await engine.dispose()


async def test_forget_deletes_everything(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            service = CitizenService(session)
            citizen = await service.choose_language(777, "kk")
            assert citizen.consent_at is not None
            other = await service.choose_language(778, "ru")
            for owner in (citizen, other):
                entry = MessageLog(
                    citizen_id=owner.id, lang="kk", intent="greet", confidence=0.9, route="service"
                )
                session.add(entry)
                await session.flush()
                await session.commit()
                assert await FeedbackService(session).vote(owner, entry.id, helpful=True)
            assert await service.forget(777)
            assert not await service.forget(777)
        async with sessions() as session:
            logs = await session.scalar(select(func.count()).select_from(MessageLog))
            votes = await session.scalar(select(func.count()).select_from(FeedbackVote))
            assert (logs, votes) == (1, 1)  # the other citizen's data stays
            assert await CitizenService(session).get(777) is None
            assert await CitizenService(session).get(778) is not None
    finally:
        await engine.dispose()


async def test_vote_only_on_own_answer(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    try:
        async with session_factory(engine)() as session:
            service = CitizenService(session)
            alice = await service.get_or_create(1)
            mallory = await service.get_or_create(2)
            entry = MessageLog(
                citizen_id=alice.id, lang="ru", intent="greet", confidence=0.9, route="service"
            )
            session.add(entry)
            await session.commit()
            feedback = FeedbackService(session)
            assert not await feedback.vote(mallory, entry.id, helpful=False)
            assert not await feedback.vote(alice, entry.id + 1000, helpful=False)
            assert await feedback.vote(alice, entry.id, helpful=False)
            assert await feedback.vote(alice, entry.id, helpful=True)  # changes the vote
            votes = (await session.scalars(select(FeedbackVote))).all()
            assert [(v.helpful, v.intent) for v in votes] == [(True, "greet")]
    finally:
        await engine.dispose()
