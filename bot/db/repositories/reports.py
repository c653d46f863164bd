"""Aggregates for the supervisors' reports.

Counts are grouped in the database, each with the number of distinct citizens
behind it (the report hides small ones). Nothing here returns a message's
text, a name or a Telegram id: the case rows carry the citizen's internal
row id only so that the service can count distinct people, and it never
leaves the service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import distinct, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import AuditEntry, Case, FeedbackVote, MessageLog

_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]+")
# What a logged message can be grouped and filtered by.
MESSAGE_FIELDS: dict[str, Any] = {
    "lang": MessageLog.lang,
    "region": MessageLog.region,
    "route": MessageLog.route,
    "intent": MessageLog.intent,
    "nlu_available": MessageLog.nlu_available,
    "safety_raised": MessageLog.safety_raised,
}


@dataclass(frozen=True, slots=True)
class GroupCount:
    """Messages (or votes) in one group, and how many distinct citizens sent them."""

    key: tuple[Any, ...]
    count: int
    citizens: int


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the report needs of one case."""

    citizen: int | None  # internal row id, for counting people; None once detached
    priority: int
    opened_via: str | None
    status: str
    outcome: str | None
    rating: int | None
    holder_id: int | None
    opened_at: datetime
    first_taken_at: datetime | None
    first_reply_at: datetime | None
    closed_at: datetime | None
    reannounced: int


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _dialect(self) -> str:
        return str(self._session.get_bind().dialect.name)

    def _local_day(self, column: Any, zone: tzinfo, moment: datetime) -> ColumnElement[Any]:
        """The calendar day of `column` in `zone`, computed by the database."""
        # Literals, not parameters: the same expression is in SELECT and GROUP
        # BY, and PostgreSQL only sees them as one when they are written alike.
        if self._dialect() == "postgresql":
            name = str(zone)
            if not _ZONE_NAME.fullmatch(name):
                raise ValueError(f"not a time zone name: {name!r}")
            return func.date(func.timezone(literal_column(f"'{name}'"), column))
        # SQLite keeps UTC without a zone: shift by the zone's offset at the
        # period's start (Kazakhstan has no daylight saving time).
        offset = zone.utcoffset(moment) or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        return func.date(column, literal_column(f"'{minutes:+d} minutes'"))

    async def message_counts(
        self,
        start: datetime,
        end: datetime,
        by: Sequence[str] = (),
        *,
        per_day: tzinfo | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> list[GroupCount]:
        """Messages logged in [start, end) grouped by the `by` fields (and by the
        local day in `per_day`, which then comes first in each key). A `where`
        value that is a tuple means any of its values."""
        columns: list[Any] = [MESSAGE_FIELDS[name] for name in by]
        if per_day is not None:
            columns.insert(0, self._local_day(MessageLog.created_at, per_day, start))
        query = select(*columns, func.count(), func.count(distinct(MessageLog.citizen_id))).where(
            MessageLog.created_at >= start, MessageLog.created_at < end
        )
        for name, value in (where or {}).items():
            column = MESSAGE_FIELDS[name]
            query = query.where(column.in_(value) if isinstance(value, tuple) else column == value)
        if columns:
            query = query.group_by(*columns)
        result = await self._session.execute(query)
        rows = []
        for row in result.all():
            key = tuple(row[: len(columns)])
            if per_day is not None:
                key = (_as_date(key[0]), *key[1:])
            rows.append(GroupCount(key, int(row[-2]), int(row[-1])))
        return rows

    async def vote_counts(self, start: datetime, end: datetime) -> list[GroupCount]:
        """Votes given in [start, end), by (answer intent, helpful)."""
        result = await self._session.execute(
            select(
                FeedbackVote.intent,
                FeedbackVote.helpful,
                func.count(),
                func.count(distinct(FeedbackVote.citizen_id)),
            )
            .where(FeedbackVote.created_at >= start, FeedbackVote.created_at < end)
            .group_by(FeedbackVote.intent, FeedbackVote.helpful)
        )
        return [
            GroupCount((intent, bool(helpful)), int(count), int(citizens))
            for intent, helpful, count, citizens in result.all()
        ]

    async def audited(self, action: str, detail: str) -> bool:
        """Whether the audit log has an entry of `action` with `detail` (the
        weekly report is posted once, across restarts)."""
        result = await self._session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.detail == detail)
        )
        return int(result.scalar_one()) > 0

    async def vote_totals(self, start: datetime, end: datetime) -> list[GroupCount]:
        """Votes given in [start, end), by helpful."""
        result = await self._session.execute(
            select(
                FeedbackVote.helpful, func.count(), func.count(distinct(FeedbackVote.citizen_id))
            )
            .where(FeedbackVote.created_at >= start, FeedbackVote.created_at < end)
            .group_by(FeedbackVote.helpful)
        )
        return [
            GroupCount((bool(helpful),), int(count), int(citizens))
            for helpful, count, citizens in result.all()
        ]

    async def cases_opened(self, start: datetime, end: datetime) -> list[CaseFacts]:
        """The cases opened in [start, end), oldest first."""
        result = await self._session.execute(
            select(
                Case.citizen_id,
                Case.priority,
                Case.opened_via,
                Case.status,
                Case.outcome,
                Case.rating,
                Case.holder_id,
                Case.opened_at,
                func.coalesce(Case.first_taken_at, Case.taken_at),
                Case.first_reply_at,
                Case.closed_at,
                Case.reannounced,
            )
            .where(Case.opened_at >= start, Case.opened_at < end)
            .order_by(Case.opened_at, Case.id)
        )
        return [
            CaseFacts(
                citizen=row[0],
                priority=int(row[1]),
                opened_via=row[2],
                status=str(row[3]),
                outcome=row[4],
                rating=row[5],
                holder_id=row[6],
                opened_at=row[7],
                first_taken_at=row[8],
                first_reply_at=row[9],
                closed_at=row[10],
                reannounced=int(row[11] or 0),
            )
            for row in result.all()
        ]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
