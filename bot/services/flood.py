"""Flood control: a person who writes faster than a person types.

`FloodCounter` counts in this process (one replica); `RedisFloodCounter`
counts in Redis with the `limits` package's moving window, so every replica
sees the same count. Both answer, per message, whether the sender is flooding
and whether this is the message to tell them so (once per flood).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, NamedTuple, Protocol

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from limits.aio.strategies import MovingWindowRateLimiter
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

BURST = 6
PER_SECONDS = 10


def moving_windows(redis: Redis, prefix: str) -> MovingWindowRateLimiter:
    """The `limits` package's moving windows, kept in `redis` under `prefix`."""
    from limits.aio.storage import RedisStorage
    from limits.aio.strategies import MovingWindowRateLimiter

    storage = RedisStorage(
        "async+redis://",
        implementation="redispy",
        key_prefix=f"{prefix}:limits",
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # documented option
    )
    return MovingWindowRateLimiter(storage)


class Flood(NamedTuple):
    flooding: bool
    notify: bool


class FloodGate(Protocol):
    async def note(self, user_id: int) -> Flood: ...


class FloodCounter:
    """More than `burst` messages within `per_seconds`, counted in this process."""

    def __init__(self, burst: int = BURST, per_seconds: float = PER_SECONDS) -> None:
        self._burst = burst
        self._window = per_seconds
        self._seen: dict[int, list[float]] = {}

    async def note(self, user_id: int) -> Flood:
        now = time.monotonic()
        stamps = [t for t in self._seen.get(user_id, ()) if now - t < self._window]
        stamps.append(now)
        if len(self._seen) > 100_000:
            self._seen.clear()
        self._seen[user_id] = stamps
        return Flood(len(stamps) > self._burst, len(stamps) == self._burst + 1)


class RedisFloodCounter:
    """The same limit in Redis: `burst` messages in a moving window of `per_seconds`
    pass; a message beyond it is a flood, and the first of a flood (one per window)
    is the one to answer."""

    def __init__(
        self,
        redis: Redis,
        *,
        burst: int = BURST,
        per_seconds: int = PER_SECONDS,
        prefix: str = "kenes",
    ) -> None:
        from limits import RateLimitItemPerSecond

        self._strategy = moving_windows(redis, prefix)
        self._item = RateLimitItemPerSecond(burst, per_seconds, namespace="flood")
        self._redis = redis
        self._window = per_seconds
        self._prefix = prefix

    async def note(self, user_id: int) -> Flood:
        """While Redis cannot be reached nobody is flooding (every message is answered)."""
        try:
            if await self._strategy.hit(self._item, str(user_id)):
                return Flood(False, False)
            first = await self._redis.set(
                f"{self._prefix}:flood-notice:{user_id}", 1, nx=True, ex=self._window
            )
        except (RedisError, OSError) as exc:
            logger.warning("flood control unavailable (%s)", type(exc).__name__)
            return Flood(False, False)
        return Flood(True, bool(first))
