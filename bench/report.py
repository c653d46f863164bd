"""Time to build the supervisors' report over a large history.

Fills a fresh database with N logged messages (default 100,000) from 3,000
citizens, over 30 days, in both languages and 20 regions, with every route,
plus M cases (default 10,000) of every priority, way of opening and outcome,
and 20,000 votes; then builds the report of those 30 days (the figures from
the database, as /stats month does) R times, and draws its chart once. It
runs on SQLite (a temporary file) and on PostgreSQL (its own database,
`kenes_bench`, on the server of TEST_POSTGRES_URL), writes the report's CSV
files and PNG to --out, and prints numbers; it asserts nothing.

    .venv/bin/python -m bench.report [--messages 100000] [--cases 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from bench.common import POSTGRES
from bot.config import Settings
from bot.db.engine import create_engine, session_factory, upgrade
from bot.db.models import Case, Citizen, FeedbackVote, MessageLog, Staff

ZONE = ZoneInfo("Asia/Almaty")
FIRST_DAY = date(2026, 11, 1)
DAYS = 30
CITIZENS = 3_000
REGIONS = [
    "astana", "almaty", "shymkent", "abai", "akmola", "aktobe", "almaty_region", "atyrau",
    "east_kazakhstan", "zhambyl", "zhetisu", "west_kazakhstan", "karaganda", "kostanay",
    "kyzylorda", "mangystau", "pavlodar", "north_kazakhstan", "turkistan", "ulytau",
]  # fmt: skip
INTENTS: dict[str, list[str | None]] = {
    "faq": ["law_religious_activity", "advisory_center_info", "signs_destructive_group"],
    "service": ["greet", "thanks"],
    "fallback": ["nlu_fallback", None],
    "escalate": ["relative_in_group", "leaving_group_help", "contacted_by_recruiter"],
    "crisis": ["crisis_self_harm", "crisis_abuse"],
}
ROUTE_WEIGHTS = {"faq": 60, "service": 15, "fallback": 15, "escalate": 8, "crisis": 2}
OUTCOMES = ["answered", "in_person", "emergency", "no_response", "abuse", "withdrawn"]
VIAS = ["request", "offer", "escalate", "crisis"]
BENCH_DB = "kenes_bench"


def moment(rng: random.Random) -> datetime:
    start = datetime.combine(FIRST_DAY, datetime.min.time(), ZONE).astimezone(UTC)
    return start + timedelta(seconds=rng.randrange(DAYS * 86_400))


async def fill(url: str, messages: int, cases: int, seed: int = 17) -> None:
    rng = random.Random(seed)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await session.execute(
            insert(Citizen),
            [
                {
                    "telegram_id": 5_000_000 + n,
                    "language": "kk" if n % 2 else "ru",
                    "region": REGIONS[n % len(REGIONS)],
                }
                for n in range(CITIZENS)
            ],
        )
        await session.execute(
            insert(Staff),
            [
                {"telegram_id": 9_000 + n, "role": "counselor", "display_name": f"Кеңесші {n}"}
                for n in range(12)
            ],
        )
        await session.commit()
        citizen_ids = list((await session.scalars(text("SELECT id FROM citizens"))).all())
        staff_ids = list((await session.scalars(text("SELECT id FROM staff"))).all())
        routes = list(ROUTE_WEIGHTS)
        weights = list(ROUTE_WEIGHTS.values())
        rows: list[dict[str, Any]] = []
        for n in range(messages):
            route = rng.choices(routes, weights)[0]
            citizen = rng.choice(citizen_ids)
            rows.append(
                {
                    "citizen_id": citizen,
                    "lang": "kk" if citizen % 2 else "ru",
                    "region": REGIONS[citizen % len(REGIONS)] if citizen % 7 else None,
                    "intent": rng.choice(INTENTS[route]),
                    "confidence": 0.9,
                    "route": route,
                    "nlu_available": rng.random() > 0.03,
                    "safety_raised": route in ("crisis", "escalate") and rng.random() < 0.3,
                    "created_at": moment(rng),
                }
            )
            if len(rows) == 5_000 or n == messages - 1:
                await session.execute(insert(MessageLog), rows)
                rows = []
        votes = [
            {
                "citizen_id": rng.choice(citizen_ids),
                "intent": rng.choice(INTENTS["faq"]),
                "lang": rng.choice(["kk", "ru"]),
                "helpful": rng.random() < 0.8,
                "created_at": moment(rng),
            }
            for _ in range(20_000)
        ]
        for chunk in range(0, len(votes), 5_000):
            await session.execute(insert(FeedbackVote), votes[chunk : chunk + 5_000])
        case_rows = []
        for n in range(cases):
            opened = moment(rng)
            priority = rng.choices([0, 1, 2], [5, 35, 60])[0]
            taken = (
                opened + timedelta(minutes=rng.expovariate(1 / 25)) if rng.random() < 0.9 else None
            )
            replied = taken + timedelta(minutes=rng.expovariate(1 / 5)) if taken else None
            # All closed but the last few: one open case per citizen at most.
            closed = n < cases - 200
            case_rows.append(
                {
                    "citizen_id": citizen_ids[n % len(citizen_ids)] if rng.random() < 0.8 else None,
                    "lang": rng.choice(["kk", "ru"]),
                    "route": "crisis" if priority == 0 else "escalate",
                    "priority": priority,
                    "status": "closed" if closed else ("active" if taken else "waiting"),
                    "holder_id": rng.choice(staff_ids) if taken else None,
                    "opened_at": opened,
                    "last_citizen_at": opened,
                    "taken_at": taken,
                    "first_taken_at": taken,
                    "first_reply_at": replied,
                    "closed_at": opened + timedelta(hours=2) if closed else None,
                    "outcome": rng.choice(OUTCOMES) if closed else None,
                    "rating": rng.choice([None, None, 1, 2, 3, 4, 5, 5, 5]) if closed else None,
                    "opened_via": "crisis" if priority == 0 else rng.choice(VIAS[:3]),
                    "reannounced": rng.choice([0, 0, 0, 1, 2]),
                }
            )
            if len(case_rows) == 2_000 or n == cases - 1:
                await session.execute(insert(Case), case_rows)
                case_rows = []
        await session.commit()
    await engine.dispose()


async def measure(url: str, runs: int, out: Path) -> dict[str, float]:
    from aiogram.utils.i18n import I18n

    from bot.content.library import ContentLibrary
    from bot.services.report_figures import ReportPeriod
    from bot.services.reports import ReportService, sla_minutes
    from bot.ui.report_chart import render_chart
    from bot.ui.report_files import write_report

    settings = Settings(_env_file=None)
    period = ReportPeriod(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), ZONE)
    week = ReportPeriod(FIRST_DAY + timedelta(days=7), FIRST_DAY + timedelta(days=13), ZONE)
    engine = create_engine(url)
    times: list[float] = []
    week_times: list[float] = []
    try:
        async with session_factory(engine)() as session:
            service = ReportService(session, sla_minutes=sla_minutes(settings))
            report = await service.build(period)  # warm the caches once
            for _ in range(runs):
                started = time.perf_counter()
                report = await service.build(period)
                times.append(time.perf_counter() - started)
                started = time.perf_counter()
                await service.build(week)
                week_times.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    content = ContentLibrary.load(settings.content_dir, settings.domain_path)
    i18n = I18n(path=settings.locales_dir, default_locale="ru", domain="messages")
    with i18n.context(), i18n.use_locale(settings.staff_language):
        started = time.perf_counter()
        render_chart(report, content, settings.staff_language)
        chart = time.perf_counter() - started
        write_report(report, content, settings.staff_language, out)
    return {
        "month_median": statistics.median(times),
        "month_max": max(times),
        "week_median": statistics.median(week_times),
        "chart": chart,
    }


async def fresh_postgres(base: str) -> str:
    admin = create_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        found = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": BENCH_DB}
        )
        if not found:
            await conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    await admin.dispose()
    url = base.rsplit("/", 1)[0] + "/" + BENCH_DB
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
    return url


async def run_one(name: str, url: str, args: argparse.Namespace) -> None:
    await asyncio.to_thread(upgrade, url)
    started = time.perf_counter()
    await fill(url, args.messages, args.cases)
    filled = time.perf_counter() - started
    figures = await measure(url, args.runs, args.out / name)
    print(
        f"{name:10s} {args.messages} messages, {args.cases} cases (filled in {filled:.0f} s): "
        f"30-day report {figures['month_median'] * 1000:.0f} ms median "
        f"(max {figures['month_max'] * 1000:.0f} ms of {args.runs}), "
        f"7-day {figures['week_median'] * 1000:.0f} ms; chart {figures['chart'] * 1000:.0f} ms; "
        f"files in {args.out / name}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "report_bench")
    parser.add_argument(
        "--postgres",
        default=POSTGRES,
        help="a PostgreSQL URL on the server to use ('' to skip)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        await run_one("sqlite", f"sqlite+aiosqlite:///{directory}/bench.sqlite3", args)
    if args.postgres:
        try:
            url = await fresh_postgres(args.postgres)
        except OSError as error:
            print(f"postgresql skipped: {error}")
            return
        await run_one("postgresql", url, args)


if __name__ == "__main__":
    asyncio.run(main())
