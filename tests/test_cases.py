"""The case desk's services without Telegram: opening, the queue's order, an
atomic Take under concurrency (SQLite and PostgreSQL), transfer, close, rating,
/forget, reminders and announcements, office hours, staff, canned replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT, Settings
from bot.db.engine import create_engine, session_factory, upgrade
from bot.db.models import AuditEntry, Case, Citizen, RelayedMessage, Staff
from bot.domain import CaseOutcome, CaseStatus, Priority, Refusal, Route
from bot.services.cases import CaseService, Target
from bot.services.citizens import CitizenService
from bot.services.forget import ForgetService
from bot.services.memory import ConversationMemory
from bot.services.office_hours import OfficeHours
from bot.services.staff import CannedReplies, StaffError, StaffService
from bot.telegram import text_limits
from bot.ui import callbacks

ALMATY = ZoneInfo("Asia/Almaty")
# Tuesday 24 November 2026, 10:00 in Almaty.
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=ALMATY)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    url = sqlite_url
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        reset = create_engine(url)
        async with reset.begin() as conn:
            for table in (
                "staff_desks",
                "inbox_updates",
                "audit_log",
                "relayed_messages",
                "cases",
                "staff",
                "feedback_votes",
                "message_log",
                "citizens",
                "alembic_version",
            ):
                await conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
        await reset.dispose()
    await asyncio.to_thread(upgrade, url)
    created = create_engine(url)
    yield created
    await created.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


async def _citizen(session: AsyncSession, telegram_id: int, lang: str = "ru") -> Citizen:
    return await CitizenService(session).choose_language(telegram_id, lang)


async def _staff(session: AsyncSession, telegram_id: int, role: str = "counselor") -> Staff:
    return await StaffService(session).add(telegram_id, role, f"Counselor {telegram_id}")


async def test_one_open_case_per_citizen_raised_never_lowered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        citizen = await _citizen(session, 100)
        service = CaseService(session)
        first = await service.open(citizen, lang="ru", route=Route.ESCALATE, intent="request_human")
        assert first.created
        assert first.case.priority == Priority.REQUEST
        again = await service.open(citizen, lang="ru", route=Route.ESCALATE, intent="request_human")
        assert (again.created, again.raised, again.case.id) == (False, False, first.case.id)
        crisis = await service.open(
            citizen, lang="ru", route=Route.CRISIS, intent="crisis_self_harm"
        )
        assert (crisis.created, crisis.raised) == (False, True)
        assert crisis.case.priority == Priority.URGENT
        calmer = await service.open(citizen, lang="ru", route=Route.ESCALATE, intent="cult_exit")
        assert not calmer.raised
        assert (await service.get(first.case.id)).priority == Priority.URGENT  # type: ignore[union-attr]
        count = await session.scalar(select(func.count()).select_from(Case))
        assert count == 1


async def test_database_refuses_a_second_open_case(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        citizen = await _citizen(session, 101)
        await CaseService(session).open(citizen, lang="ru", route=Route.CRISIS, intent=None)
        session.add(
            Case(
                citizen_id=citizen.id,
                chat_id=101,
                lang="ru",
                route="escalate",
                priority=1,
                status="waiting",
            )
        )
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()


async def test_queue_order_priority_then_longest_waiting(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock(TUESDAY_10)
    async with sessions() as session:
        service = CaseService(session, now=clock)
        opened = {}
        for telegram_id, route, intent in [
            (1, Route.ESCALATE, "request_human"),
            (2, Route.ESCALATE, "cult_exit"),
            (3, Route.CRISIS, "crisis_self_harm"),
            (4, Route.ESCALATE, "request_human"),
            (5, Route.CRISIS, "crisis_violence"),
        ]:
            citizen = await _citizen(session, telegram_id)
            opened[telegram_id] = (
                await service.open(citizen, lang="kk", route=route, intent=intent)
            ).case
            clock.advance(minutes=1)
        order = [case.id for case in await service.queue()]
        expected = [opened[i].id for i in (3, 5, 2, 1, 4)]
        assert order == expected
        hours = OfficeHours(time(9), time(18), ALMATY, frozenset(range(5)))
        estimate = await service.estimate_wait(opened[4], hours, minutes_per_case=10)
        assert estimate.ahead == 4
        assert estimate.opens_at is None
        assert estimate.minutes == 10 + 4 * 10


@pytest.mark.parametrize("takers", [2, 6])
async def test_take_is_atomic_under_concurrency(
    sessions: async_sessionmaker[AsyncSession], takers: int
) -> None:
    async with sessions() as session:
        citizen = await _citizen(session, 200)
        case = (
            await CaseService(session).open(citizen, lang="ru", route=Route.CRISIS, intent=None)
        ).case
        staff = [await _staff(session, 300 + i) for i in range(takers)]

    barrier = asyncio.Barrier(takers)

    async def take(member: Staff) -> bool:
        async with sessions() as own:
            await barrier.wait()
            return (await CaseService(own).take(case.id, member)).ok

    results = await asyncio.gather(*(take(member) for member in staff))
    assert results.count(True) == 1
    async with sessions() as session:
        held = await CaseService(session).get(case.id)
        assert held is not None
        winner = staff[results.index(True)]
        assert (held.status, held.holder_id) == ("active", winner.id)
        takes = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "take")
        )
        assert takes == 1
        refused = await CaseService(session).take(case.id, staff[results.index(False)])
        assert refused.refusal is Refusal.HELD


async def test_transfer_close_rate_and_audit(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        citizen = await _citizen(session, 400, "kk")
        other = await _citizen(session, 401)
        aigerim = await _staff(session, 500)
        ivan = await _staff(session, 501)
        boss = await _staff(session, 502, "supervisor")
        service = CaseService(session)
        case = (await service.open(citizen, lang="kk", route=Route.ESCALATE, intent=None)).case
        # Only a supervisor assigns a case nobody holds.
        assert (await service.transfer(case.id, ivan, aigerim)).refusal is Refusal.NOT_HOLDER
        assert (await service.transfer(case.id, boss, aigerim)).ok
        assert (await service.transfer(case.id, ivan, ivan)).refusal is Refusal.NOT_HOLDER
        moved = await service.transfer(case.id, aigerim, ivan)
        assert moved.ok
        assert moved.previous_holder == aigerim.id
        assert moved.case is not None
        assert moved.case.holder_id == ivan.id
        back = await service.transfer(case.id, ivan, None)
        assert back.case is not None
        assert (back.case.status, back.case.holder_id) == ("waiting", None)
        # Who may be handed a case: an active staff member, or nobody (the queue).
        assert [m.id for m in await service.transfer_targets(back.case)] == [
            aigerim.id,
            ivan.id,
            boss.id,
        ]
        assert (await service.transfer_target(ivan.id)).staff is ivan
        assert (await service.transfer_target(0)) == Target(None)
        assert (await service.transfer_target(999_999)).refusal is Refusal.BAD_TARGET
        gone = await _staff(session, 503)
        assert await StaffService(session).remove(503) is not None
        assert (await service.transfer_target(gone.id)).refusal is Refusal.BAD_TARGET
        assert (await service.take(case.id, aigerim)).ok
        assert (
            await service.close(case.id, ivan, CaseOutcome.ANSWERED)
        ).refusal is Refusal.NOT_HOLDER
        closed = await service.close(case.id, aigerim, CaseOutcome.IN_PERSON)
        assert closed.case is not None
        assert (closed.case.status, closed.case.outcome) == ("closed", "in_person")
        assert (
            await service.close(case.id, aigerim, CaseOutcome.ANSWERED)
        ).refusal is Refusal.CLOSED
        assert not await service.rate(other, case.id, 5)  # not their case
        assert not await service.rate(citizen, case.id, 6)
        assert await service.rate(citizen, case.id, 4)
        assert (await service.get(case.id)).rating == 4  # type: ignore[union-attr]
        actions = [
            (entry.action, entry.staff_id)
            for entry in (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id)
                )
            ).all()
        ]
        assert actions == [
            ("transfer", boss.id),
            ("transfer", aigerim.id),
            ("release", ivan.id),
            ("take", aigerim.id),
            ("close", aigerim.id),
        ]


async def test_relay_map_and_forget(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        citizen = await _citizen(session, 600)
        staff = await _staff(session, 601)
        service = CaseService(session)
        case = (await service.open(citizen, lang="ru", route=Route.ESCALATE, intent=None)).case
        await service.attach_topic(case, 77, 78)
        assert (await service.take(case.id, staff)).ok
        await service.relayed_in(case, 10, 80)
        await service.relayed_out(case, staff, 81, 11)
        assert await service.is_relayed_in(case, 10)
        assert await service.topic_message_for(case, 10) == 80
        assert await service.topic_message_for(case, 11) == 81  # replies to the counselor's copy
        assert await service.citizen_message_for(case, 81) == 11
        assert (await service.by_topic(77)) is not None
        forgotten = await ForgetService(session, ConversationMemory()).forget(
            600, chat_id=600, cases=True
        )
        assert forgotten.deleted
        withdrawal = forgotten.withdrawal
        assert withdrawal is not None
        assert withdrawal.case is not None
        assert (withdrawal.case.status, withdrawal.case.outcome) == ("closed", "withdrawn")
        assert withdrawal.topics == ((case.id, 77),)
        await service.topic_deleted(case.id)
        assert await CitizenService(session).get(600) is None
    async with sessions() as session:
        kept = await session.get(Case, case.id)
        assert kept is not None
        assert (kept.citizen_id, kept.chat_id, kept.topic_id, kept.card_message_id) == (
            None,
            None,
            None,
            None,
        )
        relayed = await session.scalar(select(func.count()).select_from(RelayedMessage))
        assert relayed == 0


async def test_reminder_then_auto_close(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock = Clock(TUESDAY_10)
    silence = timedelta(minutes=30)
    async with sessions() as session:
        service = CaseService(session, now=clock)
        citizen = await _citizen(session, 700)
        staff = await _staff(session, 701)
        case = (await service.open(citizen, lang="ru", route=Route.ESCALATE, intent=None)).case
        assert (await service.take(case.id, staff)).ok
        clock.advance(minutes=40)
        assert await service.due_reminders(silence) == []  # the counselor has not written yet
        await service.relayed_out(case, staff, 1, 2)
        clock.advance(minutes=29)
        assert await service.due_reminders(silence) == []
        clock.advance(minutes=2)
        [due] = await service.due_reminders(silence)
        await service.mark_reminded(due)
        assert await service.due_reminders(silence) == []
        clock.advance(minutes=10)
        await service.relayed_in(case, 3, 4)  # the citizen answers: no closing
        clock.advance(minutes=60)
        assert await service.due_closing(silence) == []
        await service.relayed_out(case, staff, 5, 6)
        clock.advance(minutes=31)
        [again] = await service.due_reminders(silence)
        await service.mark_reminded(again)
        clock.advance(minutes=31)
        [closing] = await service.due_closing(silence)
        decision = await service.close(closing.id, None, CaseOutcome.NO_RESPONSE)
        assert decision.case is not None
        assert decision.case.outcome == "no_response"


async def test_announcements_per_priority(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock = Clock(TUESDAY_10)
    after = {
        Priority.URGENT: timedelta(minutes=2),
        Priority.ESCALATE: timedelta(minutes=15),
        Priority.REQUEST: timedelta(minutes=60),
    }
    async with sessions() as session:
        service = CaseService(session, now=clock)
        urgent = (
            await service.open(
                await _citizen(session, 800), lang="ru", route=Route.CRISIS, intent=None
            )
        ).case
        request = (
            await service.open(
                await _citizen(session, 801),
                lang="kk",
                route=Route.ESCALATE,
                intent="request_human",
            )
        ).case
        clock.advance(minutes=3)
        due = await service.due_announcements(after)
        assert [c.id for c in due] == [urgent.id]
        await service.mark_announced(due)
        clock.advance(minutes=1)
        assert await service.due_announcements(after) == []
        clock.advance(minutes=57)
        assert [c.id for c in await service.due_announcements(after)] == [urgent.id, request.id]


def test_office_hours_and_waits() -> None:
    hours = OfficeHours(time(9), time(18), ALMATY, frozenset(range(5)))
    assert hours.is_open(TUESDAY_10)
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=ALMATY)
    assert not hours.is_open(friday_evening)
    assert hours.next_opening(friday_evening) == datetime(2026, 11, 30, 9, 0, tzinfo=ALMATY)
    early = datetime(2026, 11, 24, 7, 30, tzinfo=ALMATY)
    assert hours.next_opening(early) == datetime(2026, 11, 24, 9, 0, tzinfo=ALMATY)
    # Measured waits win once there are enough of them.
    estimate = hours.estimate(TUESDAY_10, ahead=1, minutes_per_case=10, measured_minutes=[2, 3, 4])
    assert (estimate.minutes, estimate.opens_at) == (13, None)
    late = datetime(2026, 11, 24, 17, 55, tzinfo=ALMATY)
    estimate = hours.estimate(late, ahead=2, minutes_per_case=10)
    assert estimate.opens_at == datetime(2026, 11, 25, 9, 0, tzinfo=ALMATY)
    night = OfficeHours(time(20), time(2), ALMATY, frozenset({0}))  # Monday 20:00 to 02:00
    assert night.is_open(datetime(2026, 11, 24, 1, 0, tzinfo=ALMATY))
    assert not night.is_open(datetime(2026, 11, 24, 3, 0, tzinfo=ALMATY))


def test_settings_validate_office_days() -> None:
    assert Settings(_env_file=None, office_days="Mon, sat").office_days == "mon,sat"
    with pytest.raises(ValueError, match="office_days"):
        Settings(_env_file=None, office_days="monday")


async def test_staff_add_update_remove(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        service = StaffService(session)
        admin = await service.add(900, "admin", "  Айгерім  ")
        assert admin.display_name == "Айгерім"
        counselor = await service.add(901, "counselor", "Ivan")
        with pytest.raises(StaffError) as error:
            await service.add(902, "boss", "X")
        assert error.value.code == "role"
        with pytest.raises(StaffError):
            await service.add(903, "counselor", "x" * 65)
        with pytest.raises(StaffError) as error:
            await service.remove(900, actor=admin)
        assert error.value.code == "last_admin"
        citizen = await _citizen(session, 950)
        cases = CaseService(session)
        case = (await cases.open(citizen, lang="ru", route=Route.CRISIS, intent=None)).case
        assert (await cases.take(case.id, counselor)).ok
        removal = await service.remove(901, actor=admin)
        assert removal is not None
        assert removal.released_case_ids == (case.id,)
        assert await service.member(901) is None
        back = await cases.get(case.id)
        assert back is not None
        assert (back.status, back.holder_id) == (CaseStatus.WAITING, None)
        again = await service.add(901, "supervisor", "Ivan P.")
        assert (again.id, again.active, again.role) == (counselor.id, True, "supervisor")


def test_canned_replies_in_both_languages() -> None:
    canned = CannedReplies.load(PROJECT_ROOT / "content" / "canned.yml")
    assert canned.replies
    for reply in canned.replies:
        assert len(reply.id) <= 32
        assert ":" not in reply.id
        assert set(reply.text) == {"kk", "ru"}
        assert set(reply.title) == {"kk", "ru"}
        assert all(len(t) < 1000 for t in reply.text.values())


def test_callback_data_fits_telegram() -> None:
    big = 2**31 - 1
    packed = [
        callbacks.CaseAction(action="transfer", case=big).pack(),
        callbacks.CaseTransfer(case=big, to=big).pack(),
        callbacks.CaseClose(case=big, outcome="referred_emergency").pack(),
        callbacks.CaseSend(case=big, kind="r", key="x" * 32).pack(),
        callbacks.CaseRating(case=big, score=5).pack(),
    ]
    assert all(len(p.encode()) <= 64 for p in packed), packed


@pytest.mark.parametrize(
    "make",
    [
        lambda: "слово " * 2000,
        lambda: "а" * 9000,
        lambda: ("строка\n" * 900) + "🙂" * 3000,
    ],
)
def test_split_text_never_cuts(make: Callable[[], str]) -> None:
    original = make()
    pieces = text_limits.split_text(original, 4096)
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == original.replace("\n", "").replace(
        " ", ""
    )
    assert len(pieces) >= 2
