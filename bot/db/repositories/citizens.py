"""Citizens by Telegram id."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Citizen


class CitizenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_telegram_id(self, telegram_id: int) -> Citizen | None:
        result = await self._session.execute(
            select(Citizen).where(Citizen.telegram_id == telegram_id)
        )
        return result.scalar_one_or_none()

    async def add(self, telegram_id: int) -> Citizen:
        citizen = Citizen(telegram_id=telegram_id)
        self._session.add(citizen)
        await self._session.flush()
        return citizen

    async def delete(self, citizen: Citizen) -> None:
        await self._session.execute(delete(Citizen).where(Citizen.id == citizen.id))
