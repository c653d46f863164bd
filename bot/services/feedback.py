"""Citizens' votes on answers ("Was this helpful?")."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Citizen, FeedbackVote
from bot.db.repositories import FeedbackRepository, MessageLogRepository


class FeedbackService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._votes = FeedbackRepository(session)
        self._log = MessageLogRepository(session)

    async def vote(self, citizen: Citizen, message_log_id: int, *, helpful: bool) -> bool:
        """Record a vote on the answer to one logged message. One vote per answer;
        a second press changes it. False when the answer is not the citizen's."""
        entry = await self._log.get(message_log_id)
        if entry is None or entry.citizen_id != citizen.id:
            return False
        existing = await self._votes.for_message(citizen.id, message_log_id)
        if existing is not None:
            existing.helpful = helpful
        else:
            await self._votes.add(
                FeedbackVote(
                    citizen_id=citizen.id,
                    message_log_id=message_log_id,
                    intent=entry.intent or "",
                    lang=entry.lang,
                    helpful=helpful,
                )
            )
        await self._session.commit()
        return True
