"""Update-level middlewares: database session, the citizen, locale, floods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.citizens import CitizenService
from bot.services.flood import Flood, FloodCounter, FloodGate

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

    An update-level middleware, so it sees messages as they arrive. The count is
    kept by a FloodGate: in this process, or in Redis for several replicas.

    Nothing is dropped here: the free-text handler still runs the safety check
    on every message, and only skips the NLU and the answer for flooded ones.
    """

    def __init__(self, gate: FloodGate | None = None) -> None:
        self._gate: FloodGate = gate or FloodCounter()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        flood = Flood(False, False)
        if user is not None and isinstance(event, Update) and event.message is not None:
            flood = await self._gate.note(user.id)
        data["flooding"] = flood.flooding
        data["flood_notice"] = flood.notify
        return await handler(event, data)
