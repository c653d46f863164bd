"""`python -m bot report`: the supervisors' report as CSV files and a chart.

    python -m bot report --since 2026-11-01 [--until 2026-11-30] [--out reports/] [--lang kk]

Days are calendar days in OFFICE_TIMEZONE, both ends included; --until
defaults to today. The files hold aggregates only: a figure about fewer than
five citizens is written "<5". The labels are in --lang (default
STAFF_LANGUAGE).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="the supervisors' report: CSV files and a chart")
    parser.add_argument("--since", type=_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="directory to write")
    parser.add_argument("--lang", choices=("kk", "ru"), help="language of the labels")
    parser.set_defaults(handler=_report)


async def build_files(
    settings: Settings, since: date, until: date | None, out: Path, lang: str
) -> list[Path]:
    from aiogram.utils.i18n import I18n

    from bot.content.library import ContentLibrary
    from bot.db.engine import create_engine, session_factory, upgrade
    from bot.db.models import utcnow
    from bot.services.report_figures import ReportPeriod
    from bot.services.reports import ReportService, sla_minutes
    from bot.ui.report_files import write_report

    zone = ZoneInfo(settings.office_timezone)
    period = ReportPeriod(since, until or utcnow().astimezone(zone).date(), zone)
    content = ContentLibrary.load(settings.content_dir, settings.domain_path)
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            report = await ReportService(session, sla_minutes=sla_minutes(settings)).build(period)
    finally:
        await engine.dispose()
    i18n = I18n(path=settings.locales_dir, default_locale="ru", domain="messages")
    with i18n.context(), i18n.use_locale(lang):
        return write_report(report, content, lang, out)


def _report(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        written = asyncio.run(
            build_files(
                settings, args.since, args.until, args.out, args.lang or settings.staff_language
            )
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
