"""The citizen's side of an open case: every message of every kind goes to the
case's topic, edits follow it there, and the safety check still runs.

This router sits in the private router before the media and free-text ones,
filtered on citizens with an open case. `HandoffMiddleware` hands the private
chat's handlers a `Handoff` (how to open a case for this update) as the
`handoff` argument. `ChatOrder` keeps each chat's updates in Telegram's order,
so relayed messages never swap places.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import Case, Citizen
from bot.desk import CaseDesk
from bot.desk.handoff import Handoff
from bot.handlers.registry import Handlers
from bot.services.cases import CaseService, Priority
from bot.services.memory import ChatMemory
from bot.services.routes import Route
from bot.services.routing import MessageRouter
from bot.ui import citizen_texts
from bot.ui.callbacks import CaseRating

router = Handlers(name="case_relay")


class HasOpenCase(Filter):
    """Passes for a citizen with an open case, and hands the case to the handler."""

    async def __call__(
        self,
        event: TelegramObject,
        session: AsyncSession,
        citizen: Citizen | None = None,
        desk: CaseDesk | None = None,
    ) -> bool | dict[str, Any]:
        if desk is None or citizen is None:
            return False
        case = await CaseService(session).open_for(citizen)
        return {"case": case} if case is not None else False


@router.message(HasOpenCase())
async def to_counselor(  # noqa: PLR0913 - aiogram injects each dependency by name
    message: Message,
    case: Case,
    desk: CaseDesk,
    bot: Bot,
    session: AsyncSession,
    routing: MessageRouter,
    memory: ChatMemory,
    content: ContentLibrary,
) -> None:
    # The copy goes first: the counselor should not wait for the safety check.
    if not await desk.relay.copy_in(bot, session, case, message):
        await message.answer(citizen_texts.relay_failed())
    text = message.text or message.caption
    if not text or text.startswith("/"):
        return
    chat_id = message.chat.id
    recent = await memory.recent(chat_id)
    await memory.remember(chat_id, text)
    decision = await routing.route(text, recent)
    if decision.route is Route.CRISIS:
        await message.answer(citizen_texts.emergency_block(content, case.lang, decision.intent))
        await desk.crisis_in_case(bot, session, case, intent=decision.intent)
    elif (
        decision.route is Route.ESCALATE
        and case.priority > Priority.ESCALATE
        and await CaseService(session).raise_priority(case, decision.route, decision.intent)
    ):
        await desk.priority_raised(bot, session, case, crisis=False)


@router.edited_message(HasOpenCase())
async def edited_to_counselor(
    message: Message, case: Case, desk: CaseDesk, bot: Bot, session: AsyncSession
) -> None:
    await desk.relay.edit_in(bot, session, case, message)


@router.callback_query(CaseRating.filter())
async def rated(
    query: CallbackQuery,
    callback_data: CaseRating,
    session: AsyncSession,
    citizen: Citizen | None = None,
) -> None:
    """The citizen's 1-5 rating of a closed case; only their own case counts."""
    if citizen is None or not await CaseService(session).rate(
        citizen, callback_data.case, callback_data.score
    ):
        await query.answer(citizen_texts.stale_button())
        return
    await query.answer(citizen_texts.rating_thanks())
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(
                citizen_texts.rating_prompt() + "\n" + "⭐" * callback_data.score, reply_markup=None
            )


class HandoffMiddleware(BaseMiddleware):
    """Hands the handlers a `handoff` (None without a staff group), so that
    `send_outcome` can open a case after a crisis message or a request."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        desk = data.get("desk")
        if desk is None or "session" not in data or "memory" not in data:
            return await handler(event, data)
        data["handoff"] = Handoff(desk, data["bot"], data["session"], data["memory"])
        return await handler(event, data)


class ChatOrder(BaseMiddleware):
    """Handles the messages of one chat one at a time, in the order they came.

    aiogram handles each update in its own task, so two quick messages (or the
    backlog fetched after a restart) could otherwise reach the topic swapped.
    The key is the private chat, or in a group the topic and the person, so
    counselors in different topics never wait for each other. Register it as
    the first update middleware: the lock is taken before anything awaits, in
    the order the tasks were created (true with the in-memory FSM storage).
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[int, int | None, int | None], tuple[asyncio.Lock, list[int]]] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        # Messages only: a button press is answered at once, not queued behind
        # a reply that waits for the chat's rate limit.
        ordered = isinstance(event, Update) and (
            event.message is not None or event.edited_message is not None
        )
        if chat is None or not ordered:
            return await handler(event, data)
        user: User | None = data.get("event_from_user")
        key = (
            (chat.id, None, None)
            if chat.type == "private"
            else (chat.id, data.get("event_thread_id"), user.id if user else None)
        )
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]
