"""The inbox: an update is written here before Telegram is told it arrived.

Polling confirms a batch of updates when it asks for the next one; the bot asks
only once the batch is in the inbox, so an update fetched by a process that
then dies is handled after the restart, not lost. Each update is handled once:
a redelivered or duplicated update_id is recognised and skipped. What a stop
could not finish in time stays in the inbox and is handled at the next start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repositories.inbox import InboxRepository

# Telegram keeps an unconfirmed update for 24 hours; a redelivery comes within that.
KEEP_IDS = timedelta(days=1)
# A claim older than this is taken to belong to a process that died (webhook mode,
# several replicas; a polling start takes over every claim at once).
LEASE = timedelta(minutes=1)


class Outcome:
    HANDLED = "handled"
    UNDECODABLE = "undecodable"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Accepted:
    """An update the inbox did not hold before: to be handled now by its owner."""

    update_id: int
    payload: dict[str, Any]
    # When this process accepted it (time.monotonic()), for the update-to-reply metric.
    received: float = field(default_factory=time.monotonic)


def chat_key(payload: dict[str, Any]) -> str | None:
    """The conversation a message belongs to, from the raw update: the private chat,
    or in a group the topic and the person (counselors in different topics never
    wait for each other). None for what is not ordered (button presses)."""
    message = payload.get("message") or payload.get("edited_message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return None
    if chat.get("type") == "private":
        return f"p:{chat['id']}"
    sender = message.get("from")
    user = sender.get("id") if isinstance(sender, dict) else None
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    return f"g:{chat['id']}:{thread}:{user}"


class InboxService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        owner: str,
        *,
        clock: Callable[[], datetime] | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self._sessions = sessions
        self.owner = owner
        self._lease = lease
        self._now = clock or (lambda: datetime.now(UTC))

    async def accept(self, raws: Sequence[dict[str, Any]]) -> list[Accepted]:
        """Write the updates the inbox does not know yet, claimed by this owner, and
        commit: after this returns they may be confirmed to Telegram."""
        by_id: dict[int, dict[str, Any]] = {}
        for raw in raws:
            uid = raw.get("update_id")
            if isinstance(uid, int):
                by_id.setdefault(uid, raw)
        for attempt in range(3):
            async with self._sessions() as session:
                repo = InboxRepository(session)
                known = await repo.known(list(by_id))
                fresh = [uid for uid in sorted(by_id) if uid not in known]
                rows = [
                    (uid, json.dumps(by_id[uid], ensure_ascii=False), chat_key(by_id[uid]))
                    for uid in fresh
                ]
                try:
                    await repo.add(rows, self._now(), self.owner)
                    await session.commit()
                except IntegrityError:  # another process wrote one of them meanwhile
                    await session.rollback()
                    if attempt == 2:
                        raise
                    continue
            return [Accepted(uid, by_id[uid]) for uid in fresh]
        return []

    async def take_unfinished(
        self, *, all_of_them: bool, in_hand: Collection[int] = ()
    ) -> list[Accepted]:
        """The updates left unhandled (by a process that stopped or died), claimed by
        this owner, oldest first. `all_of_them`: also those another process claimed
        less than a lease ago (polling: only one process can fetch updates).
        `in_hand`: this process's own updates still being handled, left alone."""
        async with self._sessions() as session:
            repo = InboxRepository(session)
            now = self._now()
            stale = now if all_of_them else now - self._lease
            taken: list[Accepted] = []
            for uid, payload in await repo.unfinished():
                if uid in in_hand or payload is None:
                    continue
                if not await repo.claim(uid, self.owner, now, stale):
                    continue
                taken.append(Accepted(uid, json.loads(payload)))
            await session.commit()
        return taken

    async def take_chat_backlog(
        self, key: str, up_to: int, *, skip: Collection[int] = ()
    ) -> list[Accepted]:
        """The conversation's unhandled updates up to `up_to`, oldest first, claimed by
        this owner whoever held them: the caller holds the conversation's lock
        (bot.telegram.ordering), so no one else is handling them. `skip`: those this
        process is handling now (its lock expired under it), left to that task."""
        async with self._sessions() as session:
            repo = InboxRepository(session)
            now = self._now()
            taken: list[Accepted] = []
            for uid, payload in await repo.chat_backlog(key, up_to):
                if uid in skip or payload is None:
                    continue
                if not await repo.claim(uid, self.owner, now, now):
                    continue
                taken.append(Accepted(uid, json.loads(payload)))
            await session.commit()
        return taken

    async def finish(self, update_id: int, outcome: str) -> None:
        async with self._sessions() as session:
            await InboxRepository(session).finish(update_id, outcome, self._now())
            await session.commit()

    async def release(self) -> None:
        """This owner stops: what it still holds may be taken by the next start at once."""
        async with self._sessions() as session:
            await InboxRepository(session).release(self.owner)
            await session.commit()

    async def unfinished_count(self) -> int:
        async with self._sessions() as session:
            return len(await InboxRepository(session).unfinished())

    async def purge(self) -> int:
        """Forget the ids of updates handled more than a day ago."""
        async with self._sessions() as session:
            removed = await InboxRepository(session).delete_done_before(self._now() - KEEP_IDS)
            await session.commit()
        return removed
