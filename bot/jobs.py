"""Background jobs of the case desk, run beside long polling.

Every CASE_JOBS_INTERVAL_SECONDS: cases nobody took are announced again in the
staff group's General topic once their priority's time has passed; a citizen
who stopped answering the counselor gets one reminder, and after as long again
the case closes with the outcome 'no response'; open cases that have no topic
yet (Telegram refused it earlier) get one. All state is in the database, so
the jobs pick up where they left off after a restart.

`WeeklyReportJob` posts the supervisors' report of the last 7 days to the
staff group's General topic on WEEKLY_REPORT_DAY at WEEKLY_REPORT_HOUR (office
time); the audit log remembers the weeks posted, so a restart posts none twice.

`RetentionJob` runs with or without a staff group: every hour it deletes what
the privacy notice says is deleted after MESSAGE_LOG_DAYS days
(bot/services/retention.py), and the desk deletes the expired cases' topics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import utcnow
from bot.desk import CaseDesk
from bot.desk.reports import render_report
from bot.domain import CaseOutcome, Priority
from bot.services.cases import CaseService
from bot.services.reports import ReportService, weekly_period
from bot.services.retention import purge
from bot.ui import report_texts

logger = logging.getLogger(__name__)


async def repeat(tick: Callable[[], Awaitable[object]], interval: float, name: str) -> None:
    """Run `tick` every `interval` seconds until cancelled; a failing tick is
    logged (its type only, no traceback: it may carry a citizen's words) and
    the next one runs."""
    while True:
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.error("%s failed: %s", name, type(exc).__name__)  # noqa: TRY400
            logger.debug("%s failure", name, exc_info=exc)
            metrics.JOB_RUNS.labels(name, "failed").inc()
        else:
            metrics.JOB_RUNS.labels(name, "ok").inc()
        await asyncio.sleep(interval)


class CaseJobs:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        desk: CaseDesk,
        settings: Settings,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._desk = desk
        self._interval = settings.case_jobs_interval_seconds
        self._silence = timedelta(minutes=settings.case_inactivity_minutes)
        self._announce_after = {
            Priority.URGENT: timedelta(minutes=settings.reannounce_urgent_minutes),
            Priority.ESCALATE: timedelta(minutes=settings.reannounce_escalate_minutes),
            Priority.REQUEST: timedelta(minutes=settings.reannounce_request_minutes),
        }

    async def run(self) -> None:
        await repeat(self.tick, self._interval, "case jobs")

    async def tick(self) -> None:
        async with self._sessions() as session:
            await self._topics(session)
            await self._announce(session)
            await self._remind(session)
            await self._close_silent(session)

    async def _topics(self, session: AsyncSession) -> None:
        for case in await CaseService(session).open_cases():
            if case.topic_id is None:
                await self._desk.topics.ensure(self._bot, session, case)

    async def _announce(self, session: AsyncSession) -> None:
        """Waiting cases announced again, each in its own desk's General topic."""
        service = CaseService(session)
        due = await service.due_announcements(self._announce_after)
        if not due:
            return
        directory = self._desk.directory
        for desk in directory:
            mine = [case for case in due if directory.desk_of(case).id == desk.id]
            if not mine:
                continue
            scope = desk.scope if directory.several else None
            waiting = len(await service.queue(scope))
            if await self._desk.announcements.announce(self._bot, mine, waiting, desk):
                await service.mark_announced(mine)
                logger.info("announced %s waiting case(s) again in desk %s", len(mine), desk.id)

    async def _remind(self, session: AsyncSession) -> None:
        service = CaseService(session)
        minutes = max(1, round(self._silence.total_seconds() / 60))
        for case in await service.due_reminders(self._silence):
            await self._desk.announcements.remind(self._bot, case, minutes=minutes)
            await service.mark_reminded(case)
            logger.info("case %s: the citizen was reminded", case.id)

    async def _close_silent(self, session: AsyncSession) -> None:
        service = CaseService(session)
        for case in await service.due_closing(self._silence):
            decision = await service.close(case.id, None, CaseOutcome.NO_RESPONSE)
            if decision.ok and decision.case is not None:
                await self._desk.after_close(self._bot, session, decision.case, None)


class RetentionJob:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        desk: CaseDesk | None,
        settings: Settings,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._desk = desk
        self._days = settings.message_log_days
        self._interval = settings.retention_interval_seconds

    async def run(self) -> None:
        await repeat(self.tick, self._interval, "retention")

    async def tick(self) -> None:
        async with self._sessions() as session:
            done = await purge(session, now=utcnow(), days=self._days)
            if done.messages or done.votes or done.cases:
                logger.info(
                    "retention: %d message record(s), %d vote(s), %d case(s) past %d days",
                    done.messages,
                    done.votes,
                    done.cases,
                    self._days,
                )
            if self._desk is not None:
                await self._desk.expire(self._bot, session, done.topics)


class WeeklyReportJob:
    # Often enough to post within minutes of the hour; the check is one query.
    INTERVAL_SECONDS = 300.0

    def __init__(  # noqa: PLR0913 - the jobs' collaborators, injected; options keyword-only
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        desk: CaseDesk,
        settings: Settings,
        *,
        now: Callable[[], datetime] = utcnow,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._desk = desk
        self._settings = settings
        self._content: ContentLibrary = desk.content
        self._zone = ZoneInfo(settings.office_timezone)
        self._now = now
        self._interval = interval

    async def run(self) -> None:
        await repeat(self.tick, self._interval, "weekly report")

    async def tick(self) -> bool:
        """Post the report if its time has come and it is not posted yet."""
        settings = self._settings
        period = weekly_period(
            self._now(), self._zone, settings.weekly_report_day, settings.weekly_report_hour
        )
        if period is None:
            return False
        async with self._sessions() as session:
            if await ReportService(session, sla_minutes={}).weekly_posted(period):
                return False
            lang = settings.staff_language
            with self._desk.messages.staff_voice():
                report, text, chart = await render_report(
                    session, settings, self._content, period, lang
                )
                text = report_texts.weekly_title() + "\n" + text
                caption = report_texts.chart_caption(report)
            if not await self._desk.announcements.weekly_report(self._bot, text, chart, caption):
                return False
            await ReportService(session, sla_minutes={}).mark_weekly_posted(period)
            logger.info("weekly report posted for %s", period.start.isoformat())
            return True
