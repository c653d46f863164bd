"""/forget as one unit of work: the conversation memory, the citizen's cases (the
open one closes as withdrawn, every one loses its link to them) and everything
kept about the citizen, committed once.

What is left to do in the staff group (the topics to delete, the withdrawn
case to close there) comes back as plain data for the handler to render.
Nothing here imports aiogram.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.repositories import CitizenRepository, FeedbackRepository, MessageLogRepository
from bot.services.cases import CaseService, Withdrawal
from bot.services.memory import ChatMemory


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What /forget did."""

    # The bot kept something about the citizen, and it is deleted now.
    deleted: bool
    # With the cases: what is left for the staff group (None: no citizen, or
    # the case desk does not run).
    withdrawal: Withdrawal | None = None


class ForgetService:
    def __init__(self, session: AsyncSession, memory: ChatMemory) -> None:
        self._session = session
        self._memory = memory
        self._citizens = CitizenRepository(session)

    async def forget(self, telegram_id: int, *, chat_id: int, cases: bool) -> Forgotten:
        """Delete the citizen (`telegram_id`), their chat's conversation memory and
        everything kept about them; with `cases` (the case desk runs), withdraw
        their cases first."""
        # First, and outside the transaction: when Redis is down this raises
        # before anything is deleted, so /forget never says it deleted what it
        # did not.
        await self._memory.forget(chat_id)
        citizen = await self._citizens.by_telegram_id(telegram_id)
        if citizen is None:
            return Forgotten(deleted=False)
        withdrawal = await CaseService(self._session).withdraw(citizen) if cases else None
        # Explicit deletes as well as ON DELETE CASCADE: a database without
        # enforced foreign keys must not keep orphans either.
        await MessageLogRepository(self._session).delete_for_citizen(citizen.id)
        await FeedbackRepository(self._session).delete_for_citizen(citizen.id)
        await self._citizens.delete(citizen)
        await self._session.commit()
        return Forgotten(deleted=True, withdrawal=withdrawal)
