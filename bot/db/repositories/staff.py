"""Staff members (counselors, supervisors, admins) by Telegram id, and their desks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff, StaffDesk


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

    async def desks_of(self, staff_id: int) -> frozenset[str]:
        """The desks a member belongs to; empty: every desk."""
        result = await self._session.execute(
            select(StaffDesk.desk_id).where(StaffDesk.staff_id == staff_id)
        )
        return frozenset(result.scalars())

    async def desks_by_staff(self, ids: Sequence[int]) -> dict[int, frozenset[str]]:
        if not ids:
            return {}
        result = await self._session.execute(
            select(StaffDesk.staff_id, StaffDesk.desk_id).where(StaffDesk.staff_id.in_(ids))
        )
        found: dict[int, set[str]] = {}
        for staff_id, desk_id in result.all():
            found.setdefault(int(staff_id), set()).add(str(desk_id))
        return {staff_id: frozenset(desks) for staff_id, desks in found.items()}

    async def set_desks(self, staff_id: int, desk_ids: Sequence[str]) -> None:
        await self._session.execute(delete(StaffDesk).where(StaffDesk.staff_id == staff_id))
        for desk_id in dict.fromkeys(desk_ids):
            self._session.add(StaffDesk(staff_id=staff_id, desk_id=desk_id))
        await self._session.flush()
