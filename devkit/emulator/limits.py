"""Telegram's flood limits for the Bot API emulator, and its clock.

Telegram answers 429 "Too Many Requests: retry after N" when a bot sends
faster than about one message per second in a private chat (short bursts
pass), 20 per minute in a group, or 30 per second overall. The emulator keeps
a token bucket per chat and one for the bot and tells the caller the real
remaining wait. The clock can run faster than real time (`time_scale`) and be
moved forward (`advance`) so tests of limits and expiry stay fast.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Flood limits; a `None` burst disables that limit.

    `time_scale` makes the emulator's clock run that many times faster than
    real time: buckets refill faster and `retry_after` shrinks accordingly
    (never below Telegram's minimum of 1 s).
    """

    private_burst: float | None = 5
    private_per_second: float = 1.0
    group_burst: float | None = 20
    group_per_minute: float = 20.0
    global_burst: float | None = 30
    global_per_second: float = 30.0
    time_scale: float = 1.0

    @classmethod
    def unlimited(cls, *, time_scale: float = 1.0) -> RateLimits:
        return cls(private_burst=None, group_burst=None, global_burst=None, time_scale=time_scale)


class Clock:
    """Emulated time in seconds: real monotonic time scaled, plus manual advances."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._real_start = time.monotonic()
        self._wall_start = time.time()
        self._advanced = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._real_start) * self.time_scale + self._advanced

    def advance(self, seconds: float) -> None:
        self._advanced += seconds

    def unix(self) -> int:
        """Unix time as the emulated world sees it (for message dates)."""
        return int(self._wall_start + self.now())

    def to_real(self, seconds: float) -> float:
        return seconds / self.time_scale


class _Bucket:
    def __init__(self, capacity: float, per_second: float, now: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Emulated seconds until one token is available (0 when one is)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class FloodControl:
    """The per-chat and global buckets of one bot."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._chats: dict[int, _Bucket] = {}
        self._global: _Bucket | None = None
        if limits.global_burst is not None:
            self._global = _Bucket(limits.global_burst, limits.global_per_second, clock.now())

    def _chat_bucket(self, chat_id: int, private: bool) -> _Bucket | None:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            limits = self.limits
            if private and limits.private_burst is not None:
                bucket = _Bucket(limits.private_burst, limits.private_per_second, self.clock.now())
            elif not private and limits.group_burst is not None:
                bucket = _Bucket(limits.group_burst, limits.group_per_minute / 60, self.clock.now())
            else:
                return None
            self._chats[chat_id] = bucket
        return bucket

    def retry_after(self, chat_id: int, private: bool) -> int | None:
        """Whole real seconds to wait before this send may pass, or None if it may."""
        now = self.clock.now()
        buckets = [self._chat_bucket(chat_id, private), self._global]
        wait = max((bucket.wait(now) for bucket in buckets if bucket is not None), default=0.0)
        if wait <= 0:
            return None
        return max(1, math.ceil(self.clock.to_real(wait)))

    def consume(self, chat_id: int, private: bool) -> None:
        now = self.clock.now()
        for bucket in (self._chat_bucket(chat_id, private), self._global):
            if bucket is not None:
                bucket.take(now)

    def reset(self) -> None:
        self._chats.clear()
        if self._global is not None:
            self._global = _Bucket(self._global.capacity, self._global.per_second, self.clock.now())
