"""Cases: a citizen's conversation with a counselor, from opening to rating.

The service owns the unit of work (it commits) and decides who may do what;
the handlers only render its results. Counselors know a case by its number,
never by the citizen's name or Telegram id. Nothing here imports aiogram, so
it is tested without Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.db.models import Case, Citizen, Staff, utcnow
from bot.db.repositories.cases import (
    AuditRepository,
    CaseRepository,
    DeskScope,
    RelayRepository,
)
from bot.db.repositories.staff import StaffRepository

# REQUEST_HUMAN_INTENT, OpenedVia and Priority are re-exported ("as" itself):
# bot/handlers/person.py and case_relay.py import them from here.
from bot.domain import REQUEST_HUMAN_INTENT as REQUEST_HUMAN_INTENT  # noqa: PLC0414
from bot.domain import CaseOutcome, CaseStatus, Refusal, Route
from bot.domain import OpenedVia as OpenedVia  # noqa: PLC0414
from bot.domain import Priority as Priority  # noqa: PLC0414
from bot.services.desks import works_at
from bot.services.office_hours import OfficeHours, WaitEstimate
from bot.services.staff import role_of


@dataclass(frozen=True, slots=True)
class Opened:
    case: Case
    created: bool
    # True when an already open case was raised to a higher priority.
    raised: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of a staff action: the case as it is now, or why not."""

    case: Case | None
    refusal: Refusal | None = None
    previous_holder: int | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a transfer hands a case to: a staff member, nobody (the queue), or why not."""

    staff: Staff | None
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _first_reply(case: Case, now: datetime, first: tuple[datetime, int] | None) -> None:
    """The counselor's first reply in the case, for the metrics (the database has it)."""
    if first is not None:
        opened_at, priority = first
        waited = (now - opened_at).total_seconds()
        metrics.FIRST_REPLY_SECONDS.labels(Priority(priority).name.lower()).observe(waited)


def case_number(case_id: int) -> str:
    return f"#{case_id:04d}"


@dataclass(frozen=True)
class Withdrawal:
    """What /forget left to do in the staff group."""

    case: Case | None  # the case that was open, now closed as withdrawn
    topics: tuple[tuple[int, int], ...]  # (case id, topic id) of all the citizen's cases


class CaseService:
    def __init__(self, session: AsyncSession, *, now: Callable[[], datetime] = utcnow) -> None:
        self._session = session
        self._now = now
        self._cases = CaseRepository(session)
        self._relay = RelayRepository(session)
        self._audit = AuditRepository(session)
        self._staff = StaffRepository(session)

    # --- reading -------------------------------------------------------------

    async def get(self, case_id: int) -> Case | None:
        return await self._cases.get(case_id)

    async def open_for(self, citizen: Citizen) -> Case | None:
        return await self._cases.open_for_citizen(citizen.id)

    async def by_topic(self, topic_id: int, scope: DeskScope | None = None) -> Case | None:
        """The case of a topic in the group of the desk `scope` (Desk.scope);
        None: any desk (with a single desk, the same thing)."""
        return await self._cases.by_topic(topic_id, scope)

    async def queue(self, scope: DeskScope | None = None) -> Sequence[Case]:
        return await self._cases.waiting(scope)

    async def open_cases(self, scope: DeskScope | None = None) -> Sequence[Case]:
        return await self._cases.open_cases(scope)

    async def held_by(self, staff: Staff) -> Sequence[Case]:
        return await self._cases.held_by(staff.id)

    async def estimate_wait(
        self,
        case: Case,
        hours: OfficeHours,
        *,
        minutes_per_case: float,
        scope: DeskScope | None = None,
    ) -> WaitEstimate:
        """The wait with the hours and the queue (`scope`) of the case's desk."""
        ahead = await self._cases.count_ahead(case, scope)
        waits = await self._cases.recent_waits(case.priority)
        return hours.estimate(
            self._now(),
            ahead=ahead,
            minutes_per_case=minutes_per_case,
            measured_minutes=[w / 60 for w in waits],
        )

    # --- the citizen's side ----------------------------------------------------

    async def open(  # noqa: PLR0913 - the citizen, then keyword-only facts of the case
        self,
        citizen: Citizen,
        *,
        lang: str,
        route: Route,
        intent: str | None,
        via: OpenedVia | None = None,
        desk_id: str | None = None,
    ) -> Opened:
        """Open a case (in the desk `desk_id`), or return the citizen's open one
        (raised if this is more serious)."""
        priority = Priority.for_route(route, intent)
        citizen_id = citizen.id
        existing = await self._cases.open_for_citizen(citizen_id)
        if existing is not None:
            raised = await self.raise_priority(existing, route, intent)
            return Opened(existing, created=False, raised=raised)
        now = self._now()
        case = Case(
            citizen_id=citizen_id,
            chat_id=citizen.telegram_id,
            lang=lang,
            region=citizen.region,
            route=route.value,
            intent=intent,
            priority=int(priority),
            status=CaseStatus.WAITING.value,
            opened_via=(via or OpenedVia.for_route(route, intent)).value,
            opened_at=now,
            last_citizen_at=now,
            desk_id=desk_id,
        )
        try:
            await self._cases.add(case)
            await self._session.commit()
        except IntegrityError:
            # Another update opened one a moment earlier: the database's
            # one-open-case-per-citizen index refused this one.
            await self._session.rollback()
            await self._session.refresh(citizen)
            existing = await self._cases.open_for_citizen(citizen_id)
            if existing is None:
                raise
            return Opened(existing, created=False)
        return Opened(case, created=True)

    async def raise_priority(self, case: Case, route: Route, intent: str | None) -> bool:
        priority = Priority.for_route(route, intent)
        if not await self._cases.set_priority(case.id, int(priority), route.value, intent):
            return False
        await self._audit.add("priority", staff_id=None, case_id=case.id, detail=priority.label)
        await self._session.commit()
        await self._session.refresh(case)
        return True

    async def attach_topic(
        self, case: Case, topic_id: int | None, card_message_id: int | None
    ) -> None:
        """Link the case to its topic (None: the topic is gone, make a new one)."""
        await self._cases.touch(case.id, topic_id=topic_id, card_message_id=card_message_id)
        await self._session.commit()
        case.topic_id = topic_id
        case.card_message_id = card_message_id

    async def set_card(self, case: Case, card_message_id: int) -> None:
        await self._cases.touch(case.id, card_message_id=card_message_id)
        await self._session.commit()
        case.card_message_id = card_message_id

    async def withdraw(self, citizen: Citizen) -> Withdrawal:
        """/forget: close the open case as withdrawn and unlink the citizen from
        every case. The topics of those cases are returned for deletion. The
        caller commits: ForgetService, whose unit of work this is part of."""
        open_case = await self._cases.open_for_citizen(citizen.id)
        if open_case is not None:
            await self._cases.close(open_case.id, CaseOutcome.WITHDRAWN.value, self._now())
            await self._audit.add("withdraw", staff_id=None, case_id=open_case.id)
        cases = await self._cases.detach_citizen(citizen.id)
        await self._relay.delete_for_cases([case_id for case_id, _ in cases])
        if open_case is not None:
            await self._session.refresh(open_case)
        topics = tuple((case_id, int(topic)) for case_id, topic in cases if topic is not None)
        return Withdrawal(open_case, topics)

    async def topic_deleted(self, case_id: int) -> None:
        """The case's topic is gone (deleted after /forget): forget its ids."""
        await self._cases.touch(case_id, topic_id=None, card_message_id=None)
        await self._session.commit()

    async def rate(self, citizen: Citizen, case_id: int, score: int) -> bool:
        """The citizen's 1-5 rating of a closed case of theirs."""
        case = await self._cases.get(case_id)
        if (
            case is None
            or case.citizen_id != citizen.id
            or case.status != CaseStatus.CLOSED
            or not 1 <= score <= 5
        ):
            return False
        await self._cases.touch(case.id, rating=score)
        await self._session.commit()
        return True

    # --- the relay ---------------------------------------------------------------

    async def is_relayed_in(self, case: Case, citizen_message_id: int) -> bool:
        return await self._relay.by_citizen_message(case.id, citizen_message_id) is not None

    async def is_relayed_out(self, case: Case, topic_message_id: int) -> bool:
        return await self._relay.by_topic_message(case.id, topic_message_id) is not None

    async def topic_message_for(self, case: Case, citizen_message_id: int) -> int | None:
        """The topic's side of a message in the citizen's chat (either direction)."""
        relayed = await self._relay.by_citizen_message(case.id, citizen_message_id)
        return int(relayed.topic_message_id) if relayed is not None else None

    async def citizen_message_for(self, case: Case, topic_message_id: int) -> int | None:
        relayed = await self._relay.by_topic_message(case.id, topic_message_id)
        return int(relayed.citizen_message_id) if relayed is not None else None

    async def relayed_in(self, case: Case, citizen_message_id: int, topic_message_id: int) -> None:
        """A citizen's message reached the topic: the citizen is active again."""
        await self._relay.add(case.id, "in", citizen_message_id, topic_message_id)
        now = self._now()
        await self._cases.touch(case.id, last_citizen_at=now, reminded_at=None)
        await self._session.commit()
        case.last_citizen_at = now
        case.reminded_at = None

    async def relayed_out(
        self, case: Case, staff: Staff, topic_message_id: int, citizen_message_id: int
    ) -> None:
        await self._relay.add(case.id, "out", citizen_message_id, topic_message_id)
        now = self._now()
        first = await self._cases.staff_replied(case.id, now)
        await self._audit.add("reply", staff_id=staff.id, case_id=case.id)
        await self._session.commit()
        _first_reply(case, now, first)
        case.last_staff_at = now
        case.reminded_at = None

    async def sent_content(self, case: Case, staff: Staff, what: str) -> None:
        """A resource card or canned reply sent with one tap."""
        now = self._now()
        first = await self._cases.staff_replied(case.id, now)
        await self._audit.add("send", staff_id=staff.id, case_id=case.id, detail=what)
        await self._session.commit()
        _first_reply(case, now, first)

    async def record(self, staff: Staff, action: str, case: Case | None, detail: str = "") -> None:
        """An action of a staff member with no state change (a note, a look at the queue)."""
        await self._audit.add(
            action, staff_id=staff.id, case_id=case.id if case else None, detail=detail or None
        )
        await self._session.commit()

    # --- staff actions -----------------------------------------------------------

    async def take(self, case_id: int, staff: Staff) -> Decision:
        """Claim a waiting case. Of any number of simultaneous takers exactly one wins."""
        if await self._cases.claim(case_id, staff.id, self._now()):
            await self._audit.add("take", staff_id=staff.id, case_id=case_id)
            await self._session.commit()
            return Decision(await self._cases.get(case_id))
        await self._session.commit()  # ends the transaction; nothing changed
        case = await self._cases.get(case_id)
        if case is None:
            return Decision(None, Refusal.MISSING)
        if case.status == CaseStatus.CLOSED:
            return Decision(case, Refusal.CLOSED)
        return Decision(case, Refusal.HELD)

    def _may_manage(self, case: Case, staff: Staff) -> bool:
        return case.holder_id == staff.id or role_of(staff).can_supervise

    async def may_transfer(self, case_id: int, staff: Staff) -> Decision:
        """Whether `staff` may open a case's transfer picker: its holder, or a supervisor."""
        return await self._may_open_picker(case_id, staff, closing=False)

    async def may_close(self, case_id: int, staff: Staff) -> Decision:
        """Whether `staff` may open a case's close picker: as for a transfer, and
        anyone for a case nobody holds (spam)."""
        return await self._may_open_picker(case_id, staff, closing=True)

    async def _may_open_picker(self, case_id: int, staff: Staff, *, closing: bool) -> Decision:
        case = await self._cases.get(case_id)
        if case is None:
            return Decision(None, Refusal.MISSING)
        if case.status == CaseStatus.CLOSED:
            return Decision(case, Refusal.CLOSED)
        if not self._may_manage(case, staff) and not (closing and case.holder_id is None):
            return Decision(case, Refusal.NOT_HOLDER)
        return Decision(case)

    async def may_send(self, case_id: int, staff: Staff) -> Decision:
        """Whether `staff` may send a resource card or canned reply: the holder only."""
        case = await self._cases.get(case_id)
        if case is None or case.status == CaseStatus.CLOSED:
            return Decision(case, Refusal.CLOSED)
        refusal = self.may_reply(case, staff)
        return Decision(case, refusal)

    @staticmethod
    def may_reply(case: Case, staff: Staff) -> Refusal | None:
        """Whether the message of `staff` in the case's topic reaches the citizen:
        only the holder's, and never in a closed case."""
        if case.status == CaseStatus.CLOSED:
            return Refusal.CLOSED
        if case.holder_id != staff.id:
            return Refusal.NOT_HOLDER
        return None

    async def transfer_targets(self, case: Case) -> list[Staff]:
        """Whom the transfer picker offers: the active staff of the case's desk but the holder."""
        members = [m for m in await self._staff.active() if m.id != case.holder_id]
        desks = await self._staff.desks_by_staff([m.id for m in members])
        return [m for m in members if works_at(desks.get(m.id, frozenset()), case.desk_id)]

    async def transfer_target(self, staff_id: int) -> Target:
        """Who may be handed a case: an active staff member; 0 is nobody, the case
        goes back to the queue."""
        if not staff_id:
            return Target(None)
        staff = await self._staff.get(staff_id)
        if staff is None or not staff.active:
            return Target(None, Refusal.BAD_TARGET)
        return Target(staff)

    def _transfer_refusal(self, case: Case, actor: Staff, target: Staff | None) -> Refusal | None:
        """Why `actor` may not hand `case` to `target` (None: the queue), or None."""
        if case.status == CaseStatus.CLOSED:
            return Refusal.CLOSED
        if not self._may_manage(case, actor):
            # A waiting case may be given to someone by a supervisor only.
            return Refusal.NOT_HOLDER
        if target is not None and not target.active:
            return Refusal.BAD_TARGET
        new_holder = target.id if target is not None else None
        if new_holder == case.holder_id:
            return Refusal.SAME if new_holder else Refusal.NOT_HELD
        return None

    async def transfer(self, case_id: int, actor: Staff, target: Staff | None) -> Decision:
        """Hand a case to another counselor, or back to the queue (`target` None)."""
        case = await self._cases.get(case_id)
        if case is None:
            return Decision(None, Refusal.MISSING)
        refusal = self._transfer_refusal(case, actor, target)
        if (
            refusal is None
            and target is not None
            and not works_at(await self._staff.desks_of(target.id), case.desk_id)
        ):
            refusal = Refusal.BAD_TARGET  # they could not even open the case's topic
        if refusal is not None:
            return Decision(case, refusal)
        new_holder = target.id if target is not None else None
        previous = case.holder_id
        if not await self._cases.reassign(case.id, previous, new_holder, self._now()):
            await self._session.commit()  # ends the transaction; nothing changed
            return Decision(await self._cases.get(case_id), Refusal.HELD)
        action = "transfer" if target is not None else "release"
        detail = str(target.id) if target is not None else None
        await self._audit.add(action, staff_id=actor.id, case_id=case.id, detail=detail)
        await self._session.commit()
        return Decision(await self._cases.get(case_id), previous_holder=previous)

    async def close(self, case_id: int, actor: Staff | None, outcome: CaseOutcome) -> Decision:
        """Close an open case. `actor` None: the bot itself (no response)."""
        case = await self._cases.get(case_id)
        if case is None:
            return Decision(None, Refusal.MISSING)
        if case.status == CaseStatus.CLOSED:
            return Decision(case, Refusal.CLOSED)
        if actor is not None and case.holder_id is not None and not self._may_manage(case, actor):
            return Decision(case, Refusal.NOT_HOLDER)
        if not await self._cases.close(case.id, outcome.value, self._now()):
            await self._session.commit()  # ends the transaction; nothing changed
            return Decision(await self._cases.get(case_id), Refusal.CLOSED)
        action = "close" if actor is not None else "auto_close"
        await self._audit.add(
            action, staff_id=actor.id if actor else None, case_id=case.id, detail=outcome.value
        )
        await self._session.commit()
        return Decision(await self._cases.get(case_id), previous_holder=case.holder_id)

    # --- background jobs ---------------------------------------------------------

    async def due_announcements(self, after: Mapping[Priority, timedelta]) -> list[Case]:
        """Waiting cases whose time to be announced (again) has come."""
        now = self._now()
        due = []
        for case in await self._cases.waiting():
            since = case.announced_at or case.opened_at
            if now - since >= after[Priority(case.priority)]:
                due.append(case)
        return due

    async def mark_announced(self, cases: Sequence[Case]) -> None:
        await self._cases.mark_announced([case.id for case in cases], self._now())
        await self._session.commit()

    async def due_reminders(self, silence: timedelta) -> list[Case]:
        """Held cases where the citizen has not answered the counselor for `silence`."""
        now = self._now()
        return [
            case
            for case in await self._cases.open_cases()
            if self._citizens_turn(case)
            and case.reminded_at is None
            and case.last_staff_at is not None
            and now - case.last_staff_at >= silence
        ]

    async def due_closing(self, silence: timedelta) -> list[Case]:
        """Held cases still silent `silence` after the reminder."""
        now = self._now()
        return [
            case
            for case in await self._cases.open_cases()
            if self._citizens_turn(case)
            and case.reminded_at is not None
            and now - case.reminded_at >= silence
        ]

    @staticmethod
    def _citizens_turn(case: Case) -> bool:
        return (
            case.status == CaseStatus.ACTIVE
            and case.last_staff_at is not None
            and case.last_staff_at > case.last_citizen_at
        )

    async def mark_reminded(self, case: Case) -> None:
        now = self._now()
        await self._cases.touch(case.id, reminded_at=now)
        await self._audit.add("remind", staff_id=None, case_id=case.id)
        await self._session.commit()
        case.reminded_at = now
