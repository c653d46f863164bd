"""What the background jobs say on the desk: waiting cases announced again in
the General topic, the reminder to a citizen who stopped answering (and the
note about it in the topic), and the weekly report."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile

from bot.db.models import Case, utcnow
from bot.desk.messages import DeskMessages
from bot.services.desks import Desk
from bot.telegram import text_limits
from bot.ui import citizen_texts, staff_texts

logger = logging.getLogger(__name__)


class Announcements:
    def __init__(self, messages: DeskMessages) -> None:
        self._messages = messages

    def case_line(self, case: Case, *, holder: str | None = None) -> str:
        """One line about a case for /queue, /mycases and announcements (HTML)."""
        with self._messages.staff_voice():
            waited = staff_texts.duration((utcnow() - case.opened_at).total_seconds())
            label = staff_texts.case_line_label(case, waited=waited, holder=holder)
            return staff_texts.topic_link(self._messages.chat_of(case), case.topic_id, label)

    async def announce(
        self, bot: Bot, due: Sequence[Case], waiting: int, desk: Desk | None = None
    ) -> bool:
        """Announce waiting cases again in the General topic of their desk's group."""
        lines = [self.case_line(case) for case in due]
        with self._messages.staff_voice():
            text = staff_texts.announcement(lines, waiting)
        return await self._messages.to_general(bot, text, desk)

    async def remind(self, bot: Bot, case: Case, *, minutes: int) -> None:
        """The citizen has not answered the counselor for `minutes`: one reminder."""
        with self._messages.citizen_voice(case):
            await self._messages.tell(bot, case, citizen_texts.citizen_reminder(minutes))
        with self._messages.staff_voice():
            await self._messages.post(bot, case, staff_texts.reminder_note())

    async def weekly_report(self, bot: Bot, text: str, chart: bytes, caption: str) -> bool:
        """The report (already rendered) in the General topic; False if Telegram refused it."""
        chat_id = self._messages.chat_id
        try:
            for chunk in text_limits.message_parts(text):
                await bot.send_message(chat_id=chat_id, text=chunk)
            await bot.send_photo(
                chat_id=chat_id,
                photo=BufferedInputFile(chart, filename="report.png"),
                caption=caption,
            )
        except TelegramAPIError as exc:
            logger.warning("weekly report not posted: %s", type(exc).__name__)
            return False
        return True
