"""One conversation at a time, in Telegram's order, across replicas.

Within one process, ChatOrder (bot.handlers.case_relay) keeps each chat's
updates in order. Several webhook replicas receive one chat's updates on
different processes, so with REDIS_URL set the poller takes the
conversation's lock in Redis (redis-py's Lock, with an expiry that a live
holder keeps extending) and, holding it, handles every unhandled update of
that conversation in the inbox up to its own, oldest first. Whichever
replica gets the lock handles what came before; the others then find their
update done. A holder that dies frees the lock when it expires.

The keeper that extends a held lock stops on a flag, not only on
cancellation: with the connection pool saturated, a redis-py 8.1 call in
flight sometimes returns normally when cancelled (200 pollers on 8
connections: 17 to 25 of 300 cancelled keepers went on), and a keeper that
never stops holds its conversation's lock for good, so that conversation's
next message waits for ever.
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
# A waiter looks again after FIRST_POLL_SECONDS, then less and less often, up to
# every MAX_POLL_SECONDS: hundreds of waiters polling every 10 ms took the Redis
# pool's connections from the holders that extend their locks.
FIRST_POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.1
# How long release() waits for the keeper's call in flight before it frees the lock.
KEEPER_STOP_SECONDS = 1.0


class HeldLock:
    """A conversation's lock, extended in the background until released."""

    def __init__(self, lock: Lock, expiry: float) -> None:
        self._lock = lock
        self._stopped = asyncio.Event()
        self._keeper = asyncio.create_task(self._keep(expiry))

    async def _keep(self, expiry: float) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), expiry / 3)
            if self._stopped.is_set():  # checked after the wait: no extension once released
                return
            with contextlib.suppress(RedisError):
                await self._lock.reacquire()

    async def release(self) -> None:
        """Stop extending the lock and free it. A keeper's call still in flight ends
        the keeper when it returns; a late extension after the release fails (the
        lock's token is gone), so the conversation is free either way."""
        self._stopped.set()
        self._keeper.cancel()
        await asyncio.wait({self._keeper}, timeout=KEEPER_STOP_SECONDS)
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
        lock: Lock = self._redis.lock(f"{self._prefix}:conversation:{key}", timeout=self._expiry)
        pause = FIRST_POLL_SECONDS
        while not await lock.acquire(blocking=False):
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, MAX_POLL_SECONDS)
        return HeldLock(lock, self._expiry)
