"""The staff group's filters: the staff chat, an active staff member, the roles
(`Supervises`, `ManagesStaff`) and a case's topic. The staff routers import them
from here; what a role may do to a case is the case service's decision."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff
from bot.desk import CaseDesk
from bot.services.cases import CaseService
from bot.services.staff import StaffService, role_of


class InStaffChat(Filter):
    async def __call__(self, event: TelegramObject, desk: CaseDesk | None = None) -> bool:
        if desk is None:
            return False
        if isinstance(event, Message):
            return event.chat.id == desk.chat_id
        if isinstance(event, CallbackQuery) and event.message is not None:
            return event.message.chat.id == desk.chat_id
        return False


class IsStaff(Filter):
    """An active staff member; hands the `Staff` row to the handler as `staff`."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, event_from_user: User | None = None
    ) -> bool | dict[str, Any]:
        if event_from_user is None:
            return False
        staff = await StaffService(session).member(event_from_user.id)
        return {"staff": staff} if staff is not None else False


class Supervises(Filter):
    """A supervisor or an admin (the `staff` that IsStaff handed on)."""

    async def __call__(self, event: TelegramObject, staff: Staff) -> bool:
        return role_of(staff).can_supervise


class ManagesStaff(Filter):
    """An admin: adds and removes staff (the `staff` that IsStaff handed on)."""

    async def __call__(self, event: TelegramObject, staff: Staff) -> bool:
        return role_of(staff).can_manage_staff


class InCaseTopic(Filter):
    """A message in the topic of a case; hands the case to the handler as `case`."""

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict[str, Any]:
        if not message.is_topic_message or message.message_thread_id is None:
            return False
        case = await CaseService(session).by_topic(message.message_thread_id)
        return {"case": case} if case is not None else False
