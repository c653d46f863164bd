"""Migrations and repositories on a fresh SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.config import Settings
from bot.db.engine import create_engine, session_factory, upgrade
from bot.db.models import Case, Citizen, FeedbackVote, MessageLog, RelayedMessage, utcnow
from bot.jobs import RetentionJob
from bot.services.citizens import CitizenService
from bot.services.feedback import FeedbackService
from bot.services.forget import ForgetService, Forgotten
from bot.services.memory import ConversationMemory
from bot.services.retention import purge

TABLES = {
    "citizens",
    "message_log",
    "feedback_votes",
    "alembic_version",
    "staff",
    "cases",
    "relayed_messages",
    "audit_log",
    "inbox_updates",
    "staff_desks",
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


async def test_datetimes_read_back_aware_in_utc(fresh_url: str) -> None:
    """UTCDateTime: SQLite keeps no zone, yet every datetime read is aware, as on PostgreSQL."""
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            citizen = await CitizenService(session).choose_language(779, "kk")
            citizen_id = citizen.id
            await session.commit()
        async with sessions() as session:
            created = await session.scalar(
                select(Citizen.created_at).where(Citizen.id == citizen_id)
            )
            latest = await session.scalar(select(func.max(Citizen.created_at)))
        for moment in (created, latest):
            assert moment is not None
            assert moment.utcoffset() == timedelta(0)
            assert abs(utcnow() - moment) < timedelta(minutes=5)
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
            assert citizen.consent_at is None  # a language is not consent
            citizen, first = await service.accept_notice(777)
            assert first
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
            memory = ConversationMemory()
            await memory.remember(777, "секрет")
            forget = ForgetService(session, memory)
            assert await forget.forget(777, chat_id=777, cases=False) == Forgotten(deleted=True)
            assert await memory.recent(777) == []
            assert await forget.forget(777, chat_id=777, cases=False) == Forgotten(deleted=False)
        async with sessions() as session:
            logs = await session.scalar(select(func.count()).select_from(MessageLog))
            votes = await session.scalar(select(func.count()).select_from(FeedbackVote))
            assert (logs, votes) == (1, 1)  # the other citizen's data stays
            assert await CitizenService(session).get(777) is None
            assert await CitizenService(session).get(778) is not None
    finally:
        await engine.dispose()


class _RedisDown(ConversationMemory):
    async def forget(self, chat_id: int) -> None:
        raise ConnectionError("Redis is down")


async def test_forget_deletes_nothing_when_the_memory_cannot_be_forgotten(
    fresh_url: str,
) -> None:
    """/forget must not say it deleted what it did not: the conversation memory
    goes first, and when it cannot, the database keeps everything too."""
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    try:
        async with session_factory(engine)() as session:
            await CitizenService(session).choose_language(779, "ru")
            with pytest.raises(ConnectionError):
                await ForgetService(session, _RedisDown()).forget(779, chat_id=779, cases=True)
        async with session_factory(engine)() as session:
            assert await CitizenService(session).get(779) is not None
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


async def _retention_fixture(session: AsyncSession) -> tuple[int, int]:
    """A consented citizen with a question, a vote, a closed case with a topic
    and a copied message, and an open case; returns (closed, open) case ids."""
    citizen, _ = await CitizenService(session).accept_notice(777)
    entry = MessageLog(citizen_id=citizen.id, lang="ru", intent="greet", route="service")
    session.add(entry)
    await session.flush()
    session.add(
        FeedbackVote(
            citizen_id=citizen.id, message_log_id=entry.id, intent="greet", lang="ru", helpful=True
        )
    )
    now = utcnow()
    closed = Case(
        citizen_id=citizen.id,
        chat_id=777,
        lang="ru",
        route="escalate",
        intent="relative_in_group",
        priority=2,
        status="closed",
        topic_id=55,
        closed_at=now,
        outcome="answered",
        rating=5,
    )
    still_open = Case(
        citizen_id=citizen.id,
        chat_id=777,
        lang="ru",
        route="escalate",
        priority=3,
        status="active",
        topic_id=56,
    )
    session.add_all([closed, still_open])
    await session.flush()
    session.add(
        RelayedMessage(case_id=closed.id, direction="in", citizen_message_id=1, topic_message_id=2)
    )
    await session.commit()
    return closed.id, still_open.id


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_retention_deletes_what_the_notice_says_once_the_clock_passes_it(
    fresh_url: str,
) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    try:
        async with session_factory(engine)() as session:
            closed_id, open_id = await _retention_fixture(session)
            # 30 days on: nothing is past the 90-day limit.
            early = await purge(session, now=utcnow() + timedelta(days=30), days=90)
            assert (early.messages, early.votes, early.cases, early.topics) == (0, 0, 0, ())
            assert await _count(session, MessageLog) == 1
            # 91 days on: the records, the vote and the closed case's link go.
            late = await purge(session, now=utcnow() + timedelta(days=91), days=90)
            assert (late.messages, late.votes, late.cases) == (1, 1, 1)
            assert late.topics == ((closed_id, 55),)
        async with session_factory(engine)() as session:
            assert await _count(session, MessageLog) == 0
            assert await _count(session, FeedbackVote) == 0
            assert await _count(session, RelayedMessage) == 0
            closed = await session.get(Case, closed_id)
            assert closed is not None
            assert (closed.citizen_id, closed.chat_id) == (None, None)
            # What stays is anonymous: the figures supervisors count.
            assert (closed.route, closed.outcome, closed.rating) == ("escalate", "answered", 5)
            still_open = await session.get(Case, open_id)
            assert still_open is not None
            assert still_open.chat_id == 777
            # The citizen's own settings stay until /forget.
            assert await CitizenService(session).get(777) is not None
            again = await purge(session, now=utcnow() + timedelta(days=91), days=90)
            assert (again.cases, again.topics) == (0, ())
    finally:
        await engine.dispose()


async def test_the_retention_job_runs_on_the_clock(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    sessions = session_factory(engine)
    settings = Settings(database_url=fresh_url, message_log_days=7)
    try:
        async with sessions() as session:
            await _retention_fixture(session)
        job = RetentionJob(cast(Any, None), sessions, None, settings)
        await job.tick()
        async with sessions() as session:
            assert await _count(session, MessageLog) == 1
        later = utcnow() + timedelta(days=8)
        monkeypatch.setattr("bot.jobs.utcnow", lambda: later)
        await job.tick()
        async with sessions() as session:
            assert await _count(session, MessageLog) == 0
            assert await _count(session, FeedbackVote) == 0
    finally:
        await engine.dispose()


async def test_the_inbox_takes_each_update_once_and_forgets_old_ids(fresh_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from bot.db.models import InboxUpdate
    from bot.services.inbox import InboxService

    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    sessions = session_factory(engine)
    try:
        one, two = InboxService(sessions, "one"), InboxService(sessions, "two")
        raws = [{"update_id": i, "message": {"text": f"t{i}"}} for i in range(1, 6)]
        # Two processes given the same updates at once: each update goes to one of them.
        first, second = await asyncio.gather(one.accept(raws), two.accept(raws))
        ids = sorted(a.update_id for a in [*first, *second])
        assert ids == [1, 2, 3, 4, 5]
        assert await one.accept(raws) == []  # a redelivery: nothing new
        for uid in ids:
            await one.finish(uid, "handled")
        # Unfinished ones: another live process's claim is respected for a lease...
        await one.accept([{"update_id": 7}])
        assert await two.take_unfinished(all_of_them=False) == []
        # ...but a polling start takes over everything left, once.
        assert [a.update_id for a in await two.take_unfinished(all_of_them=True)] == [7]
        async with sessions() as session:
            old = datetime.now(UTC) - timedelta(days=2)
            await session.execute(
                update(InboxUpdate).where(InboxUpdate.update_id <= 2).values(done_at=old)
            )
            await session.commit()
        assert await one.purge() == 2
        fresh = await one.accept([{"update_id": 2}, {"update_id": 3}])
        assert [a.update_id for a in fresh] == [2]  # forgotten after a day; 3 is still known
    finally:
        await engine.dispose()


async def test_the_inbox_lease_and_a_conversations_backlog(fresh_url: str) -> None:
    """After the lease another replica takes an update over, but never one its own
    process is still handling; a conversation's backlog comes oldest first."""
    from datetime import timedelta

    from bot.services.inbox import InboxService

    await asyncio.to_thread(upgrade, fresh_url)
    engine = create_engine(fresh_url)
    sessions = session_factory(engine)

    def message(uid: int, chat: int) -> dict[str, Any]:
        return {"update_id": uid, "message": {"chat": {"id": chat, "type": "private"}}}

    try:
        one = InboxService(sessions, "one", lease=timedelta(0))
        two = InboxService(sessions, "two", lease=timedelta(0))
        await one.accept([message(10, 5), message(11, 6), message(12, 5)])
        assert await one.take_unfinished(all_of_them=False, in_hand={10, 11, 12}) == []
        taken = await two.take_unfinished(all_of_them=False, in_hand={11})
        assert [a.update_id for a in taken] == [10, 12]  # "one" died: its lease ran out
        backlog = await one.take_chat_backlog("p:5", up_to=12)
        assert [a.update_id for a in backlog] == [10, 12]
        await one.finish(10, "handled")
        assert [a.update_id for a in await two.take_chat_backlog("p:5", up_to=11)] == []
        assert [a.update_id for a in await two.take_chat_backlog("p:5", up_to=12)] == [12]
    finally:
        await engine.dispose()


async def test_one_replica_at_a_time_runs_the_jobs(postgres_url: str) -> None:
    """Two processes' engines: one holds the jobs' lock; when its connection dies
    (the process died), the other takes over at its next try."""
    from bot.db.leader import JobLeadership, lead_jobs

    first_engine, second_engine = create_engine(postgres_url), create_engine(postgres_url)
    first, second = JobLeadership(first_engine), JobLeadership(second_engine)
    try:
        assert await first.try_lead()
        assert not await second.try_lead()
        assert await first.try_lead()  # still its own
        # The leader's process dies: its connection closes, PostgreSQL frees the lock.
        held = first._connection
        assert held is not None
        await held.invalidate()
        await held.close()
        first._connection = None
        assert await second.try_lead()
        assert await second.still_leading()

        # lead_jobs starts the jobs once while leading, and stops them when cancelled.
        started: list[asyncio.Task[None]] = []

        def start() -> list[asyncio.Task[None]]:
            started.append(asyncio.create_task(asyncio.sleep(3600)))
            return started[-1:]

        ticks = 0
        three = asyncio.Event()

        async def tick(_: float) -> None:
            nonlocal ticks
            ticks += 1
            if ticks >= 3:
                three.set()
            await asyncio.sleep(0)

        leading = asyncio.create_task(lead_jobs(second, start, sleep=tick))
        await asyncio.wait_for(three.wait(), 10)
        leading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leading
        assert len(started) == 1
        assert started[0].cancelled()
        # Released on the way out: another process may lead now.
        third = JobLeadership(first_engine)
        assert await third.try_lead()
        await third.release()
    finally:
        await first.release()
        await second.release()
        await first_engine.dispose()
        await second_engine.dispose()
