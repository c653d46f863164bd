"""Figures the operations endpoints read (bot/ops.py). Never commits."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, InboxUpdate


class OpsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ping(self) -> None:
        await self._session.execute(text("SELECT 1"))

    async def waiting_by_priority(self, waiting_status: str) -> dict[int, int]:
        result = await self._session.execute(
            select(Case.priority, func.count())
            .where(Case.status == waiting_status)
            .group_by(Case.priority)
        )
        return {int(priority): int(count) for priority, count in result.all()}

    async def inbox_unfinished(self) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))
        )
        return int(count or 0)
