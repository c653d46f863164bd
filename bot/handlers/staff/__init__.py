"""The counselors' forum supergroup (STAFF_CHAT_ID).

One parent router, filtered on the staff chat, speaks the staff language. Under
it, the members' routers are filtered on an active staff member (who reaches
the handlers as `staff`); everyone else in the group gets the outsiders'
router, which refuses politely and relays nothing. What a role allows is
checked by the role filters in filters.py (`Supervises`, `ManagesStaff`) and,
for each case, by the case service; handlers only render the refusals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import TelegramObject

from bot.config import Settings
from bot.handlers.staff import cases, commands, outsiders, stats, topic
from bot.handlers.staff.filters import InStaffChat, IsStaff


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
