"""Feedback votes on answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FeedbackVote


class FeedbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, vote: FeedbackVote) -> None:
        self._session.add(vote)
        await self._session.flush()

    async def for_message(self, citizen_id: int, message_log_id: int) -> FeedbackVote | None:
        result = await self._session.execute(
            select(FeedbackVote).where(
                FeedbackVote.citizen_id == citizen_id,
                FeedbackVote.message_log_id == message_log_id,
            )
        )
        return result.scalar_one_or_none()

    async def count(self, *, helpful: bool) -> int:
        result = await self._session.execute(
            select(func.count()).select_from(FeedbackVote).where(FeedbackVote.helpful == helpful)
        )
        return int(result.scalar_one())

    async def delete_older_than(self, moment: datetime) -> int:
        result = await self._session.execute(
            delete(FeedbackVote).where(FeedbackVote.created_at < moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_for_citizen(self, citizen_id: int) -> None:
        await self._session.execute(
            delete(FeedbackVote).where(FeedbackVote.citizen_id == citizen_id)
        )
