"""Cases, the map of relayed messages, and the audit log.

State changes that two people may race for (taking a case, reassigning it,
closing it) are single conditional UPDATEs: the database decides who wins,
and the caller learns it from the row count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import AuditEntry, Case, RelayedMessage
from bot.domain import OPEN_STATUSES, CaseStatus


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class DeskScope:
    """Which desks' cases a query sees: `ids`, and with `unset` the cases with
    no desk (which are the fallback desk's). None instead of a scope: every case."""

    ids: frozenset[str]
    unset: bool

    def clause(self) -> ColumnElement[bool]:
        inside = Case.desk_id.in_(sorted(self.ids))
        return or_(inside, Case.desk_id.is_(None)) if self.unset else inside


def _scoped(scope: DeskScope | None) -> tuple[ColumnElement[bool], ...]:
    return () if scope is None else (scope.clause(),)


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, case_id: int) -> Case | None:
        return await self._session.get(Case, case_id, populate_existing=True)

    async def add(self, case: Case) -> Case:
        self._session.add(case)
        await self._session.flush()
        return case

    async def open_for_citizen(self, citizen_id: int) -> Case | None:
        result = await self._session.execute(
            select(Case)
            .where(Case.citizen_id == citizen_id, Case.status.in_(OPEN_STATUSES))
            .execution_options(populate_existing=True)
        )
        return result.scalars().first()

    async def by_topic(self, topic_id: int, scope: DeskScope | None = None) -> Case | None:
        """The case of a topic; topic ids are unique only within one chat, so
        with several desks `scope` is the one desk whose group it is in."""
        result = await self._session.execute(
            select(Case)
            .where(Case.topic_id == topic_id, *_scoped(scope))
            .order_by(Case.id.desc())
            .execution_options(populate_existing=True)
        )
        return result.scalars().first()

    async def for_citizen(self, citizen_id: int) -> Sequence[Case]:
        result = await self._session.execute(select(Case).where(Case.citizen_id == citizen_id))
        return result.scalars().all()

    async def claim(self, case_id: int, staff_id: int, now: datetime) -> bool:
        """Take a waiting case. True for exactly one of any number of racing callers."""
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.status == CaseStatus.WAITING, Case.holder_id.is_(None))
            .values(
                holder_id=staff_id,
                status=CaseStatus.ACTIVE,
                taken_at=now,
                first_taken_at=func.coalesce(Case.first_taken_at, now),
                reminded_at=None,
            )
        )
        return _rowcount(result) == 1

    async def reassign(
        self, case_id: int, expected_holder: int | None, new_holder: int | None, now: datetime
    ) -> bool:
        """Move an open case from `expected_holder` to `new_holder` (None: the queue)."""
        holder_matches = (
            Case.holder_id.is_(None)
            if expected_holder is None
            else Case.holder_id == expected_holder
        )
        values: dict[str, Any] = {"holder_id": new_holder, "reminded_at": None}
        if new_holder is None:
            values |= {"status": CaseStatus.WAITING, "announced_at": None, "taken_at": None}
        else:
            values |= {
                "status": CaseStatus.ACTIVE,
                "taken_at": now,
                "first_taken_at": func.coalesce(Case.first_taken_at, now),
            }
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.status.in_(OPEN_STATUSES), holder_matches)
            .values(**values)
        )
        return _rowcount(result) == 1

    async def move(self, case_id: int, from_desk: str | None, to_desk: str) -> bool:
        """Move an open case to another desk. True for exactly one of any number
        of racing callers (the first; the others find it moved already)."""
        same = Case.desk_id.is_(None) if from_desk is None else Case.desk_id == from_desk
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.status.in_(OPEN_STATUSES), same)
            .values(desk_id=to_desk, topic_id=None, card_message_id=None)
        )
        return _rowcount(result) == 1

    async def mark_fallback_announced(self, case_id: int, now: datetime) -> bool:
        """Announced to the fallback desk: once per case (True for the first caller)."""
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.fallback_announced_at.is_(None))
            .values(fallback_announced_at=now)
        )
        return _rowcount(result) == 1

    async def close(self, case_id: int, outcome: str, now: datetime) -> bool:
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.status.in_(OPEN_STATUSES))
            .values(status=CaseStatus.CLOSED, outcome=outcome, closed_at=now)
        )
        return _rowcount(result) == 1

    async def set_priority(
        self, case_id: int, priority: int, route: str, intent: str | None
    ) -> bool:
        """Raise (never lower) the priority of an open case."""
        result = await self._session.execute(
            update(Case)
            .where(Case.id == case_id, Case.status.in_(OPEN_STATUSES), Case.priority > priority)
            .values(priority=priority, route=route, intent=intent)
        )
        return _rowcount(result) == 1

    async def waiting(self, scope: DeskScope | None = None) -> Sequence[Case]:
        """Cases nobody holds: most urgent first, then the longest waiting."""
        result = await self._session.execute(
            select(Case)
            .where(Case.status == CaseStatus.WAITING, *_scoped(scope))
            .order_by(Case.priority, Case.opened_at, Case.id)
            .execution_options(populate_existing=True)
        )
        return result.scalars().all()

    async def open_cases(self, scope: DeskScope | None = None) -> Sequence[Case]:
        result = await self._session.execute(
            select(Case)
            .where(Case.status.in_(OPEN_STATUSES), *_scoped(scope))
            .order_by(Case.priority, Case.opened_at, Case.id)
            .execution_options(populate_existing=True)
        )
        return result.scalars().all()

    async def held_by(self, staff_id: int) -> Sequence[Case]:
        result = await self._session.execute(
            select(Case)
            .where(Case.status == CaseStatus.ACTIVE, Case.holder_id == staff_id)
            .order_by(Case.priority, Case.opened_at, Case.id)
        )
        return result.scalars().all()

    async def count_ahead(self, case: Case, scope: DeskScope | None = None) -> int:
        """Waiting cases (of the desk's queue, `scope`) that will be served before `case`."""
        result = await self._session.execute(
            select(func.count())
            .select_from(Case)
            .where(
                *_scoped(scope),
                Case.status == CaseStatus.WAITING,
                Case.id != case.id,
                or_(
                    Case.priority < case.priority,
                    and_(Case.priority == case.priority, Case.opened_at <= case.opened_at),
                ),
            )
        )
        return int(result.scalar_one())

    async def recent_waits(self, priority: int, limit: int = 20) -> list[float]:
        """Seconds from opening to taking, for the last cases of this priority."""
        result = await self._session.execute(
            select(Case.opened_at, Case.taken_at)
            .where(Case.priority == priority, Case.taken_at.is_not(None))
            .order_by(Case.taken_at.desc())
            .limit(limit)
        )
        waits: list[float] = []
        for opened, taken in result.all():
            if opened is not None and taken is not None:
                waits.append(max(0.0, (taken - opened).total_seconds()))
        return waits

    async def touch(self, case_id: int, **values: Any) -> None:
        await self._session.execute(update(Case).where(Case.id == case_id).values(**values))

    async def staff_replied(self, case_id: int, now: datetime) -> tuple[datetime, int] | None:
        """The counselor wrote to the citizen; the first time is kept for the reports.
        Returns (opened_at, priority) when this was the case's first reply."""
        row = (
            await self._session.execute(
                select(Case.first_reply_at, Case.opened_at, Case.priority).where(Case.id == case_id)
            )
        ).one_or_none()
        await self._session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(
                last_staff_at=now,
                reminded_at=None,
                first_reply_at=func.coalesce(Case.first_reply_at, now),
            )
        )
        if row is None or row[0] is not None:
            return None
        return row[1], int(row[2])

    async def mark_announced(self, case_ids: Sequence[int], now: datetime) -> None:
        """Announced again in the General topic: one more unclaimed re-announcement."""
        if case_ids:
            await self._session.execute(
                update(Case)
                .where(Case.id.in_(case_ids))
                .values(announced_at=now, reannounced=Case.reannounced + 1)
            )

    async def detach_citizen(self, citizen_id: int) -> list[tuple[int, int | None]]:
        """Remove the link to a citizen from all their cases; returns (case id,
        topic id) of each."""
        return await self._detach(Case.citizen_id == citizen_id)

    async def detach_closed_before(self, moment: datetime) -> list[tuple[int, int | None]]:
        """Retention: unlink the cases closed before `moment` that still name a
        citizen or a chat; returns (case id, topic id) of each."""
        return await self._detach(
            Case.status == CaseStatus.CLOSED,
            Case.closed_at.is_not(None),
            Case.closed_at < moment,
            or_(Case.citizen_id.is_not(None), Case.chat_id.is_not(None)),
        )

    async def _detach(self, *where: ColumnElement[bool]) -> list[tuple[int, int | None]]:
        result = await self._session.execute(
            select(Case.id, Case.topic_id).where(*where).order_by(Case.id)
        )
        cases = [(int(case_id), topic_id) for case_id, topic_id in result.all()]
        if cases:
            await self._session.execute(
                update(Case)
                .where(Case.id.in_([case_id for case_id, _ in cases]))
                .values(citizen_id=None, chat_id=None)
            )
        return cases


class RelayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, case_id: int, direction: str, citizen_message_id: int, topic_message_id: int
    ) -> None:
        self._session.add(
            RelayedMessage(
                case_id=case_id,
                direction=direction,
                citizen_message_id=citizen_message_id,
                topic_message_id=topic_message_id,
            )
        )
        await self._session.flush()

    async def by_citizen_message(self, case_id: int, message_id: int) -> RelayedMessage | None:
        result = await self._session.execute(
            select(RelayedMessage)
            .where(
                RelayedMessage.case_id == case_id,
                RelayedMessage.citizen_message_id == message_id,
            )
            .order_by(RelayedMessage.id)
        )
        return result.scalars().first()

    async def by_topic_message(self, case_id: int, message_id: int) -> RelayedMessage | None:
        result = await self._session.execute(
            select(RelayedMessage)
            .where(
                RelayedMessage.case_id == case_id,
                RelayedMessage.topic_message_id == message_id,
            )
            .order_by(RelayedMessage.id)
        )
        return result.scalars().first()

    async def delete_for_cases(self, case_ids: Sequence[int]) -> None:
        if case_ids:
            await self._session.execute(
                delete(RelayedMessage).where(RelayedMessage.case_id.in_(case_ids))
            )


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        action: str,
        *,
        staff_id: int | None,
        case_id: int | None,
        detail: str | None = None,
    ) -> None:
        self._session.add(
            AuditEntry(
                staff_id=staff_id,
                action=action,
                case_id=case_id,
                detail=detail[:256] if detail else None,
            )
        )
        await self._session.flush()

    async def for_case(self, case_id: int) -> Sequence[AuditEntry]:
        result = await self._session.execute(
            select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        )
        return result.scalars().all()

    async def recent(self, limit: int = 100) -> Sequence[AuditEntry]:
        result = await self._session.execute(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        )
        return result.scalars().all()
