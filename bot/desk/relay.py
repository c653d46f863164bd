"""The relay of a case: the citizen's messages (of any kind) copied into the
case's topic, the holder's copied to the citizen, replies kept in place and
edits following their copy. Each copy is recorded once, so a message Telegram
delivers again after a restart is not copied twice."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, Staff
from bot.desk.messages import DeskMessages, reply_params
from bot.desk.topics import CaseTopics
from bot.services.cases import CaseService
from bot.ui import staff_texts

logger = logging.getLogger(__name__)


class Relay:
    def __init__(self, messages: DeskMessages, topics: CaseTopics) -> None:
        self._messages = messages
        self._topics = topics

    async def copy_in(self, bot: Bot, session: AsyncSession, case: Case, message: Message) -> bool:
        """A citizen's message (of any kind) copied into the case's topic."""
        service = CaseService(session)
        if await service.is_relayed_in(case, message.message_id):
            return True  # delivered again after a restart: already in the topic
        reply_to = None
        if message.reply_to_message is not None:
            reply_to = await service.topic_message_for(case, message.reply_to_message.message_id)
        for attempt in range(2):
            topic_id = await self._topics.ensure(bot, session, case)
            if topic_id is None:
                return False
            try:
                copied = await bot.copy_message(
                    chat_id=self._messages.chat_of(case),
                    from_chat_id=message.chat.id,
                    message_id=message.message_id,
                    message_thread_id=topic_id,
                    reply_parameters=reply_params(reply_to),
                )
            except TelegramBadRequest as exc:
                if attempt == 0 and await self._topics.repair(bot, session, case, exc.message):
                    continue
                logger.warning("case %s: not relayed to the topic: %s", case.id, exc.message)
                return False
            except TelegramForbiddenError:
                logger.warning("case %s: the bot cannot write to the staff group", case.id)
                return False
            await service.relayed_in(case, message.message_id, copied.message_id)
            return True
        return False

    async def copy_out(
        self, bot: Bot, session: AsyncSession, case: Case, staff: Staff, message: Message
    ) -> bool:
        """The holder's message in the topic copied to the citizen."""
        service = CaseService(session)
        if await service.is_relayed_out(case, message.message_id):
            return True
        if case.chat_id is None:
            return False
        reply_to = None
        replied = message.reply_to_message
        # In a forum, a message that replies to nothing "replies" to the topic's first message.
        if replied is not None and replied.message_id != case.topic_id:
            reply_to = await service.citizen_message_for(case, replied.message_id)
        try:
            copied = await bot.copy_message(
                chat_id=case.chat_id,
                from_chat_id=message.chat.id,
                message_id=message.message_id,
                reply_parameters=reply_params(reply_to),
            )
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            blocked = isinstance(exc, TelegramForbiddenError)
            logger.info("case %s: not delivered to the citizen (%s)", case.id, type(exc).__name__)
            with self._messages.staff_voice():
                await self._messages.post(
                    bot,
                    case,
                    staff_texts.not_delivered(blocked=blocked),
                    reply_to=message.message_id,
                )
            return False
        await service.relayed_out(case, staff, message.message_id, copied.message_id)
        return True

    async def edit_in(self, bot: Bot, session: AsyncSession, case: Case, message: Message) -> None:
        """The citizen edited a message: edit its copy in the topic."""
        target = await CaseService(session).topic_message_for(case, message.message_id)
        if target is None or case.topic_id is None:
            await self.copy_in(bot, session, case, message)
            return
        await self._apply_edit(
            bot, self._messages.chat_of(case), target, message, topic_id=int(case.topic_id)
        )

    async def edit_out(self, bot: Bot, session: AsyncSession, case: Case, message: Message) -> None:
        """The holder edited a message in the topic: edit the citizen's copy."""
        target = await CaseService(session).citizen_message_for(case, message.message_id)
        if target is None or case.chat_id is None:
            return
        await self._apply_edit(bot, int(case.chat_id), target, message, topic_id=None)

    async def _apply_edit(
        self, bot: Bot, chat_id: int, target: int, source: Message, *, topic_id: int | None
    ) -> None:
        try:
            if source.text is not None:
                await bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=target,
                    text=source.text,
                    entities=source.entities,
                    parse_mode=None,
                    link_preview_options=None,
                )
                return
            if source.caption is not None:
                await bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=target,
                    caption=source.caption,
                    caption_entities=source.caption_entities,
                    parse_mode=None,
                )
                return
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return
        # Telegram cannot edit this copy (media replaced, too old): send the new
        # version as a reply to the old one, so it stays in its place.
        with contextlib.suppress(TelegramAPIError):
            await bot.copy_message(
                chat_id=chat_id,
                from_chat_id=source.chat.id,
                message_id=source.message_id,
                message_thread_id=topic_id,
                reply_parameters=ReplyParameters(
                    message_id=target, allow_sending_without_reply=True
                ),
            )
