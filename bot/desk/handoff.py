"""Opening a case for the update being handled, from code that is not a
handler itself (`send_outcome`): the desk with this update's bot, session and
conversation memory. The private router's middleware hands it to the handlers
as `handoff`; it is None without a staff group."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.desk import CaseDesk
from bot.domain import Route
from bot.services.cases import Opened
from bot.services.citizens import CitizenService
from bot.services.memory import ChatMemory


@dataclass(frozen=True, slots=True)
class Handoff:
    """What opening a case needs, for code that is not a handler (`send_outcome`)."""

    desk: CaseDesk
    bot: Bot
    session: AsyncSession
    memory: ChatMemory

    async def open_case(
        self, chat_id: int, *, lang: str, route: Route, intent: str | None
    ) -> Opened:
        citizen = await CitizenService(self.session).get_or_create(chat_id)
        return await self.desk.open_case(
            self.bot,
            self.session,
            citizen,
            lang=citizen.language or lang,
            route=route,
            intent=intent,
            recent=await self.memory.recent(chat_id),
        )
