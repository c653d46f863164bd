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
from bot.services.desks import Desk
from bot.services.staff import StaffService, role_of


class InStaffChat(Filter):
    """The group of one of the desks; hands that `Desk` to the handler as `staff_desk`."""

    async def __call__(
        self, event: TelegramObject, desk: CaseDesk | None = None
    ) -> bool | dict[str, Any]:
        if desk is None:
            return False
        chat_id = None
        if isinstance(event, Message):
            chat_id = event.chat.id
        elif isinstance(event, CallbackQuery) and event.message is not None:
            chat_id = event.message.chat.id
        staff_desk = desk.directory.by_chat(chat_id) if chat_id is not None else None
        return {"staff_desk": staff_desk} if staff_desk is not None else False


class IsStaff(Filter):
    """An active staff member of this group's desk (one with no desks listed
    belongs to every desk); hands the `Staff` row to the handler as `staff`."""

    async def __call__(
        self,
        event: TelegramObject,
        session: AsyncSession,
        desk: CaseDesk,
        staff_desk: Desk,
        event_from_user: User | None = None,
    ) -> bool | dict[str, Any]:
        if event_from_user is None:
            return False
        service = StaffService(session)
        staff = await service.member(event_from_user.id)
        if staff is None:
            return False
        if desk.directory.several and not desk.directory.belongs(
            await service.desks_of(staff), staff_desk
        ):
            return False
        return {"staff": staff}


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

    async def __call__(
        self, message: Message, session: AsyncSession, desk: CaseDesk, staff_desk: Desk
    ) -> bool | dict[str, Any]:
        if not message.is_topic_message or message.message_thread_id is None:
            return False
        # Topic ids are unique only within one group: the case of this desk's topic.
        scope = staff_desk.scope if desk.directory.several else None
        case = await CaseService(session).by_topic(message.message_thread_id, scope)
        return {"case": case} if case is not None else False
