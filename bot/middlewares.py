"""Update-level middlewares: database session, the citizen, locale, floods."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.citizens import CitizenService

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """One session per update, closed afterwards. Services commit their own work."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._sessions() as session:
            data["session"] = session
            return await handler(event, data)


class CitizenMiddleware(BaseMiddleware):
    """Loads the citizen (None before the first choice of language) into `citizen`."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        citizen = None
        if user is not None and "session" in data:
            citizen = await CitizenService(data["session"]).get(user.id)
        data["citizen"] = citizen
        return await handler(event, data)


class CitizenLocaleMiddleware(I18nMiddleware):
    """The citizen's stored language; before they choose, a guess from Telegram's
    language code (Kazakh for `kk`, Russian otherwise)."""

    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n=i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        citizen = data.get("citizen")
        if citizen is not None and citizen.language:
            return str(citizen.language)
        user: User | None = data.get("event_from_user")
        if user is not None and (user.language_code or "").startswith("kk"):
            return "kk"
        return "ru"


class FloodMiddleware(BaseMiddleware):
    """Marks messages that arrive faster than a person types (`flooding=True`).

    An update-level middleware, so it sees messages as they arrive, before the
    per-chat queue.

    Nothing is dropped here: the free-text handler still runs the safety check
    on every message, and only skips the NLU and the answer for flooded ones.
    """

    def __init__(self, burst: int = 6, per_seconds: float = 10.0) -> None:
        self._burst = burst
        self._window = per_seconds
        self._seen: dict[int, list[float]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        flooding = False
        notify = False
        is_message = isinstance(event, Update) and event.message is not None
        if user is not None and is_message:
            now = time.monotonic()
            stamps = [t for t in self._seen.get(user.id, ()) if now - t < self._window]
            stamps.append(now)
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen[user.id] = stamps
            flooding = len(stamps) > self._burst
            notify = len(stamps) == self._burst + 1
        data["flooding"] = flooding
        data["flood_notice"] = notify
        return await handler(event, data)
