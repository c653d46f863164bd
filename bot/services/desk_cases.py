"""Cases between desks: a case moved to another desk (the region became known,
the fallback desk took it, a transfer), and the once-per-case announcement to
the fallback desk. Each state change is one conditional UPDATE, so of racing
callers exactly one wins. Nothing here imports aiogram."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, Staff, utcnow
from bot.db.repositories.cases import AuditRepository, CaseRepository
from bot.domain import Priority
from bot.services.desks import DeskDirectory


class DeskCaseService:
    def __init__(self, session: AsyncSession, *, now: Callable[[], datetime] = utcnow) -> None:
        self._session = session
        self._now = now
        self._cases = CaseRepository(session)
        self._audit = AuditRepository(session)

    async def move(self, case: Case, to_desk: str, *, actor: Staff | None, why: str) -> bool:
        """Move an open case to another desk (its topic there is made afresh).
        Exactly once: of racing movers only the first one's move happens."""
        if case.desk_id == to_desk:
            return False
        if not await self._cases.move(case.id, case.desk_id, to_desk):
            await self._session.commit()  # ends the transaction; nothing changed
            await self._session.refresh(case)
            return False
        detail = f"{case.desk_id or '-'}>{to_desk}:{why}"
        await self._audit.add(
            "move", staff_id=actor.id if actor else None, case_id=case.id, detail=detail
        )
        await self._session.commit()
        await self._session.refresh(case)
        return True

    async def due_fallback(self, directory: DeskDirectory) -> list[Case]:
        """Waiting cases of other desks to announce to the fallback desk now: their
        desk is outside its hours, or an urgent or escalate case waited past the
        desk's SLA. Each case once."""
        now = self._now()
        due = []
        for case in await self._cases.waiting():
            desk = directory.desk_of(case)
            if desk.fallback or case.fallback_announced_at is not None:
                continue
            priority = Priority(case.priority)
            late = priority is not Priority.REQUEST and now - case.opened_at >= timedelta(
                minutes=desk.sla_minutes[priority]
            )
            if late or not desk.hours.is_open(now):
                due.append(case)
        return due

    async def mark_fallback_announced(self, case: Case) -> bool:
        now = self._now()
        marked = await self._cases.mark_fallback_announced(case.id, now)
        await self._session.commit()
        if marked:
            case.fallback_announced_at = now
        return marked
