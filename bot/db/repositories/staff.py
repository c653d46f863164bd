"""Staff members (counselors, supervisors, admins) by Telegram id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff


class StaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, staff_id: int) -> Staff | None:
        return await self._session.get(Staff, staff_id)

    async def by_telegram_id(self, telegram_id: int) -> Staff | None:
        result = await self._session.execute(select(Staff).where(Staff.telegram_id == telegram_id))
        return result.scalar_one_or_none()

    async def add(self, staff: Staff) -> Staff:
        self._session.add(staff)
        await self._session.flush()
        return staff

    async def active(self) -> Sequence[Staff]:
        result = await self._session.execute(
            select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)
        )
        return result.scalars().all()

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Staff]:
        if not ids:
            return {}
        result = await self._session.execute(select(Staff).where(Staff.id.in_(ids)))
        return {staff.id: staff for staff in result.scalars()}
