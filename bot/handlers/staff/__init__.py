"""The counselors' forum supergroup (STAFF_CHAT_ID).

One parent router, filtered on the staff chat, speaks the staff language. Under
it, the members' routers are filtered on an active staff member (who reaches
the handlers as `staff`); everyone else in the group gets the outsiders'
router, which refuses politely and relays nothing. What a role allows is
checked by the role filters here (`Supervises`, `ManagesStaff`) and, for each
case, by the case service; handlers only render the refusals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
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


class StaffVoice(BaseMiddleware):
    """Everything in the staff group is said in the staff's language."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        i18n = data.get("i18n")
        settings: Settings | None = data.get("settings")
        if i18n is None or settings is None:
            return await handler(event, data)
        with i18n.use_locale(settings.staff_language):
            return await handler(event, data)


def build_staff_router() -> Router:
    from bot.handlers.staff import cases, commands, outsiders, stats, topic

    group = Router(name="staff_group")
    members = Router(name="staff_members")
    for observer in (group.message, group.edited_message, group.callback_query):
        observer.filter(InStaffChat())
        observer.outer_middleware(StaffVoice())
    for observer in (members.message, members.edited_message, members.callback_query):
        observer.filter(IsStaff())
    members.include_routers(
        commands.router.build(), stats.router.build(), cases.router.build(), topic.router.build()
    )
    group.include_routers(members, outsiders.router.build())
    return group
