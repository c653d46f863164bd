"""The supervisors' report (issue 17): every figure against hand-computed values
on SQLite and PostgreSQL, in Kazakh and Russian; the chart is a PNG of the
expected size; small groups are "<5" everywhere; what the report needs is
recorded by the services; the CLI writes the files; /stats and the weekly
report in the staff group through the Bot API emulator.

The data set (one week, Monday 2 - Sunday 8 November 2026, Asia/Almaty):

messages (citizens 1-8 Russian in Almaty, 9-14 Kazakh in Astana, 15 Kazakh in
Shymkent, alone):
- day 0: 1-8 ask about the law twice at 10:00, 6 once more at 00:00 (17);
- day 1: 9-14 ask about the advisory center (6) and write something not
  understood (6; 9-13 while the NLU server was down);
- day 2: 15 in crisis at 00:30 local (19:30 UTC the day before), raised by the
  safety net while the NLU was down; 1-5 on a relative in a group, raised (5);
- day 6: 1 at 23:59:59 (1);
- outside: 7 a second before the week, 2 at midnight after it.
So 36 messages, 15 citizens, 8 + 6 + 6 + 1 = 21 conversations.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import struct
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.utils.i18n import I18n
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.engine import create_engine, session_factory, upgrade
from bot.db.models import Case, Citizen, FeedbackVote, MessageLog, Staff
from bot.domain import OpenedVia, Priority, Route
from bot.services.cases import CaseService
from bot.services.citizens import CitizenService
from bot.services.report_figures import HIDDEN, Report, ReportPeriod, Tally, nearest_rank
from bot.services.reports import ReportService, weekly_period
from bot.services.retention import purge
from bot.services.staff import StaffService
from bot.ui import report_texts
from bot.ui.report_chart import HEIGHT_PX, WIDTH_PX, render_chart
from bot.ui.report_files import write_report
from tests.conftest import POSTGRES_URL, port_open, require

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY = date(2026, 11, 2)
WEEK = ReportPeriod(MONDAY, MONDAY + timedelta(days=6), ALMATY)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
SLA = {0: 5.0, 1: 30.0, 2: 120.0}
# Telegram ids of the citizens: far from any count in the report.
TELEGRAM = {n: 770_000_000 + n for n in range(1, 16)}
# A separate database: other test modules reset `test` while these run.
REPORTS_DB = "kenes_reports"


def reports_postgres_url() -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + REPORTS_DB


async def _fresh_postgres() -> str:
    admin = create_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        exists = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": REPORTS_DB}
        )
        if not exists:
            await conn.execute(text(f"CREATE DATABASE {REPORTS_DB}"))
    await admin.dispose()
    url = reports_postgres_url()
    reset = create_engine(url)
    try:
        # The whole schema: tables added by later migrations go with it too.
        async with reset.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await reset.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    url = sqlite_url
    if request.param == "postgres":
        require("PostgreSQL", port_open("127.0.0.1", 5432), "expected on 127.0.0.1:5432")
        url = await _fresh_postgres()
    await asyncio.to_thread(upgrade, url)
    created = create_engine(url)
    yield created
    await created.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    settings = Settings(_env_file=None)
    return ContentLibrary.load(settings.content_dir, settings.domain_path)


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n(path=Settings(_env_file=None).locales_dir, default_locale="ru", domain="messages")


# --- the data set ----------------------------------------------------------------


def at(first: date, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local moment `day` days after `first`, in UTC."""
    local = datetime.combine(first + timedelta(days=day), time(hour, minute, second), ALMATY)
    return local.astimezone(UTC)


async def seed(session: AsyncSession, first: date = MONDAY) -> dict[int, int]:
    """The data set of the module docstring; returns citizen number -> row id."""
    ids: dict[int, int] = {}
    for n, telegram_id in TELEGRAM.items():
        region = "almaty" if n <= 8 else "astana" if n <= 14 else "shymkent"
        citizen = Citizen(telegram_id=telegram_id, language="ru" if n <= 8 else "kk")
        citizen.region = region
        session.add(citizen)
        await session.flush()
        ids[n] = citizen.id

    def log(n: int, when: datetime, route: str, intent: str | None, **extra: Any) -> MessageLog:
        entry = MessageLog(
            citizen_id=ids[n],
            lang="ru" if n <= 8 else "kk",
            region="almaty" if n <= 8 else "astana" if n <= 14 else "shymkent",
            route=route,
            intent=intent,
            confidence=0.9,
            created_at=when,
            **extra,
        )
        session.add(entry)
        return entry

    for n in range(1, 9):
        log(n, at(first, 0, 10), "faq", "law_religious_activity")
        log(n, at(first, 0, 10, 5), "faq", "law_religious_activity")
    log(6, at(first, 0, 0), "faq", "law_religious_activity")
    log(7, at(first, -1, 23, 59, 59), "faq", "law_religious_activity")  # before the week
    for n in range(9, 15):
        log(n, at(first, 1, 9), "faq", "advisory_center_info")
        if n <= 13:
            log(n, at(first, 1, 9, 30), "fallback", None, nlu_available=False)
        else:
            log(n, at(first, 1, 9, 30), "fallback", "nlu_fallback")
    log(15, at(first, 2, 0, 30), "crisis", "crisis_self_harm", safety_raised=True)
    for n in range(1, 6):
        log(n, at(first, 2, 11), "escalate", "relative_in_group", safety_raised=True)
    log(1, at(first, 6, 23, 59, 59), "faq", "law_religious_activity")
    log(2, at(first, 7, 0), "faq", "law_religious_activity")  # after the week
    await session.flush()
    crisis = (await session.scalars(select(MessageLog).where(MessageLog.route == "crisis"))).one()
    crisis.nlu_available = False

    aigerim = Staff(telegram_id=880_001, role="counselor", display_name="Айгерім")
    ivan = Staff(telegram_id=880_002, role="counselor", display_name="Иван")
    session.add_all([aigerim, ivan])
    await session.flush()

    order = itertools.count()

    def case(
        n: int | None,
        priority: int,
        via: str,
        *,
        take: float | None,
        reply: float | None,
        outcome: str | None,
        holder: Staff | None,
        rating: int | None = None,
        reannounced: int = 0,
        closed: float | None = None,
        day: int = 0,
    ) -> None:
        opened = at(first, day, 10) + timedelta(minutes=next(order))

        def plus(minutes: float | None) -> datetime | None:
            return None if minutes is None else opened + timedelta(minutes=minutes)

        status = "closed" if outcome else ("active" if take is not None else "waiting")
        session.add(
            Case(
                citizen_id=ids[n] if n is not None else None,
                chat_id=TELEGRAM[n] if n is not None else None,
                lang="ru" if (n or 15) <= 8 else "kk",
                region=None,
                route={0: "crisis", 1: "escalate", 2: "escalate"}[priority],
                intent=None,
                priority=priority,
                status=status,
                holder_id=holder.id if holder else None,
                opened_at=opened,
                last_citizen_at=opened,
                taken_at=plus(take),
                first_taken_at=plus(take),
                first_reply_at=plus(reply),
                closed_at=plus(closed if closed is not None else 400) if outcome else None,
                outcome=outcome,
                rating=rating,
                opened_via=via,
                reannounced=reannounced,
            )
        )

    # Requests (SLA 120 min).
    case(1, 2, "request", take=10, reply=15, outcome="answered", holder=aigerim, rating=5)
    case(2, 2, "request", take=20, reply=30, outcome="answered", holder=aigerim, rating=4)
    case(3, 2, "offer", take=30, reply=40, outcome="answered", holder=aigerim, rating=5)
    case(4, 2, "offer", take=40, reply=200, outcome="in_person", holder=ivan, rating=3)
    case(5, 2, "request", take=200, reply=210, outcome="answered", holder=ivan, reannounced=3)
    case(6, 2, "request", take=None, reply=None, outcome="withdrawn", holder=None, closed=300,
         reannounced=2)  # fmt: skip
    # Sensitive topics (SLA 30 min).
    case(7, 1, "offer", take=5, reply=8, outcome="answered", holder=aigerim, rating=2,
         reannounced=1)  # fmt: skip
    case(8, 1, "escalate", take=12, reply=20, outcome="answered", holder=aigerim, rating=4,
         reannounced=1)  # fmt: skip
    case(9, 1, "offer", take=25, reply=45, outcome="in_person", holder=ivan, rating=1,
         reannounced=1)  # fmt: skip
    case(10, 1, "escalate", take=50, reply=None, outcome=None, holder=ivan, reannounced=2)
    case(11, 1, "offer", take=None, reply=None, outcome=None, holder=None, reannounced=4)
    # Crises (SLA 5 min): one citizen, and a case /forget detached.
    case(15, 0, "crisis", take=3, reply=4, outcome="emergency", holder=aigerim, day=2)
    case(None, 0, "crisis", take=6, reply=7, outcome="emergency", holder=aigerim, day=2)
    # A case opened after the week.
    case(12, 2, "request", take=1, reply=2, outcome="answered", holder=ivan, day=7)

    def vote(n: int, intent: str, helpful: bool, day: int = 3) -> None:
        session.add(
            FeedbackVote(
                citizen_id=ids[n],
                intent=intent,
                lang="ru" if n <= 8 else "kk",
                helpful=helpful,
                created_at=at(first, day, 12),
            )
        )

    for n in range(1, 7):
        vote(n, "law_religious_activity", True)
    for n in (7, 8):
        vote(n, "law_religious_activity", False)
    for n in range(9, 14):
        vote(n, "advisory_center_info", False)
    vote(14, "advisory_center_info", True)
    vote(1, "advisory_center_info", False, day=7)  # after the week
    await session.commit()
    return ids


async def build(sessions: async_sessionmaker[AsyncSession], period: ReportPeriod = WEEK) -> Report:
    async with sessions() as session:
        return await ReportService(session, sla_minutes=SLA, now=lambda: NOW).build(period)


def tallies(rows: list[Tally]) -> dict[str, object]:
    return {row.key: row.count for row in rows}


# --- the figures -----------------------------------------------------------------


async def test_message_figures(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await seed(session)
    report = await build(sessions)
    m = report.messages
    assert (m.conversations, m.messages) == (21, 36)
    days = [(row.day, row.conversations, row.messages) for row in m.daily if row.dimension == "all"]
    assert days == [
        (MONDAY, 8, 17),
        (MONDAY + timedelta(days=1), 6, 12),
        # The crisis at 00:30 local (19:30 UTC on day 1) counts on day 2.
        (MONDAY + timedelta(days=2), 6, 6),
        (MONDAY + timedelta(days=3), 0, 0),
        (MONDAY + timedelta(days=4), 0, 0),
        (MONDAY + timedelta(days=5), 0, 0),
        (MONDAY + timedelta(days=6), HIDDEN, HIDDEN),
    ]
    by = {d: {r.key: (r.conversations, r.messages) for r in rows} for d, rows in m.by.items()}
    assert by["lang"] == {"ru": (14, 23), "kk": (7, 13)}
    assert by["region"] == {"almaty": (14, 23), "astana": (6, 12), "shymkent": (HIDDEN, HIDDEN)}
    assert by["route"] == {
        "faq": (15, 24),
        "fallback": (6, 6),
        "escalate": (5, 5),
        "crisis": (HIDDEN, HIDDEN),
    }
    assert [r.key for r in m.by["route"]] == ["faq", "fallback", "escalate", "crisis"]
    daily_region = {
        (r.day, r.key): (r.conversations, r.messages) for r in m.daily if r.dimension == "region"
    }
    assert daily_region == {
        (MONDAY, "almaty"): (8, 17),
        (MONDAY + timedelta(days=1), "astana"): (6, 12),
        (MONDAY + timedelta(days=2), "almaty"): (5, 5),
        (MONDAY + timedelta(days=2), "shymkent"): (HIDDEN, HIDDEN),
        (MONDAY + timedelta(days=6), "almaty"): (HIDDEN, HIDDEN),
    }
    daily_lang = {(r.day, r.key): r.messages for r in m.daily if r.dimension == "lang"}
    assert daily_lang[(MONDAY + timedelta(days=2), "kk")] is HIDDEN
    assert daily_lang[(MONDAY + timedelta(days=2), "ru")] == 5
    assert [(t.key, t.count) for t in m.intents] == [
        ("law_religious_activity", 18),
        ("advisory_center_info", 6),
        ("relative_in_group", 5),
        ("crisis_self_harm", HIDDEN),
    ]
    assert m.fallback.count == 6
    assert m.fallback.share == pytest.approx(6 / 36)
    assert m.nlu_down.count == 6
    assert m.nlu_down.share == pytest.approx(6 / 36)
    s = report.safety
    assert [(r.route, r.intent, r.messages, r.raised) for r in s.rows] == [
        ("crisis", "crisis_self_harm", HIDDEN, HIDDEN),
        ("escalate", "relative_in_group", 5, 5),
    ]
    assert (s.raised, s.raised_nlu_down) == (6, HIDDEN)


async def test_case_and_vote_figures(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await seed(session)
    report = await build(sessions)
    c = report.cases
    assert c.opened == 13
    urgent, escalate, request = c.by_priority
    assert (urgent.priority, escalate.priority, request.priority) == (0, 1, 2)
    # Requests: takes 10, 20, 30, 40, 200 min; one never taken, withdrawn after 300.
    assert request.opened == 6
    assert (request.take.measured, request.take.p50, request.take.p90) == (5, 30, 200)
    assert request.take.within_sla == pytest.approx(4 / 6)
    assert (request.reply.measured, request.reply.p50, request.reply.p90) == (5, 40, 210)
    assert request.reply.within_sla == pytest.approx(3 / 6)
    assert (request.reannouncements, request.reannounced_cases) == (HIDDEN, HIDDEN)
    # Sensitive: takes 5, 12, 25, 50 (4 people: hidden); one still waiting.
    assert escalate.opened == 5
    assert (escalate.take.measured, escalate.take.p50, escalate.take.p90) == (HIDDEN,) * 3
    assert escalate.take.within_sla == pytest.approx(3 / 5)
    assert escalate.reply.measured is HIDDEN
    assert escalate.reply.within_sla == pytest.approx(2 / 5)
    assert (escalate.reannouncements, escalate.reannounced_cases) == (9, 5)
    # Crises: two, one of them detached: every figure hidden.
    assert urgent.opened is HIDDEN
    assert (urgent.take.p50, urgent.take.within_sla, urgent.reply.p90) == (HIDDEN,) * 3
    assert tallies(c.by_via) == {
        "request": HIDDEN,
        "offer": 5,
        "escalate": HIDDEN,
        "crisis": HIDDEN,
    }
    assert [t.key for t in c.by_via] == ["request", "offer", "escalate", "crisis"]
    assert tallies(c.outcomes) == {
        "open": HIDDEN,
        "answered": 6,
        "emergency": HIDDEN,
        "in_person": HIDDEN,
        "withdrawn": HIDDEN,
    }
    assert tallies(c.crisis_outcomes) == {"emergency": HIDDEN}
    assert tallies(c.ratings) == dict.fromkeys(("1", "2", "3", "4", "5"), HIDDEN)
    assert c.rated == 7
    assert c.rating_mean == pytest.approx(24 / 7)
    assert [(t.key, t.count) for t in c.per_counselor] == [("Айгерім", 7), ("Иван", HIDDEN)]
    v = report.votes
    assert (v.up, v.down) == (7, 7)
    assert [(r.intent, r.up, r.down) for r in v.by_intent] == [
        ("advisory_center_info", HIDDEN, 5),
        ("law_religious_activity", 6, HIDDEN),
    ]
    assert [r.intent for r in v.most_down] == ["advisory_center_info", "law_religious_activity"]


def test_nearest_rank_and_periods() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7.0], 90) == 7.0
    assert nearest_rank([40, 10, 30, 20, 200], 50) == 30
    assert nearest_rank([40, 10, 30, 20, 200], 90) == 200
    assert nearest_rank([1, 2, 3, 4], 50) == 2
    now = datetime(2026, 11, 9, 4, 0, tzinfo=UTC)  # Monday 09:00 in Almaty
    assert ReportPeriod.named("day", now, ALMATY) == ReportPeriod(
        date(2026, 11, 9), date(2026, 11, 9), ALMATY
    )
    assert ReportPeriod.named("week", now, ALMATY).start == date(2026, 11, 3)
    assert ReportPeriod.named("month", now, ALMATY).start == date(2026, 10, 11)
    assert weekly_period(now, ALMATY, "mon", 9) == WEEK
    assert weekly_period(now - timedelta(minutes=1), ALMATY, "mon", 9) is None
    assert weekly_period(now, ALMATY, "tue", 9) is None
    assert WEEK.bounds == (
        datetime(2026, 11, 1, 19, 0, tzinfo=UTC),
        datetime(2026, 11, 8, 19, 0, tzinfo=UTC),
    )
    with pytest.raises(ValueError, match="ends before"):
        ReportPeriod(MONDAY, MONDAY - timedelta(days=1), ALMATY)


async def test_retention_keeps_the_case_figures(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await seed(session)
    before = await build(sessions)
    async with sessions() as session:
        done = await purge(session, now=datetime(2027, 3, 1, tzinfo=UTC), days=90)
        assert done.cases == 11  # the closed cases that still named a citizen (one after the week)
        detached = await session.scalars(select(Case).where(Case.citizen_id.is_(None)))
        assert len(detached.all()) == 12
    after = await build(sessions)
    assert after.cases == before.cases
    # The routing log and votes are gone with the retention limit, as the notice says.
    assert (after.messages.messages, after.votes.up) == (0, 0)


# --- the words, the chart, the files ------------------------------------------------


SUMMARY = {
    "ru": [
        "<b>Как работала служба: 02.11.2026 – 08.11.2026</b>",
        "<b>Разговоры</b>: 21 · сообщения: 36",
        "По языкам: Русский 14, Қазақша 7",
        "По регионам: Алматы 14, Астана 6, Шымкент <5",
        "По маршрутам (сообщения): готовые ответы 24, не понято 6, деликатные темы 5, кризисы <5",
        "Частые вопросы: Закон о религии 18, Консультационный центр 6, "
        "Близкий попал в подозрительную группу 5, мысли о самоповреждении <5",
        "Не понято: 6 (17%); ответы, пока сервер NLU не работал: 6 (17%)",
        "<b>Обращения</b>: открыто 13",
        "Как открылись: просит специалиста <5, согласился на предложение под ответом 5, "
        "деликатный вопрос, открыто сразу <5, кризис <5",
        "просит специалиста: открыто 6; повторно объявлено, потому что никто не взял: <5 "
        "(обращений: <5)",
        "  время до взятия: p50 30 мин, p90 3.3 ч, в пределах 2.0 ч: 67% (обращений: 5)",
        "  время до первого ответа: p50 40 мин, p90 3.5 ч, в пределах 2.0 ч: 50% (обращений: 5)",
        "деликатная тема: открыто 5; повторно объявлено, потому что никто не взял: 9 "
        "(обращений: 5)",
        "  время до взятия: p50 <5, p90 <5, в пределах 30 мин: 60% (обращений: <5)",
        "Итоги: ещё открыто <5, дан ответ 6, направлен в экстренные службы <5",
        "Оценки: ⭐ <5, ⭐⭐ <5, ⭐⭐⭐ <5, ⭐⭐⭐⭐ <5, ⭐⭐⭐⭐⭐ <5 (оценено: 7, в среднем 3.4)",
        "Обращения по консультантам: Айгерім 7, Иван <5",
        "<b>Отзывы об ответах</b>: 👍 7 · 👎 7",
        "Чаще всего не помогли: Консультационный центр 👎 5, Закон о религии 👎 <5",
        "<b>Безопасность</b>: мысли о самоповреждении <5, Близкий попал в подозрительную группу 5",
        "Проверка безопасности подняла маршрут выше, чем NLU: 6 (пока сервер NLU не работал: <5)",
        "<i>&lt;5: меньше 5 человек",
    ],
    "kk": [
        "<b>Қызмет қалай жұмыс істеді: 02.11.2026 – 08.11.2026</b>",
        "<b>Әңгімелер</b>: 21 · хабарламалар: 36",
        "Тіл бойынша: Русский 14, Қазақша 7",
        "Өңір бойынша: Алматы 14, Астана 6, Шымкент <5",
        "Бағыт бойынша (хабарламалар): дайын жауаптар 24, түсінілмеді 6, нәзік тақырыптар 5, "
        "дағдарыстар <5",
        "Жиі қойылған сұрақтар: Дін туралы заң 18, Кеңес беру орталығы 6, "
        "Туысым күдікті топқа кірді 5",
        "Түсінілмеді: 6 (17%); NLU сервері істемей тұрғанда берілген жауаптар: 6 (17%)",
        "<b>Өтініштер</b>: 13 ашылды",
        "маман сұрады: 6 ашылды; ешкім алмағандықтан қайта хабарланды: <5 (өтініш саны: <5)",
        "  алынғанға дейінгі уақыт: p50 30 мин, p90 3.3 сағ, 2.0 сағ ішінде: 67% (өтініш саны: 5)",
        "Бағалар: ⭐ <5, ⭐⭐ <5, ⭐⭐⭐ <5, ⭐⭐⭐⭐ <5, ⭐⭐⭐⭐⭐ <5 "
        "(бағаланғаны: 7, орташасы 3.4)",
        "Кеңесшілер бойынша өтініштер: Айгерім 7, Иван <5",
        "<b>Жауаптар туралы пікірлер</b>: 👍 7 · 👎 7",
        "Ең көп ұнамағандары: Кеңес беру орталығы 👎 5, Дін туралы заң 👎 <5",
        "Қауіпсіздік тексерісі NLU берген бағыттан жоғары көтергені: 6 "
        "(NLU сервері істемей тұрғанда: <5)",
    ],
}


@pytest.mark.parametrize("lang", ["ru", "kk"])
async def test_summary_in_both_languages(
    sessions: async_sessionmaker[AsyncSession], content: ContentLibrary, i18n: I18n, lang: str
) -> None:
    async with sessions() as session:
        await seed(session)
    report = await build(sessions)
    with i18n.context(), i18n.use_locale(lang):
        summary = report_texts.summary(report, content, lang)
    for line in SUMMARY[lang]:
        html = line.replace(" <5", " &lt;5")  # Telegram HTML
        assert html in summary, f"{html!r} not in:\n{summary}"
    assert "p50" in summary
    other = "Разговоры" if lang == "kk" else "Әңгімелер"
    assert other not in summary
    assert len(summary) < 4096


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("lang", ["ru", "kk"])
async def test_chart_is_a_png_of_the_expected_size(
    sessions: async_sessionmaker[AsyncSession], content: ContentLibrary, i18n: I18n, lang: str
) -> None:
    async with sessions() as session:
        await seed(session)
    report = await build(sessions)
    with i18n.context(), i18n.use_locale(lang):
        png = await asyncio.to_thread(render_chart, report, content, lang)
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.verify()
    # Not a blank canvas: the bars are drawn in colour.
    colours = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50


async def test_csv_files_hold_the_same_figures(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentLibrary,
    i18n: I18n,
    tmp_path: Path,
) -> None:
    async with sessions() as session:
        await seed(session)
    report = await build(sessions)
    with i18n.context(), i18n.use_locale("kk"):
        written = write_report(report, content, "kk", tmp_path)
    names = {path.name for path in written}
    assert names >= {"summary.csv", "messages_daily.csv", "cases_by_priority.csv", "report.png"}

    def rows(name: str) -> list[dict[str, str]]:
        with (tmp_path / name).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    summary = {row["figure"]: row["value"] for row in rows("summary.csv")}
    assert summary["conversations"] == "21"
    assert summary["messages"] == "36"
    assert summary["fallback_share"] == f"{6 / 36:.4f}"
    assert summary["safety_net_raised_nlu_down"] == "<5"
    assert summary["rating_mean"] == f"{24 / 7:.2f}"
    by = {(r["dimension"], r["key"]): r for r in rows("messages_by.csv")}
    assert by[("region", "shymkent")]["messages"] == "<5"
    assert by[("region", "shymkent")]["label"] == "Шымкент"
    assert by[("route", "faq")]["label"] == "дайын жауаптар"
    priorities = {r["priority"]: r for r in rows("cases_by_priority.csv")}
    assert priorities["2"]["take_p50_minutes"] == "30.0"
    assert priorities["2"]["take_p90_minutes"] == "200.0"
    assert priorities["2"]["take_within_sla"] == f"{4 / 6:.4f}"
    assert priorities["1"]["take_p50_minutes"] == "<5"
    assert priorities["1"]["reannouncements"] == "9"
    cases = {(r["table"], r["key"]): r["cases"] for r in rows("cases.csv")}
    assert cases[("counselor", "Айгерім")] == "7"
    assert cases[("outcome", "answered")] == "6"
    votes = {r["intent"]: (r["helpful"], r["not_helpful"]) for r in rows("votes.csv")}
    assert votes == {"advisory_center_info": ("<5", "5"), "law_religious_activity": ("6", "<5")}
    daily = [r for r in rows("messages_daily.csv") if r["dimension"] == "all"]
    assert [r["conversations"] for r in daily] == ["8", "6", "6", "0", "0", "0", "<5"]
    assert png_size((tmp_path / "report.png").read_bytes()) == (WIDTH_PX, HEIGHT_PX)


# --- privacy -------------------------------------------------------------------------


async def test_a_single_citizen_is_never_revealed(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentLibrary,
    i18n: I18n,
    tmp_path: Path,
) -> None:
    """One citizen in one region, in every part of the report: only "<5" and 0."""
    telegram_id = 987_654_321
    async with sessions() as session:
        citizen = Citizen(telegram_id=telegram_id, language="kk", region="ulytau")
        session.add(citizen)
        await session.flush()
        for minute in range(7):  # many messages, one person
            session.add(
                MessageLog(
                    citizen_id=citizen.id,
                    lang="kk",
                    region="ulytau",
                    route="crisis" if minute == 0 else "faq",
                    intent="crisis_self_harm" if minute == 0 else "law_religious_activity",
                    text="Менің атым Жанар, көмектесіңізші",
                    safety_raised=minute == 0,
                    created_at=at(MONDAY, 1, 10, minute),
                )
            )
            session.add(
                FeedbackVote(
                    citizen_id=citizen.id,
                    intent="law_religious_activity",
                    lang="kk",
                    helpful=minute % 2 == 0,
                    created_at=at(MONDAY, 1, 10, minute),
                )
            )
        staff = Staff(telegram_id=880_009, role="counselor", display_name="Айгерім")
        session.add(staff)
        await session.flush()
        for day in range(6):  # six cases, one person
            opened = at(MONDAY, day, 10)
            session.add(
                Case(
                    citizen_id=citizen.id,
                    chat_id=telegram_id,
                    lang="kk",
                    region="ulytau",
                    route="crisis",
                    priority=0,
                    status="closed",
                    holder_id=staff.id,
                    opened_at=opened,
                    last_citizen_at=opened,
                    first_taken_at=opened + timedelta(minutes=3),
                    first_reply_at=opened + timedelta(minutes=4),
                    closed_at=opened + timedelta(minutes=30),
                    outcome="emergency",
                    rating=5,
                    opened_via="crisis",
                    reannounced=1,
                )
            )
        await session.commit()
    report = await build(sessions)
    for lang in ("kk", "ru"):
        with i18n.context(), i18n.use_locale(lang):
            summary = report_texts.summary(report, content, lang)
            png = await asyncio.to_thread(render_chart, report, content, lang)
            written = write_report(report, content, lang, tmp_path / lang)
        shown = [summary] + [
            p.read_text(encoding="utf-8-sig") for p in written if p.suffix == ".csv"
        ]
        for part in shown:
            assert str(telegram_id) not in part
            assert "Жанар" not in part
            assert "көмектесіңізші" not in part
        # Every figure is hidden or zero: no digit but those of dates, periods,
        # SLA, percent-free labels, and "<5".
        figures = [
            report.messages.conversations,
            report.messages.messages,
            *(row.messages for rows in report.messages.by.values() for row in rows),
            *(row.conversations for row in report.messages.daily),
            *(row.messages for row in report.messages.daily),
            *(t.count for t in report.messages.intents),
            report.messages.fallback.share,
            report.cases.opened,
            report.cases.rated,
            report.cases.rating_mean,
            *(t.count for t in report.cases.per_counselor),
            *(t.count for t in report.cases.outcomes),
            *(t.count for t in report.cases.ratings),
            *(t.count for t in report.cases.by_via),
            *(p.take.p50 for p in report.cases.by_priority if p.priority == 0),
            *(p.take.within_sla for p in report.cases.by_priority if p.priority == 0),
            *(p.reannouncements for p in report.cases.by_priority if p.priority == 0),
            report.votes.up,
            report.votes.down,
            report.safety.raised,
            *(row.messages for row in report.safety.rows),
        ]
        assert all(f is HIDDEN or f in (0, 0.0, None) for f in figures), figures
        assert ("Ұлытау облысы &lt;5" if lang == "kk" else "Область Ұлытау &lt;5") in summary
        assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
        for path in written:
            if path.suffix != ".csv":
                continue
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    for column, value in row.items():
                        if column in FIGURE_COLUMNS:
                            assert _zero_or_hidden(value), (path.name, row)


FIGURE_COLUMNS = {
    "value",
    "conversations",
    "messages",
    "cases",
    "helpful",
    "not_helpful",
    "raised_by_safety_net",
    "opened",
    "taken",
    "take_p50_minutes",
    "take_p90_minutes",
    "take_within_sla",
    "replied",
    "reply_p50_minutes",
    "reply_within_sla",
    "reannouncements",
    "reannounced_cases",
}


def _zero_or_hidden(value: str) -> bool:
    if value in ("<5", ""):
        return True
    try:
        return float(value) == 0
    except ValueError:
        return len(value) == 10 and value[4] == "-"  # the period's dates


# --- recording what the report needs ---------------------------------------------------


async def test_the_services_record_what_the_report_needs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = [datetime(2026, 11, 3, 5, 0, tzinfo=UTC)]

    def now() -> datetime:
        return clock[0]

    def later(minutes: float) -> None:
        clock[0] += timedelta(minutes=minutes)

    async with sessions() as session:
        citizens = CitizenService(session)
        staff = StaffService(session)
        one = await staff.add(880_101, "counselor", "Айгерім")
        two = await staff.add(880_102, "supervisor", "Сауле")
        service = CaseService(session, now=now)
        opened = {}
        for telegram_id, route, intent, via in (
            (1, Route.ESCALATE, "request_human", None),
            (2, Route.ESCALATE, "relative_in_group", OpenedVia.OFFER),
            (3, Route.ESCALATE, "relative_in_group", None),
            (4, Route.CRISIS, "crisis_self_harm", None),
            (5, Route.FAQ, "law_religious_activity", OpenedVia.OFFER),
        ):
            citizen = await citizens.choose_language(telegram_id, "ru")
            result = await service.open(citizen, lang="ru", route=route, intent=intent, via=via)
            opened[telegram_id] = result.case
        assert {k: c.opened_via for k, c in opened.items()} == {
            1: "request",
            2: "offer",
            3: "escalate",
            4: "crisis",
            5: "offer",
        }
        case = opened[4]
        later(2)
        await service.mark_announced([case])
        later(2)
        await service.mark_announced([case])
        later(1)
        assert (await service.take(case.id, one)).ok
        later(3)
        await service.relayed_out(case, one, 501, 601)
        first_reply = clock[0]
        later(5)
        await service.relayed_out(case, one, 502, 602)
        # Back to the queue and taken by another: the first Take stays.
        await service.transfer(case.id, two, None)
        later(10)
        assert (await service.take(case.id, two)).ok
        await service.sent_content(case, two, "r:sos")
        fresh = await service.get(case.id)
        assert fresh is not None
        assert fresh.reannounced == 2
        start = datetime(2026, 11, 3, 5, 0, tzinfo=UTC)

        def minutes(moment: datetime | None) -> float:
            assert moment is not None
            aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            return (aware - start).total_seconds() / 60

        assert minutes(fresh.first_taken_at) == 5
        assert minutes(fresh.taken_at) == 23
        assert minutes(fresh.first_reply_at) == minutes(first_reply) == 8
        assert fresh.priority == Priority.URGENT


async def test_conversation_logs_region_and_safety(
    sessions: async_sessionmaker[AsyncSession], content: ContentLibrary
) -> None:
    from bot.services.conversation import ConversationService
    from bot.services.routing import MessageRouter
    from tests.fakes import KeywordNLU
    from tests.test_routing import CRISIS, StubSafety

    router = MessageRouter(KeywordNLU(), StubSafety(CRISIS), content.taxonomy, threshold=0.45)
    calm = MessageRouter(KeywordNLU(), StubSafety(None), content.taxonomy, threshold=0.45)
    async with sessions() as session:
        citizen = await CitizenService(session).choose_language(42, "ru")
        citizen.region = "astana"
        await session.commit()
        await ConversationService(session, router, content.answers, content.resources).handle_text(
            citizen, "закон", "ru"
        )
        await ConversationService(session, calm, content.answers, content.resources).handle_text(
            citizen, "закон", "ru"
        )
        await ConversationService(session, calm, content.answers, content.resources).answer_topic(
            citizen, "law_religious_activity", "ru"
        )
        entries = (await session.scalars(select(MessageLog).order_by(MessageLog.id))).all()
    assert [(e.route, e.safety_raised, e.region) for e in entries] == [
        ("crisis", True, "astana"),
        ("faq", False, "astana"),
        ("faq", False, "astana"),
    ]


def test_settings_and_sandbox_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.weekly_report
    assert (settings.weekly_report_day, settings.weekly_report_hour) == ("mon", 9)
    assert (settings.sla_urgent_minutes, settings.sla_request_minutes) == (5, 120)
    with pytest.raises(ValueError, match="weekly_report_day"):
        Settings(_env_file=None, weekly_report_day="monday")
    with pytest.raises(ValueError, match="weekly_report_hour"):
        Settings(_env_file=None, weekly_report_hour=24)


# --- Telegram: /stats and the weekly report ----------------------------------------------


async def _command(desk: Any, user: int, command: str, count: int = 1) -> list[Any]:
    """The bot's replies to `command` in the staff group (the case desk's jobs
    post cards and announcements for the seeded cases meanwhile)."""
    from tests.test_handoff_e2e import GROUP

    sent = desk.emulator.send_text(user, command, chat_id=GROUP)
    return list(
        await desk.until(
            lambda: (
                found
                if len(
                    found := [
                        m
                        for m in desk.emulator.messages_to(GROUP)
                        if m.reply_to_message_id == sent["message_id"]
                    ]
                )
                >= count
                else None
            ),
            what=f"{count} replies to {command}",
        )
    )


async def test_stats_in_the_staff_group(settings: Settings, migrated_engine: AsyncEngine) -> None:
    from tests.test_handoff_e2e import ADMIN, AIGERIM, GROUP, SUPERVISOR, desk_bot

    today = datetime.now(ALMATY).date()
    async with session_factory(migrated_engine)() as session:
        await seed(session, today - timedelta(days=6))
    async with desk_bot(settings) as desk:
        [refused] = await _command(desk, AIGERIM, "/stats")
        assert refused.text == "Отчёты доступны только супервизорам и администраторам."
        [usage] = await _command(desk, ADMIN, "/stats year")
        assert "/stats week" in (usage.text or "")
        summary, chart = await _command(desk, SUPERVISOR, "/stats week", count=2)
        assert "Разговоры: 21 · сообщения: 36" in (summary.text or "")
        assert "По регионам: Алматы 14, Астана 6, Шымкент <5" in (summary.text or "")
        assert "просит специалиста: открыто 6" in (summary.text or "")
        assert chart.method == "sendPhoto"
        assert chart.text == f"Графики: {today - timedelta(days=6):%d.%m.%Y} – {today:%d.%m.%Y}"
        stored = desk.emulator.files.get(chart.file_id or "")
        assert stored is not None
        assert stored.data is not None
        assert png_size(stored.data) == (WIDTH_PX, HEIGHT_PX)
        # In the supervisor's own language: Kazakh in Telegram, a Kazakh report.
        desk.emulator.add_user(SUPERVISOR, "TgСауле", username="staff2003", language_code="kk")
        summary, chart = await _command(desk, SUPERVISOR, "/stats day", count=2)
        assert f"Қызмет қалай жұмыс істеді: {today:%d.%m.%Y}" in (summary.text or "")
        assert "Әңгімелер: <5 · хабарламалар: <5" in (summary.text or "")
        assert chart.text == f"Графиктер: {today:%d.%m.%Y}"
        for record in desk.emulator.messages_to(GROUP):
            assert str(TELEGRAM[15]) not in (record.text or "")
        commands = desk.emulator.bot_commands(scope={"type": "chat", "chat_id": GROUP})
        assert "stats" in [c["command"] for c in commands]


async def test_weekly_report_posts_once_in_the_general_topic(
    settings: Settings, migrated_engine: AsyncEngine, content: ContentLibrary, i18n: I18n
) -> None:
    from bot.app import create_bot
    from bot.desk import CaseDesk
    from bot.jobs import WeeklyReportJob
    from tests.test_handoff_e2e import GROUP, desk_bot

    sessions = session_factory(migrated_engine)
    async with sessions() as session:
        await seed(session)
    monday_nine = datetime(2026, 11, 9, 4, 0, tzinfo=UTC)
    clock = [monday_nine - timedelta(minutes=1)]
    async with desk_bot(settings) as desk:
        local = desk.h.settings
        job = WeeklyReportJob(
            create_bot(local),
            sessions,
            CaseDesk(local, content, i18n, chat_id=GROUP),
            local,
            now=lambda: clock[0],
        )
        try:
            assert not await job.tick()  # 08:59: not yet
            clock[0] = monday_nine
            assert await job.tick()
            general = [
                m
                for m in desk.emulator.messages_to(GROUP)
                if m.message_thread_id is None
                and (m.method == "sendPhoto" or (m.text or "").startswith("📊"))
            ]
            text, photo = general
            assert (text.text or "").startswith(
                "📊 Отчёт за неделю\nКак работала служба: 02.11.2026"
            )
            assert "Разговоры: 21 · сообщения: 36" in (text.text or "")
            assert photo.method == "sendPhoto"
            assert photo.text == "Графики: 02.11.2026 – 08.11.2026"
            clock[0] = monday_nine + timedelta(hours=3)
            assert not await job.tick()  # posted once, also after a restart
            again = [
                m
                for m in desk.emulator.messages_to(GROUP)
                if m.method == "sendPhoto" or (m.text or "").startswith("📊")
            ]
            assert again == general
        finally:
            await job._bot.session.close()


def test_the_report_command_writes_the_files(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from bot.__main__ import main

    async def prepare() -> None:
        await asyncio.to_thread(upgrade, sqlite_url)
        engine = create_engine(sqlite_url)
        async with session_factory(engine)() as session:
            await seed(session)
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    out = tmp_path / "reports"
    argv = ["report", "--since", "2026-11-02", "--until", "2026-11-08", "--out", str(out)]
    assert main([*argv, "--lang", "kk"]) == 0
    printed = capsys.readouterr().out.split()
    assert str(out / "report.png") in printed
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as handle:
        summary = {row["figure"]: row["value"] for row in csv.DictReader(handle)}
    assert (summary["conversations"], summary["messages"], summary["cases_opened"]) == (
        "21",
        "36",
        "13",
    )
    with (out / "messages_by.csv").open(encoding="utf-8-sig", newline="") as handle:
        labels = {row["key"]: row["label"] for row in csv.DictReader(handle)}
    assert labels["fallback"] == "түсінілмеді"
    assert png_size((out / "report.png").read_bytes()) == (WIDTH_PX, HEIGHT_PX)
    # Without --until the report runs to today.
    assert main(["report", "--since", "2026-11-02", "--out", str(tmp_path / "open")]) == 0
    assert main(["report", "--since", "2026-11-08", "--until", "2026-11-02"]) == 1
    assert "ends before it starts" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--since", "1 November"])
