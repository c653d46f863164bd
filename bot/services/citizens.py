"""Citizens: language, region, consent (the privacy notice's button). Deleting
everything on /forget is bot/services/forget.py."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Citizen, utcnow
from bot.db.repositories import CitizenRepository


class CitizenService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._citizens = CitizenRepository(session)

    async def get(self, telegram_id: int) -> Citizen | None:
        return await self._citizens.by_telegram_id(telegram_id)

    async def get_or_create(self, telegram_id: int) -> Citizen:
        citizen = await self._citizens.by_telegram_id(telegram_id)
        if citizen is None:
            citizen = await self._citizens.add(telegram_id)
            await self._session.commit()
        return citizen

    async def choose_language(self, telegram_id: int, lang: str) -> Citizen:
        citizen = await self.get_or_create(telegram_id)
        citizen.language = lang
        await self._session.commit()
        return citizen

    async def accept_notice(self, telegram_id: int) -> tuple[Citizen, bool]:
        """The citizen pressed "I understand" under the privacy notice: the
        moment of consent, recorded once (a second press keeps the first).
        True with the citizen when this press was the consent."""
        citizen = await self.get_or_create(telegram_id)
        if citizen.consent_at is not None:
            return citizen, False
        citizen.consent_at = utcnow()
        await self._session.commit()
        return citizen, True

    async def set_region(self, citizen: Citizen, region_id: str) -> None:
        citizen.region = region_id
        await self._session.commit()
