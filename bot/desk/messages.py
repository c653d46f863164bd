"""Saying things on the case desk: in a case's topic (in the group of the
case's desk), in a desk group's General topic, and to the citizen, each in its
own language. Telegram's
refusals are logged (by case or topic number, never by person) and reported
as None or False; nothing here raises them further."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters
from aiogram.utils.i18n import I18n

from bot.db.models import Case
from bot.services.desks import Desk, DeskDirectory

logger = logging.getLogger(__name__)


def reply_params(message_id: int | None) -> ReplyParameters | None:
    """A reply that is still sent when the message replied to is gone."""
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


class DeskMessages:
    """The desks' staff groups and the citizens' chats, as the desk writes to them."""

    def __init__(self, i18n: I18n, *, directory: DeskDirectory, staff_language: str) -> None:
        self.directory = directory
        self.i18n = i18n
        self.staff_language = staff_language

    @property
    def chat_id(self) -> int:
        """The fallback desk's group (the only one with a single desk)."""
        return self.directory.fallback.chat_id

    def chat_of(self, case: Case) -> int:
        """The group of the case's desk, where its topic is."""
        return self.directory.desk_of(case).chat_id

    @contextmanager
    def staff_voice(self) -> Iterator[None]:
        with self.i18n.context(), self.i18n.use_locale(self.staff_language):
            yield

    @contextmanager
    def citizen_voice(self, case: Case) -> Iterator[None]:
        with self.i18n.context(), self.i18n.use_locale(case.lang):
            yield

    async def to_topic(  # noqa: PLR0913 - the Bot API's sendMessage fields; the chat keyword-only
        self,
        bot: Bot,
        topic_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        reply_to_id: int | None = None,
        *,
        chat_id: int,
    ) -> Message | None:
        try:
            return await bot.send_message(
                chat_id=chat_id,
                message_thread_id=topic_id,
                text=text,
                reply_markup=markup,
                reply_parameters=reply_params(reply_to_id),
            )
        except TelegramAPIError as exc:
            logger.warning("topic %s: message not posted: %s", topic_id, type(exc).__name__)
            return None

    async def post(
        self,
        bot: Bot,
        case: Case,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message | None:
        """A message in the case's topic (already rendered in the staff's language)."""
        if case.topic_id is None:
            return None
        return await self.to_topic(
            bot, int(case.topic_id), text, markup, reply_to, chat_id=self.chat_of(case)
        )

    async def tell(
        self, bot: Bot, case: Case, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        """A message to the citizen (already rendered in their language)."""
        if case.chat_id is None:
            return None
        try:
            return await bot.send_message(chat_id=case.chat_id, text=text, reply_markup=markup)
        except TelegramForbiddenError:
            logger.info("case %s: the citizen has blocked the bot", case.id)
        except TelegramBadRequest as exc:
            logger.warning("case %s: message to the citizen refused: %s", case.id, exc.message)
        return None

    async def to_general(
        self,
        bot: Bot,
        text: str,
        desk: Desk | None = None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> bool:
        """A message in the General topic of `desk`'s group (default: the fallback
        desk's); False if Telegram refused it."""
        chat_id = (desk or self.directory.fallback).chat_id
        try:
            await bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except TelegramAPIError as exc:
            logger.warning("staff group: message not posted: %s", type(exc).__name__)
            return False
        return True
