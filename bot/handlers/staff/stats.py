"""/stats [day|week|month] in the staff group: the supervisors' report, as a
short text and one PNG of charts, in the supervisor's language (their
Telegram language when it is Kazakh or Russian, else the staff's).

Supervisors and admins only. The weekly report (bot/jobs.py) posts the same
to the General topic; `render_report` is shared by both.
"""

from __future__ import annotations

import asyncio
import logging
from zoneinfo import ZoneInfo

from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import Staff, utcnow
from bot.handlers.registry import Handlers
from bot.services.reports import (
    PERIOD_DAYS,
    Report,
    ReportPeriod,
    ReportService,
    sla_minutes,
)
from bot.services.staff import role_of
from bot.telegram import text_limits
from bot.ui import report_texts
from bot.ui.report_chart import render_chart

logger = logging.getLogger(__name__)

router = Handlers(name="staff_stats")


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


def supervisor_language(message: Message, settings: Settings) -> str:
    code = (message.from_user.language_code or "") if message.from_user else ""
    code = code.split("-")[0].lower()
    return code if code in ("kk", "ru") else settings.staff_language


class Supervises(Filter):
    """A supervisor or an admin (the `staff` the members' router handed on)."""

    async def __call__(self, message: Message, staff: Staff) -> bool:
        return role_of(staff).can_supervise


@router.message(Command("stats"), Supervises())
async def stats(
    message: Message,
    command: CommandObject,
    staff: Staff,
    session: AsyncSession,
    settings: Settings,
    content: ContentLibrary,
    i18n: I18n,
) -> None:
    lang = supervisor_language(message, settings)
    with i18n.use_locale(lang):
        name = (command.args or "week").strip().lower()
        if name not in PERIOD_DAYS:
            await message.reply(report_texts.stats_usage())
            return
        period = ReportPeriod.named(name, utcnow(), ZoneInfo(settings.office_timezone))
        report, text, chart = await render_report(session, settings, content, period, lang)
        logger.info("report %s for staff %s", name, staff.id)
        for chunk in text_limits.message_parts(text):
            await message.reply(chunk)
        await message.reply_photo(
            BufferedInputFile(chart, filename="report.png"),
            caption=report_texts.chart_caption(report),
        )


@router.message(Command("stats"))
async def stats_refused(message: Message, settings: Settings, i18n: I18n) -> None:
    """A counselor asked: reports are for supervisors and admins."""
    with i18n.use_locale(supervisor_language(message, settings)):
        await message.reply(report_texts.stats_supervisors_only())
