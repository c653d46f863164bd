"""Each case's forum topic in the staff group and the card at its top: made
once (even when two updates ask at the same moment), renamed with the case's
state, repaired when someone closed or deleted it by hand, deleted after
/forget and past the retention limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import Case, utcnow
from bot.desk.messages import DeskMessages
from bot.domain import Priority
from bot.services.cases import CaseService
from bot.services.staff import StaffService
from bot.ui import keyboards, staff_texts

logger = logging.getLogger(__name__)

TOPIC_COLORS = {Priority.URGENT: 16478047, Priority.ESCALATE: 16766590, Priority.REQUEST: 7322096}
# Telegram's descriptions when a topic was deleted or closed by hand.
TOPIC_GONE = ("thread not found", "TOPIC_ID_INVALID", "TOPIC_DELETED")
TOPIC_CLOSED = "TOPIC_CLOSED"


class CaseTopics:
    def __init__(self, messages: DeskMessages, content: ContentLibrary) -> None:
        self._messages = messages
        self._content = content
        self._locks: dict[int, asyncio.Lock] = {}

    async def ensure(
        self, bot: Bot, session: AsyncSession, case: Case, recent: Sequence[str] = ()
    ) -> int | None:
        """The case's topic, created with its card if it has none yet."""
        if case.topic_id is not None:
            return int(case.topic_id)
        lock = self._locks.setdefault(case.id, asyncio.Lock())
        try:
            async with lock:
                service = CaseService(session)
                fresh = await service.get(case.id)
                if fresh is not None and fresh.topic_id is not None:
                    return int(fresh.topic_id)
                return await self._create(bot, session, case, recent)
        finally:
            if not lock.locked():
                self._locks.pop(case.id, None)

    async def _create(
        self, bot: Bot, session: AsyncSession, case: Case, recent: Sequence[str]
    ) -> int | None:
        service = CaseService(session)
        priority = Priority(case.priority)
        with self._messages.staff_voice():
            name = staff_texts.topic_name(case.id, case.lang, priority.label)
        try:
            topic = await bot.create_forum_topic(
                chat_id=self._messages.chat_of(case), name=name, icon_color=TOPIC_COLORS[priority]
            )
        except TelegramAPIError as exc:
            logger.warning("case %s: cannot create its topic: %s", case.id, type(exc).__name__)
            return None
        topic_id = topic.message_thread_id
        await service.attach_topic(case, topic_id, None)
        with self._messages.staff_voice():
            card_text, markup = await self._card(session, case)
            chat_id = self._messages.chat_of(case)
            card = await self._messages.to_topic(bot, topic_id, card_text, markup, chat_id=chat_id)
            if card is not None:
                await service.set_card(case, card.message_id)
            for piece in staff_texts.conversation_so_far(list(recent)):
                await self._messages.to_topic(bot, topic_id, piece, chat_id=chat_id)
        return topic_id

    async def _card(
        self, session: AsyncSession, case: Case
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        holder = None
        if case.holder_id is not None:
            staff = await StaffService(session).get(case.holder_id)
            holder = staff.display_name if staff is not None else None
        region = self._content.resources.regions.get(case.region or "")
        subject = staff_texts.situation_name(
            case.intent, self._content, self._messages.staff_language
        )
        text = staff_texts.case_card(
            case,
            holder=holder,
            region=region,
            subject=subject,
            now=utcnow(),
            zone=self._messages.directory.desk_of(case).hours.zone,
        )
        return text, keyboards.case_card_keyboard(case)

    async def refresh_card(self, bot: Bot, session: AsyncSession, case: Case) -> None:
        if case.card_message_id is None:
            return
        with self._messages.staff_voice():
            text, markup = await self._card(session, case)
        try:
            await bot.edit_message_text(
                chat_id=self._messages.chat_of(case),
                message_id=case.card_message_id,
                text=text,
                reply_markup=markup,
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                logger.warning("case %s: card not updated: %s", case.id, exc.message)

    async def rename(self, bot: Bot, case: Case, state: str | None = None) -> None:
        if case.topic_id is None:
            return
        label = state or Priority(case.priority).label
        with self._messages.staff_voice():
            name = staff_texts.topic_name(case.id, case.lang, label)
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_forum_topic(
                chat_id=self._messages.chat_of(case), message_thread_id=case.topic_id, name=name
            )

    async def close(self, bot: Bot, case: Case) -> None:
        if case.topic_id is not None:
            await self.close_topic(bot, self._messages.chat_of(case), int(case.topic_id))

    async def close_topic(self, bot: Bot, chat_id: int, topic_id: int) -> None:
        with contextlib.suppress(TelegramBadRequest):
            await bot.close_forum_topic(chat_id=chat_id, message_thread_id=topic_id)

    async def repair(self, bot: Bot, session: AsyncSession, case: Case, description: str) -> bool:
        """Someone closed or deleted the topic by hand: reopen it, or make a new one."""
        if TOPIC_CLOSED in description and case.topic_id is not None:
            with contextlib.suppress(TelegramBadRequest):
                await bot.reopen_forum_topic(
                    chat_id=self._messages.chat_of(case), message_thread_id=case.topic_id
                )
            return True
        if any(marker in description for marker in TOPIC_GONE):
            logger.warning("case %s: its topic is gone; opening a new one", case.id)
            await CaseService(session).attach_topic(case, None, None)
            return True
        return False

    async def delete(
        self,
        bot: Bot,
        session: AsyncSession,
        topics: Sequence[tuple[int, int]],
        *,
        left_note: str,
    ) -> tuple[list[int], list[int]]:
        """Delete each (case, topic), in the group of the case's desk; a topic the
        bot cannot delete gets `left_note`. Returns the cases whose topic the bot
        deleted, and those it could not."""
        service = CaseService(session)
        deleted: list[int] = []
        left: list[int] = []
        for case_id, topic_id in topics:
            known = await service.get(case_id)
            desk = self._messages.directory.by_id(known.desk_id if known else None)
            chat_id = desk.chat_id
            try:
                await bot.delete_forum_topic(chat_id=chat_id, message_thread_id=topic_id)
            except TelegramAPIError as exc:
                if any(gone in exc.message for gone in TOPIC_GONE):
                    await service.topic_deleted(case_id)  # staff deleted it already
                    continue
                logger.warning("case %s: topic not deleted: %s", case_id, type(exc).__name__)
                await self._messages.to_topic(bot, topic_id, left_note, chat_id=chat_id)
                left.append(case_id)
                continue
            deleted.append(case_id)
            await service.topic_deleted(case_id)
        return deleted, left
