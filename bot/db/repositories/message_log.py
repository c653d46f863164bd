"""The routing log of citizens' messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MessageLog


class MessageLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entry: MessageLog) -> MessageLog:
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def get(self, entry_id: int) -> MessageLog | None:
        return await self._session.get(MessageLog, entry_id)

    async def delete_for_citizen(self, citizen_id: int) -> None:
        await self._session.execute(delete(MessageLog).where(MessageLog.citizen_id == citizen_id))

    async def delete_older_than(self, moment: datetime) -> int:
        result = await self._session.execute(
            delete(MessageLog).where(MessageLog.created_at < moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def unreviewed_texts(self, limit: int = 50) -> Sequence[MessageLog]:
        """Messages whose text was kept for review, newest first."""
        result = await self._session.execute(
            select(MessageLog)
            .where(MessageLog.text.is_not(None), MessageLog.reviewed.is_(False))
            .order_by(MessageLog.created_at.desc(), MessageLog.id.desc())
            .limit(limit)
        )
        return result.scalars().all()

    async def mark_reviewed(self, entry_id: int) -> None:
        await self._session.execute(
            update(MessageLog).where(MessageLog.id == entry_id).values(reviewed=True, text=None)
        )
