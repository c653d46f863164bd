"""The case desk: what happens in Telegram when a case opens, is taken,
transferred, raised, closed or withdrawn, shared by the citizen's and the
staff's handlers and by the background jobs.

Decisions (who holds a case, whether it may close) are the CaseService's;
the desk only carries them out, through its parts: `messages` (saying things,
each in its language), `topics` (each case's topic and card), `relay`
(messages both ways) and `announcements` (what the jobs say). Logs name cases
by number, never people.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.db.models import Case, Citizen, Staff, utcnow
from bot.desk.announcements import Announcements
from bot.desk.messages import DeskMessages
from bot.desk.relay import Relay
from bot.desk.topics import CaseTopics
from bot.domain import CaseOutcome, OpenedVia, Priority, Route
from bot.services.cases import CaseService, Opened, Withdrawal
from bot.services.desks import DeskDirectory
from bot.ui import citizen_texts, keyboards, staff_texts

logger = logging.getLogger(__name__)


class CaseDesk:
    """Long-lived (one per Dispatcher); every call gets the bot and the session."""

    def __init__(
        self,
        settings: Settings,
        content: ContentLibrary,
        i18n: I18n,
        *,
        chat_id: int | None = None,
        directory: DeskDirectory | None = None,
    ) -> None:
        """The desks of `directory`, or the one desk of the group `chat_id`."""
        if directory is None:
            if chat_id is None:
                raise ValueError("a case desk needs a directory of desks or a chat id")
            directory = DeskDirectory.single(settings, chat_id)
        self.directory = directory
        self.settings = settings
        self.content = content
        self.messages = DeskMessages(
            i18n, directory=directory, staff_language=settings.staff_language
        )
        self.topics = CaseTopics(self.messages, content)
        self.relay = Relay(self.messages, self.topics)
        self.announcements = Announcements(self.messages)

    # --- opening ---------------------------------------------------------------

    async def open_case(  # noqa: PLR0913 - keyword-only facts of the case being opened
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
        """Open a case (or find the open one) in the desk of the citizen's region
        (the fallback desk when it is unknown), make its topic and tell the citizen."""
        service = CaseService(session)
        desk = self.directory.for_region(citizen.region)
        opened = await service.open(
            citizen, lang=lang, route=route, intent=intent, via=via, desk_id=desk.id
        )
        case = opened.case
        messages = self.messages
        if opened.created:
            logger.info(
                "case %s opened in desk %s, priority %s",
                case.id,
                desk.id,
                Priority(case.priority).label,
            )
            await self.topics.ensure(bot, session, case, recent)
            estimate = await service.estimate_wait(
                case,
                desk.hours,
                minutes_per_case=self.settings.case_wait_minutes,
                scope=desk.scope if self.directory.several else None,
            )
            with messages.citizen_voice(case):
                text = citizen_texts.case_opened(
                    estimate,
                    urgent=case.priority == Priority.URGENT,
                    now=utcnow(),
                    lang=case.lang,
                )
                await messages.tell(bot, case, text)
            return opened
        if opened.raised:
            await self.priority_raised(bot, session, case, crisis=route is Route.CRISIS)
        if route is not Route.CRISIS:
            with messages.citizen_voice(case):
                held = case.holder_id is not None
                await messages.tell(bot, case, citizen_texts.case_already_open(held=held))
        return opened

    # --- after staff actions ------------------------------------------------------

    async def after_take(self, bot: Bot, session: AsyncSession, case: Case, staff: Staff) -> None:
        messages = self.messages
        await self.topics.refresh_card(bot, session, case)
        with messages.staff_voice():
            await messages.post(bot, case, staff_texts.case_taken_note(staff.display_name))
        with messages.citizen_voice(case):
            await messages.tell(bot, case, citizen_texts.counselor_joined(staff.display_name))

    async def after_transfer(
        self,
        bot: Bot,
        session: AsyncSession,
        case: Case,
        actor: Staff,
        target: Staff | None,
    ) -> None:
        messages = self.messages
        await self.topics.refresh_card(bot, session, case)
        with messages.staff_voice():
            note = staff_texts.transferred_note(
                actor.display_name, target.display_name if target else None
            )
            await messages.post(bot, case, note)
        with messages.citizen_voice(case):
            if target is None:
                await messages.tell(bot, case, citizen_texts.counselor_left())
            else:
                await messages.tell(bot, case, citizen_texts.counselor_changed(target.display_name))

    async def after_close(
        self, bot: Bot, session: AsyncSession, case: Case, actor: Staff | None
    ) -> None:
        messages = self.messages
        outcome = case.outcome or CaseOutcome.ANSWERED.value
        logger.info("case %s closed: %s", case.id, outcome)
        await self.topics.refresh_card(bot, session, case)
        with messages.staff_voice():
            await messages.post(
                bot, case, staff_texts.closed_note(actor.display_name if actor else None, outcome)
            )
        withdrawn = outcome == CaseOutcome.WITHDRAWN
        await self.topics.rename(bot, case, "withdrawn" if withdrawn else "closed")
        await self.topics.close(bot, case)
        if withdrawn:
            return
        with messages.citizen_voice(case):
            automatic = actor is None and outcome == CaseOutcome.NO_RESPONSE
            await messages.tell(
                bot, case, citizen_texts.case_closed_for_citizen(automatic=automatic)
            )
            if not automatic:
                # Someone who stopped answering is not asked to rate a conversation.
                await messages.tell(
                    bot, case, citizen_texts.rating_prompt(), keyboards.rating_keyboard(case.id)
                )

    # --- a more serious message ----------------------------------------------------

    async def priority_raised(
        self, bot: Bot, session: AsyncSession, case: Case, *, crisis: bool
    ) -> None:
        logger.info("case %s raised to %s", case.id, Priority(case.priority).label)
        with self.messages.staff_voice():
            note = (
                staff_texts.crisis_note(raised=True)
                if crisis
                else staff_texts.priority_raised_note(case.priority)
            )
            await self.messages.post(bot, case, note)
        await self.topics.rename(bot, case)
        await self.topics.refresh_card(bot, session, case)

    async def crisis_in_case(
        self, bot: Bot, session: AsyncSession, case: Case, *, intent: str | None
    ) -> None:
        """A crisis-route message in an open case: urgent now, and the counselor is told."""
        raised = await CaseService(session).raise_priority(case, Route.CRISIS, intent)
        if raised:
            await self.priority_raised(bot, session, case, crisis=True)
            return
        with self.messages.staff_voice():
            await self.messages.post(bot, case, staff_texts.crisis_note(raised=False))

    # --- forgetting ------------------------------------------------------------------

    async def withdrawn(self, bot: Bot, session: AsyncSession, withdrawal: Withdrawal) -> None:
        """/forget (ForgetService) withdrew the citizen's cases: the topics of all
        of them are deleted with the copies of their messages, and the General
        topic says which. A topic the bot cannot delete is closed as withdrawn
        with a note asking staff to delete it."""
        with self.messages.staff_voice():
            deleted, left = await self.topics.delete(
                bot, session, withdrawal.topics, left_note=staff_texts.forgotten_topic_left()
            )
        if withdrawal.case is not None and withdrawal.case.id in left:
            await self.after_close(bot, session, withdrawal.case, None)
        if deleted:
            logger.info("%d topic(s) deleted after /forget", len(deleted))
            with self.messages.staff_voice():
                await self.messages.to_general(bot, staff_texts.forgotten_topics_deleted(deleted))

    async def expire(
        self, bot: Bot, session: AsyncSession, topics: Sequence[tuple[int, int]]
    ) -> None:
        """Retention: delete the topics of cases closed longer ago than the limit."""
        if not topics:
            return
        with self.messages.staff_voice():
            deleted, _ = await self.topics.delete(
                bot, session, topics, left_note=staff_texts.expired_topic_left()
            )
            if deleted:
                logger.info("%d topic(s) deleted past the retention limit", len(deleted))
                await self.messages.to_general(bot, staff_texts.expired_topics_deleted(deleted))
