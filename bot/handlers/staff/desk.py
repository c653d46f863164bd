"""The Telegram side of cases, shared by the citizen's and the staff's handlers
and by the background jobs: each case's forum topic and card, the relay of
messages both ways, and what the citizen is told.

Decisions (who holds a case, whether it may close) are the CaseService's;
this module only carries them out in Telegram. Logs name cases by number,
never people.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import Case, Citizen, Staff, utcnow
from bot.domain import CaseOutcome, OpenedVia, Priority, Route
from bot.services.cases import CaseService, Opened, aware
from bot.services.office_hours import OfficeHours
from bot.services.staff import StaffService
from bot.ui import citizen_texts, keyboards, staff_texts

logger = logging.getLogger(__name__)

TOPIC_COLORS = {Priority.URGENT: 16478047, Priority.ESCALATE: 16766590, Priority.REQUEST: 7322096}
# Telegram's descriptions when a topic was deleted or closed by hand.
_TOPIC_GONE = ("thread not found", "TOPIC_ID_INVALID", "TOPIC_DELETED")
_TOPIC_CLOSED = "TOPIC_CLOSED"


class CaseDesk:
    """Long-lived (one per Dispatcher); every call gets the bot and the session."""

    def __init__(
        self, settings: Settings, content: ContentLibrary, i18n: I18n, *, chat_id: int
    ) -> None:
        self.chat_id = chat_id
        self.settings = settings
        self.content = content
        self.i18n = i18n
        self.hours = OfficeHours.from_settings(settings)
        self._topic_locks: dict[int, asyncio.Lock] = {}

    # --- voices ----------------------------------------------------------------

    @contextmanager
    def staff_voice(self) -> Iterator[None]:
        with self.i18n.context(), self.i18n.use_locale(self.settings.staff_language):
            yield

    @contextmanager
    def citizen_voice(self, case: Case) -> Iterator[None]:
        with self.i18n.context(), self.i18n.use_locale(case.lang):
            yield

    # --- opening ---------------------------------------------------------------

    async def open_case(
        self,
        bot: Bot,
        session: AsyncSession,
        citizen: Citizen,
        *,
        lang: str,
        route: Route,
        intent: str | None,
        recent: Sequence[str] = (),
        via: OpenedVia | None = None,
    ) -> Opened:
        """Open a case (or find the open one), make its topic and tell the citizen."""
        service = CaseService(session)
        opened = await service.open(citizen, lang=lang, route=route, intent=intent, via=via)
        case = opened.case
        if opened.created:
            logger.info("case %s opened, priority %s", case.id, Priority(case.priority).label)
            await self.ensure_topic(bot, session, case, recent)
            estimate = await service.estimate_wait(
                case, self.hours, minutes_per_case=self.settings.case_wait_minutes
            )
            with self.citizen_voice(case):
                text = citizen_texts.case_opened(
                    estimate,
                    urgent=case.priority == Priority.URGENT,
                    now=utcnow(),
                    lang=case.lang,
                )
                await self.tell(bot, case, text)
            return opened
        if opened.raised:
            await self.priority_raised(bot, session, case, crisis=route is Route.CRISIS)
        if route is not Route.CRISIS:
            with self.citizen_voice(case):
                await self.tell(
                    bot, case, citizen_texts.case_already_open(held=case.holder_id is not None)
                )
        return opened

    async def ensure_topic(
        self, bot: Bot, session: AsyncSession, case: Case, recent: Sequence[str] = ()
    ) -> int | None:
        """The case's topic, created with its card if it has none yet."""
        if case.topic_id is not None:
            return int(case.topic_id)
        lock = self._topic_locks.setdefault(case.id, asyncio.Lock())
        try:
            async with lock:
                service = CaseService(session)
                fresh = await service.get(case.id)
                if fresh is not None and fresh.topic_id is not None:
                    return int(fresh.topic_id)
                return await self._create_topic(bot, session, case, recent)
        finally:
            if not lock.locked():
                self._topic_locks.pop(case.id, None)

    async def _create_topic(
        self, bot: Bot, session: AsyncSession, case: Case, recent: Sequence[str]
    ) -> int | None:
        service = CaseService(session)
        priority = Priority(case.priority)
        with self.staff_voice():
            name = staff_texts.topic_name(case.id, case.lang, priority.label)
        try:
            topic = await bot.create_forum_topic(
                chat_id=self.chat_id, name=name, icon_color=TOPIC_COLORS[priority]
            )
        except TelegramAPIError as exc:
            logger.warning("case %s: cannot create its topic: %s", case.id, type(exc).__name__)
            return None
        topic_id = topic.message_thread_id
        await service.attach_topic(case, topic_id, None)
        with self.staff_voice():
            card_text, markup = await self._card(session, case)
            card = await self._send_topic(bot, topic_id, card_text, markup)
            if card is not None:
                await service.set_card(case, card.message_id)
            for piece in staff_texts.conversation_so_far(list(recent)):
                await self._send_topic(bot, topic_id, piece)
        return topic_id

    async def _card(
        self, session: AsyncSession, case: Case
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        holder = None
        if case.holder_id is not None:
            staff = await StaffService(session).get(case.holder_id)
            holder = staff.display_name if staff is not None else None
        region = self.content.resources.regions.get(case.region or "")
        subject = staff_texts.situation_name(
            case.intent, self.content, self.settings.staff_language
        )
        text = staff_texts.case_card(
            case,
            holder=holder,
            region=region,
            subject=subject,
            now=utcnow(),
            zone=self.hours.zone,
        )
        return text, keyboards.case_card_keyboard(case)

    async def refresh_card(self, bot: Bot, session: AsyncSession, case: Case) -> None:
        if case.card_message_id is None:
            return
        with self.staff_voice():
            text, markup = await self._card(session, case)
        try:
            await bot.edit_message_text(
                chat_id=self.chat_id,
                message_id=case.card_message_id,
                text=text,
                reply_markup=markup,
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                logger.warning("case %s: card not updated: %s", case.id, exc.message)

    async def rename_topic(self, bot: Bot, case: Case, state: str | None = None) -> None:
        if case.topic_id is None:
            return
        label = state or Priority(case.priority).label
        with self.staff_voice():
            name = staff_texts.topic_name(case.id, case.lang, label)
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_forum_topic(
                chat_id=self.chat_id, message_thread_id=case.topic_id, name=name
            )

    # --- saying things -----------------------------------------------------------

    async def _send_topic(
        self,
        bot: Bot,
        topic_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
    ) -> Message | None:
        try:
            return await bot.send_message(
                chat_id=self.chat_id,
                message_thread_id=topic_id,
                text=text,
                reply_markup=markup,
                reply_parameters=(
                    ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
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
        return await self._send_topic(bot, int(case.topic_id), text, markup, reply_to)

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

    # --- after staff actions ------------------------------------------------------

    async def after_take(self, bot: Bot, session: AsyncSession, case: Case, staff: Staff) -> None:
        await self.refresh_card(bot, session, case)
        with self.staff_voice():
            await self.post(bot, case, staff_texts.case_taken_note(staff.display_name))
        with self.citizen_voice(case):
            await self.tell(bot, case, citizen_texts.counselor_joined(staff.display_name))

    async def after_transfer(
        self,
        bot: Bot,
        session: AsyncSession,
        case: Case,
        actor: Staff,
        target: Staff | None,
    ) -> None:
        await self.refresh_card(bot, session, case)
        with self.staff_voice():
            note = staff_texts.transferred_note(
                actor.display_name, target.display_name if target else None
            )
            await self.post(bot, case, note)
        with self.citizen_voice(case):
            if target is None:
                await self.tell(bot, case, citizen_texts.counselor_left())
            else:
                await self.tell(bot, case, citizen_texts.counselor_changed(target.display_name))

    async def after_close(
        self, bot: Bot, session: AsyncSession, case: Case, actor: Staff | None
    ) -> None:
        outcome = case.outcome or CaseOutcome.ANSWERED.value
        logger.info("case %s closed: %s", case.id, outcome)
        await self.refresh_card(bot, session, case)
        with self.staff_voice():
            await self.post(
                bot, case, staff_texts.closed_note(actor.display_name if actor else None, outcome)
            )
        withdrawn = outcome == CaseOutcome.WITHDRAWN
        await self.rename_topic(bot, case, "withdrawn" if withdrawn else "closed")
        if case.topic_id is not None:
            with contextlib.suppress(TelegramBadRequest):
                await bot.close_forum_topic(chat_id=self.chat_id, message_thread_id=case.topic_id)
        if withdrawn:
            return
        with self.citizen_voice(case):
            automatic = actor is None and outcome == CaseOutcome.NO_RESPONSE
            await self.tell(bot, case, citizen_texts.case_closed_for_citizen(automatic=automatic))
            if not automatic:
                # Someone who stopped answering is not asked to rate a conversation.
                await self.tell(
                    bot, case, citizen_texts.rating_prompt(), keyboards.rating_keyboard(case.id)
                )

    async def priority_raised(
        self, bot: Bot, session: AsyncSession, case: Case, *, crisis: bool
    ) -> None:
        logger.info("case %s raised to %s", case.id, Priority(case.priority).label)
        with self.staff_voice():
            note = (
                staff_texts.crisis_note(raised=True)
                if crisis
                else staff_texts.priority_raised_note(case.priority)
            )
            await self.post(bot, case, note)
        await self.rename_topic(bot, case)
        await self.refresh_card(bot, session, case)

    async def crisis_in_case(
        self, bot: Bot, session: AsyncSession, case: Case, *, intent: str | None
    ) -> None:
        """A crisis-route message in an open case: urgent now, and the counselor is told."""
        raised = await CaseService(session).raise_priority(case, Route.CRISIS, intent)
        if raised:
            await self.priority_raised(bot, session, case, crisis=True)
            return
        with self.staff_voice():
            await self.post(bot, case, staff_texts.crisis_note(raised=False))

    async def withdraw(self, bot: Bot, session: AsyncSession, citizen: Citizen) -> bool:
        """/forget: the open case closes as withdrawn, and the topics of all the
        citizen's cases are deleted with the copies of their messages; the
        General topic says which. A topic the bot cannot delete is closed with a
        note asking staff to delete it. True if a case was open."""
        service = CaseService(session)
        withdrawal = await service.withdraw(citizen)
        with self.staff_voice():
            deleted, left = await self.delete_topics(
                bot, session, withdrawal.topics, left_note=staff_texts.forgotten_topic_left()
            )
        if withdrawal.case is not None and withdrawal.case.id in left:
            await self.after_close(bot, session, withdrawal.case, None)
        if deleted:
            logger.info("%d topic(s) deleted after /forget", len(deleted))
            with self.staff_voice():
                await self._send_general(bot, staff_texts.forgotten_topics_deleted(deleted))
        return withdrawal.case is not None

    async def expire(
        self, bot: Bot, session: AsyncSession, topics: Sequence[tuple[int, int]]
    ) -> None:
        """Retention: delete the topics of cases closed longer ago than the limit."""
        if not topics:
            return
        with self.staff_voice():
            deleted, _ = await self.delete_topics(
                bot, session, topics, left_note=staff_texts.expired_topic_left()
            )
            if deleted:
                logger.info("%d topic(s) deleted past the retention limit", len(deleted))
                await self._send_general(bot, staff_texts.expired_topics_deleted(deleted))

    async def delete_topics(
        self,
        bot: Bot,
        session: AsyncSession,
        topics: Sequence[tuple[int, int]],
        *,
        left_note: str,
    ) -> tuple[list[int], list[int]]:
        """Delete each (case, topic); a topic the bot cannot delete gets `left_note`.
        Returns the cases whose topic the bot deleted, and those it could not."""
        service = CaseService(session)
        deleted: list[int] = []
        left: list[int] = []
        for case_id, topic_id in topics:
            try:
                await bot.delete_forum_topic(chat_id=self.chat_id, message_thread_id=topic_id)
            except TelegramAPIError as exc:
                if any(gone in exc.message for gone in _TOPIC_GONE):
                    await service.topic_deleted(case_id)  # staff deleted it already
                    continue
                logger.warning("case %s: topic not deleted: %s", case_id, type(exc).__name__)
                await self._send_topic(bot, topic_id, left_note)
                left.append(case_id)
                continue
            deleted.append(case_id)
            await service.topic_deleted(case_id)
        return deleted, left

    async def _send_general(self, bot: Bot, text: str) -> bool:
        """A message in the staff group's General topic; False if Telegram refused it."""
        try:
            await bot.send_message(chat_id=self.chat_id, text=text)
        except TelegramAPIError as exc:
            logger.warning("staff group: message not posted: %s", type(exc).__name__)
            return False
        return True

    # --- the relay -----------------------------------------------------------------

    async def relay_in(self, bot: Bot, session: AsyncSession, case: Case, message: Message) -> bool:
        """A citizen's message (of any kind) copied into the case's topic."""
        service = CaseService(session)
        if await service.is_relayed_in(case, message.message_id):
            return True  # delivered again after a restart: already in the topic
        reply_to = None
        if message.reply_to_message is not None:
            reply_to = await service.topic_message_for(case, message.reply_to_message.message_id)
        for attempt in range(2):
            topic_id = await self.ensure_topic(bot, session, case)
            if topic_id is None:
                return False
            try:
                copied = await bot.copy_message(
                    chat_id=self.chat_id,
                    from_chat_id=message.chat.id,
                    message_id=message.message_id,
                    message_thread_id=topic_id,
                    reply_parameters=(
                        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                        if reply_to is not None
                        else None
                    ),
                )
            except TelegramBadRequest as exc:
                if attempt == 0 and await self._repair_topic(bot, session, case, exc.message):
                    continue
                logger.warning("case %s: not relayed to the topic: %s", case.id, exc.message)
                return False
            except TelegramForbiddenError:
                logger.warning("case %s: the bot cannot write to the staff group", case.id)
                return False
            await service.relayed_in(case, message.message_id, copied.message_id)
            return True
        return False

    async def _repair_topic(
        self, bot: Bot, session: AsyncSession, case: Case, description: str
    ) -> bool:
        """Someone closed or deleted the topic by hand: reopen it, or make a new one."""
        if _TOPIC_CLOSED in description and case.topic_id is not None:
            with contextlib.suppress(TelegramBadRequest):
                await bot.reopen_forum_topic(chat_id=self.chat_id, message_thread_id=case.topic_id)
            return True
        if any(marker in description for marker in _TOPIC_GONE):
            logger.warning("case %s: its topic is gone; opening a new one", case.id)
            service = CaseService(session)
            await service.attach_topic(case, None, None)
            return True
        return False

    async def relay_out(
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
                from_chat_id=self.chat_id,
                message_id=message.message_id,
                reply_parameters=(
                    ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
            )
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            blocked = isinstance(exc, TelegramForbiddenError)
            logger.info("case %s: not delivered to the citizen (%s)", case.id, type(exc).__name__)
            with self.staff_voice():
                await self.post(
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
            await self.relay_in(bot, session, case, message)
            return
        await self._apply_edit(bot, self.chat_id, target, message, topic_id=int(case.topic_id))

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

    # --- queue -------------------------------------------------------------------

    def case_line(self, case: Case, *, holder: str | None = None) -> str:
        """One line about a case for /queue, /mycases and announcements (HTML)."""
        with self.staff_voice():
            waited = staff_texts.duration((utcnow() - aware(case.opened_at)).total_seconds())
            label = staff_texts.case_line_label(case, waited=waited, holder=holder)
            return staff_texts.topic_link(self.chat_id, case.topic_id, label)

    async def announce(self, bot: Bot, due: Sequence[Case], waiting: int) -> bool:
        """Announce waiting cases again in the General topic."""
        lines = [self.case_line(case) for case in due]
        with self.staff_voice():
            text = staff_texts.announcement(lines, waiting)
        return await self._send_general(bot, text)
