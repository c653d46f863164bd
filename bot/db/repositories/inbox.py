"""The inbox of Telegram updates (models.InboxUpdate). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import InboxUpdate


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def known(self, update_ids: Sequence[int]) -> set[int]:
        """Which of `update_ids` the inbox already holds (handled or not)."""
        if not update_ids:
            return set()
        result = await self._session.execute(
            select(InboxUpdate.update_id).where(InboxUpdate.update_id.in_(list(update_ids)))
        )
        return set(result.scalars())

    async def add(
        self, rows: Sequence[tuple[int, str, str | None]], now: datetime, owner: str
    ) -> None:
        """Insert (update_id, payload, chat_key) rows claimed by `owner`; the caller left
        out the known ones."""
        if rows:
            await self._session.execute(
                insert(InboxUpdate),
                [
                    {
                        "update_id": uid,
                        "payload": payload,
                        "received_at": now,
                        "claimed_by": owner,
                        "claimed_at": now,
                        "attempts": 1,
                        "chat_key": key,
                    }
                    for uid, payload, key in rows
                ],
            )

    async def claim(self, update_id: int, owner: str, now: datetime, stale: datetime) -> bool:
        """Take the update for `owner` unless it is handled or another holder's lease
        (claimed after `stale`) still runs. True when it is now `owner`'s."""
        result = await self._session.execute(
            update(InboxUpdate)
            .where(
                InboxUpdate.update_id == update_id,
                InboxUpdate.done_at.is_(None),
                or_(
                    InboxUpdate.claimed_by.is_(None),
                    InboxUpdate.claimed_by == owner,
                    InboxUpdate.claimed_at < stale,
                ),
            )
            .values(claimed_by=owner, claimed_at=now, attempts=InboxUpdate.attempts + 1)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, update_id: int, outcome: str, now: datetime) -> None:
        """Handled: the payload (the citizen's text) goes, the id stays for a while."""
        await self._session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id)
            .values(done_at=now, outcome=outcome, payload=None, claimed_by=None, chat_key=None)
        )

    async def release(self, owner: str) -> None:
        """`owner` stops: what it holds unhandled may be taken at once by the next one."""
        await self._session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.claimed_by == owner, InboxUpdate.done_at.is_(None))
            .values(claimed_by=None, claimed_at=None)
        )

    async def unfinished(self, limit: int = 1000) -> list[tuple[int, str | None]]:
        """(update_id, payload) of updates not handled yet, oldest first."""
        result = await self._session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload)
            .where(InboxUpdate.done_at.is_(None))
            .order_by(InboxUpdate.update_id)
            .limit(limit)
        )
        return [(int(uid), payload) for uid, payload in result.all()]

    async def chat_backlog(self, chat_key: str, up_to: int) -> list[tuple[int, str | None]]:
        """(update_id, payload) of the conversation's unhandled updates up to `up_to`,
        oldest first."""
        result = await self._session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload)
            .where(
                InboxUpdate.chat_key == chat_key,
                InboxUpdate.update_id <= up_to,
                InboxUpdate.done_at.is_(None),
            )
            .order_by(InboxUpdate.update_id)
        )
        return [(int(uid), payload) for uid, payload in result.all()]

    async def delete_done_before(self, moment: datetime) -> int:
        result = await self._session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.done_at.is_not(None), InboxUpdate.done_at < moment
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
