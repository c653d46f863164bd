"""Outgoing rate limits and 429 recovery, as an aiogram request middleware.

Telegram allows about 30 messages per second per bot, about one per second in
a private chat (short bursts pass) and about 20 per minute in a group. Every
sending call waits for a token from its chat's bucket and the global one, so
the bot stays within the limits by itself; a 429 that still happens (a
stricter server) is retried after the `retry_after` it names.

One process keeps its buckets in memory (`LocalBuckets`). Several replicas
share theirs in Redis (`SharedBuckets`, moving windows of the `limits`
package), so together they stay within the bot's limits; if Redis cannot be
reached, a replica falls back to its own buckets until it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from redis.exceptions import RedisError

from bot import metrics

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

_COUNTED_PREFIXES = ("send", "copy", "forward", "editMessage")


class TokenBucket:
    """`capacity` calls at once, refilled at `rate` per second."""

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._tokens = capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self, halted: asyncio.Event | None = None) -> None:
        """Take one token, waiting for it; give up (as if cancelled) once `halted` is set."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await pause((1 - self._tokens) / self.rate, halted)


async def pause(seconds: float, halted: asyncio.Event | None) -> None:
    """Sleep `seconds`; raise CancelledError at once if `halted` is or becomes set."""
    if halted is None:
        await asyncio.sleep(seconds)
        return
    if halted.is_set():
        raise asyncio.CancelledError
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(halted.wait(), seconds)
        raise asyncio.CancelledError


@dataclass(frozen=True, slots=True)
class Limits:
    private_burst: float = 3
    private_rate: float = 1.0
    group_burst: float = 10
    group_rate: float = 18 / 60
    global_burst: float = 25
    global_rate: float = 25.0
    max_retries: int = 5


class Buckets(Protocol):
    async def acquire(self, chat_id: int | str | None, halted: asyncio.Event) -> None:
        """Wait for the chat's turn and the bot's; CancelledError once `halted` is set."""


class LocalBuckets:
    """Token buckets in this process: one per chat and one for the bot."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._global = TokenBucket(limits.global_burst, limits.global_rate)
        self._chats: dict[int | str, TokenBucket] = {}

    def _bucket(self, chat_id: int | str) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            group = isinstance(chat_id, str) or chat_id < 0
            bucket = (
                TokenBucket(self._limits.group_burst, self._limits.group_rate)
                if group
                else TokenBucket(self._limits.private_burst, self._limits.private_rate)
            )
            if len(self._chats) > 50_000:  # idle buckets are full; forgetting them is free
                self._chats.clear()
            self._chats[chat_id] = bucket
        return bucket

    async def acquire(self, chat_id: int | str | None, halted: asyncio.Event) -> None:
        if chat_id is not None:
            await self._bucket(chat_id).acquire(halted)
        await self._global.acquire(halted)


@dataclass(frozen=True, slots=True)
class SharedLimits:
    """Moving windows (count, seconds) for all replicas together: at most 3 messages
    in any 3 s in a private chat, 18 in any minute in a group, 25 in any second for
    the bot. `scale` multiplies the counts (tests with an unlimited emulator only)."""

    private: tuple[int, int] = (3, 3)
    group: tuple[int, int] = (18, 60)
    bot: tuple[int, int] = (25, 1)
    scale: float = 1.0


class SharedBuckets:
    """The limits of all replicas together, in Redis (the `limits` package)."""

    def __init__(
        self,
        redis: Redis,
        limits: SharedLimits | None = None,
        *,
        prefix: str = "kenes",
        fallback: Buckets | None = None,
    ) -> None:
        from limits import RateLimitItemPerSecond

        from bot.services.flood import moving_windows

        limits = limits or SharedLimits()
        self._strategy = moving_windows(redis, prefix)

        def item(window: tuple[int, int], name: str) -> RateLimitItemPerSecond:
            count, seconds = window
            return RateLimitItemPerSecond(
                max(1, int(count * limits.scale)), seconds, namespace=name
            )

        self._private = item(limits.private, "send-private")
        self._group = item(limits.group, "send-group")
        self._bot = item(limits.bot, "send-bot")
        self._fallback = fallback or LocalBuckets(Limits())
        self._failing = False

    async def _take(self, item: Any, key: str, halted: asyncio.Event) -> None:
        while not await self._strategy.hit(item, key):
            stats = await self._strategy.get_window_stats(item, key)
            wait = min(max(stats.reset_time - time.time(), 0.005), float(item.get_expiry()))
            await pause(wait, halted)

    async def acquire(self, chat_id: int | str | None, halted: asyncio.Event) -> None:
        try:
            if chat_id is not None:
                group = isinstance(chat_id, str) or chat_id < 0
                await self._take(self._group if group else self._private, str(chat_id), halted)
            await self._take(self._bot, "bot", halted)
        except (RedisError, OSError) as exc:
            self._note_failure(exc)
            await self._fallback.acquire(chat_id, halted)
            return
        if self._failing:
            self._failing = False
            logger.warning("the shared send limits are back")

    def _note_failure(self, exc: BaseException) -> None:
        if not self._failing:
            self._failing = True
            logger.error(
                "the shared send limits cannot be reached (%s): this replica keeps its own",
                type(exc).__name__,
            )


class RateLimiter(BaseRequestMiddleware):
    def __init__(self, limits: Limits | None = None, *, buckets: Buckets | None = None) -> None:
        self._limits = limits or Limits()
        self._buckets = buckets or LocalBuckets(self._limits)
        self._halted = asyncio.Event()

    def halt(self) -> None:
        """A stop that cannot wait any longer: calls still waiting for their turn give up
        (as if cancelled) without being sent; calls already on the wire finish. So a
        stop cuts no request in half, and what gave up is sent after the restart."""
        self._halted.set()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        api_method = method.__api_method__
        counted = api_method.startswith(_COUNTED_PREFIXES)
        chat_id: Any = getattr(method, "chat_id", None)
        for attempt in range(self._limits.max_retries + 1):
            if counted:
                if (
                    self._halted.is_set()
                ):  # stopping: a call not yet on its way waits for the restart
                    raise asyncio.CancelledError
                chat = chat_id if isinstance(chat_id, int | str) else None
                await self._buckets.acquire(chat, self._halted)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self._limits.max_retries:
                    raise
                logger.warning("429 on %s, retrying after %s s", api_method, exc.retry_after)
                metrics.RETRY_AFTER.labels(api_method).inc()
                await pause(exc.retry_after, self._halted)
        raise AssertionError("unreachable")  # pragma: no cover
