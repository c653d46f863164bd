"""Short-term, in-process memory of a conversation.

The safety check looks at a citizen's last few messages together, because a
danger signal may be spread over several short ones. Those texts are kept
only here, in memory, for a few minutes; never in the database or the logs.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Chat:
    texts: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=5))
    other_language_streak: int = 0
    touched: float = 0.0


class ConversationMemory:
    def __init__(self, window_seconds: float = 600.0, max_chats: int = 50_000) -> None:
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

    def recent(self, chat_id: int) -> list[str]:
        """The chat's previous messages within the window, oldest first."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        cutoff = time.monotonic() - self._window
        return [text for stamp, text in chat.texts if stamp >= cutoff]

    def remember(self, chat_id: int, text: str) -> None:
        self._chat(chat_id).texts.append((time.monotonic(), text))

    def note_language(self, chat_id: int, *, other: bool) -> int:
        """Count consecutive messages in the language the citizen did not choose."""
        chat = self._chat(chat_id)
        chat.other_language_streak = chat.other_language_streak + 1 if other else 0
        return chat.other_language_streak

    def forget(self, chat_id: int) -> None:
        self._chats.pop(chat_id, None)
