"""The supervisors' report as the staff group sees it: one text and one PNG of
charts, shared by /stats and the weekly report in the General topic."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.services.report_figures import Report, ReportPeriod
from bot.services.reports import ReportService, sla_minutes
from bot.ui import report_texts
from bot.ui.report_chart import render_chart


async def render_report(
    session: AsyncSession,
    settings: Settings,
    content: ContentLibrary,
    period: ReportPeriod,
    lang: str,
) -> tuple[Report, str, bytes]:
    """The report of `period`, its text and its chart, in the current locale
    (which must be `lang`)."""
    report = await ReportService(session, sla_minutes=sla_minutes(settings)).build(period)
    text = report_texts.summary(report, content, lang)
    # Drawing takes a moment of CPU: in a thread (it keeps the locale context).
    chart = await asyncio.to_thread(render_chart, report, content, lang)
    return report, text, chart
