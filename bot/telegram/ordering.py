"""One conversation at a time, in Telegram's order, across replicas.

Within one process, ChatOrder (bot.handlers.case_relay) keeps each chat's
updates in order. Several webhook replicas receive one chat's updates on
different processes, so with REDIS_URL set the poller takes the
conversation's lock in Redis (redis-py's Lock, with an expiry that a live
holder keeps extending) and, holding it, handles every unhandled update of
that conversation in the inbox up to its own, oldest first. Whichever
replica gets the lock handles what came before; the others then find their
update done. A holder that dies frees the lock when it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.lock import Lock

# How long a lock outlives a holder that stopped extending it (died).
LOCK_SECONDS = 6.0
# How often a waiter looks again.
POLL_SECONDS = 0.01


class HeldLock:
    """A conversation's lock, extended in the background until released."""

    def __init__(self, lock: Lock, expiry: float) -> None:
        self._lock = lock
        self._keeper = asyncio.create_task(self._keep(expiry))

    async def _keep(self, expiry: float) -> None:
        while True:
            await asyncio.sleep(expiry / 3)
            with contextlib.suppress(RedisError):
                await self._lock.reacquire()

    async def release(self) -> None:
        self._keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._keeper
        with contextlib.suppress(RedisError):
            await self._lock.release()


class ChatLocks:
    def __init__(
        self, redis: Redis, *, prefix: str = "kenes", expiry: float = LOCK_SECONDS
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._expiry = expiry

    async def acquire(self, key: str) -> HeldLock:
        """Wait for the conversation's lock; RedisError when Redis cannot be reached
        (the caller goes on without the order rather than lose the update)."""
        lock: Lock = self._redis.lock(
            f"{self._prefix}:conversation:{key}",
            timeout=self._expiry,
            sleep=POLL_SECONDS,
            blocking=True,
        )
        await lock.acquire()
        return HeldLock(lock, self._expiry)
