"""/stats [day|week|month] in the staff group: the supervisors' report, as a
short text and one PNG of charts, in the supervisor's language (their
Telegram language when it is Kazakh or Russian, else the staff's).

Supervisors and admins only. The weekly report (bot/jobs.py) posts the same
to the General topic; both render it with bot/desk/reports.py.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import Staff, utcnow
from bot.desk.reports import render_report
from bot.handlers.registry import Handlers
from bot.handlers.staff.filters import Supervises
from bot.services.report_figures import PERIOD_DAYS, ReportPeriod
from bot.telegram import text_limits
from bot.ui import report_texts

logger = logging.getLogger(__name__)

router = Handlers(name="staff_stats")


def supervisor_language(message: Message, settings: Settings) -> str:
    code = (message.from_user.language_code or "") if message.from_user else ""
    code = code.split("-")[0].lower()
    return code if code in ("kk", "ru") else settings.staff_language


@router.message(Command("stats"), Supervises())
async def stats(  # noqa: PLR0913 - aiogram injects each dependency by name
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
