"""Short-term memory of a conversation, for the safety check.

The safety check looks at a citizen's last few messages together, because a
danger signal may be spread over several short ones. Those texts are kept for
a few minutes only, never in the database or the logs: in this process's
memory (`ConversationMemory`), or, with several replicas, in Redis
(`RedisConversationMemory`, keys that expire with the window; run that Redis
without persistence, docs/deploy.md).
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

# How many recent messages, and for how long.
KEEP = 5
WINDOW_SECONDS = 600.0


class ChatMemory(Protocol):
    async def recent(self, chat_id: int) -> list[str]:
        """The chat's previous messages within the window, oldest first."""

    async def remember(self, chat_id: int, text: str) -> None: ...

    async def note_language(self, chat_id: int, *, other: bool) -> int:
        """Count consecutive messages in the language the citizen did not choose."""

    async def forget(self, chat_id: int) -> None: ...


@dataclass(slots=True)
class _Chat:
    texts: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=KEEP))
    other_language_streak: int = 0
    touched: float = 0.0


class ConversationMemory:
    """In this process (one replica: `make run`)."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS, max_chats: int = 50_000) -> None:
        self._window = window_seconds
        self._max_chats = max_chats
        self._chats: dict[int, _Chat] = {}

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= self._max_chats:
                self._evict()
            chat = self._chats[chat_id] = _Chat()
        chat.touched = time.monotonic()
        return chat

    def _evict(self) -> None:
        cutoff = time.monotonic() - self._window
        for chat_id in [c for c, chat in self._chats.items() if chat.touched < cutoff]:
            del self._chats[chat_id]
        if len(self._chats) >= self._max_chats:
            self._chats.clear()

    async def recent(self, chat_id: int) -> list[str]:
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        cutoff = time.monotonic() - self._window
        return [text for stamp, text in chat.texts if stamp >= cutoff]

    async def remember(self, chat_id: int, text: str) -> None:
        self._chat(chat_id).texts.append((time.monotonic(), text))

    async def note_language(self, chat_id: int, *, other: bool) -> int:
        chat = self._chat(chat_id)
        chat.other_language_streak = chat.other_language_streak + 1 if other else 0
        return chat.other_language_streak

    async def forget(self, chat_id: int) -> None:
        self._chats.pop(chat_id, None)


class RedisConversationMemory:
    """In Redis, shared by every replica: a list of the last KEEP messages and a
    counter per chat, both expiring `window_seconds` after the last write. While
    Redis cannot be reached it remembers nothing: the safety check then judges
    each message alone, and the message is still handled."""

    def __init__(
        self, redis: Redis, *, window_seconds: float = WINDOW_SECONDS, prefix: str = "kenes"
    ) -> None:
        self._redis = redis
        self._window = window_seconds
        self._prefix = prefix

    def _texts(self, chat_id: int) -> str:
        return f"{self._prefix}:memory:{chat_id}"

    def _streak(self, chat_id: int) -> str:
        return f"{self._prefix}:language-streak:{chat_id}"

    async def _recent(self, chat_id: int) -> list[str]:
        entries = await self._redis.lrange(self._texts(chat_id), 0, -1)
        cutoff = time.time() - self._window
        texts = []
        for entry in entries:
            stamp, text = json.loads(entry)
            if stamp >= cutoff:
                texts.append(str(text))
        return texts

    async def _remember(self, chat_id: int, text: str) -> None:
        key = self._texts(chat_id)
        entry = json.dumps([time.time(), text], ensure_ascii=False)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, entry)
            pipe.ltrim(key, -KEEP, -1)
            pipe.expire(key, int(self._window) + 1)
            await pipe.execute()

    async def _note_language(self, chat_id: int, *, other: bool) -> int:
        key = self._streak(chat_id)
        if not other:
            await self._redis.set(key, 0, ex=int(self._window) + 1)
            return 0
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, int(self._window) + 1)
            streak, _ = await pipe.execute()
        return int(streak)

    async def recent(self, chat_id: int) -> list[str]:
        try:
            return await self._recent(chat_id)
        except (RedisError, OSError) as exc:
            _unavailable(exc)
            return []

    async def remember(self, chat_id: int, text: str) -> None:
        try:
            await self._remember(chat_id, text)
        except (RedisError, OSError) as exc:
            _unavailable(exc)

    async def note_language(self, chat_id: int, *, other: bool) -> int:
        try:
            return await self._note_language(chat_id, other=other)
        except (RedisError, OSError) as exc:
            _unavailable(exc)
            return 0

    async def forget(self, chat_id: int) -> None:
        """Raises when Redis is down: /forget must not say it deleted what it did not."""
        await self._redis.delete(self._texts(chat_id), self._streak(chat_id))


def _unavailable(exc: BaseException) -> None:
    logger.warning("conversation memory unavailable (%s)", type(exc).__name__)
