"""Commands anywhere in the staff group: /queue, /mycases, and /staff for admins
(the same as `python -m bot staff`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff
from bot.db.repositories.cases import DeskScope
from bot.desk import CaseDesk
from bot.domain import CaseStatus
from bot.handlers.registry import Handlers
from bot.handlers.staff.filters import ManagesStaff, Supervises
from bot.services.cases import CaseService
from bot.services.staff import StaffError, StaffService
from bot.telegram import text_limits
from bot.ui import staff_texts

router = Handlers(name="staff_commands")


async def _reply(message: Message, text: str) -> None:
    for chunk in text_limits.message_parts(text):
        await message.reply(chunk)


async def _scope(session: AsyncSession, desk: CaseDesk, staff: Staff) -> DeskScope | None:
    """The cases of the member's desks (None: every case, as with a single desk)."""
    directory = desk.directory
    if not directory.several:
        return None
    theirs = directory.members_desks(await StaffService(session).desks_of(staff))
    return directory.scope_of(theirs)


@router.message(Command("queue"), Supervises())
async def queue_for_supervisors(
    message: Message, staff: Staff, session: AsyncSession, desk: CaseDesk
) -> None:
    """Waiting cases of the supervisor's desks, most urgent first, and every held
    case of those desks with its holder."""
    service = CaseService(session)
    scope = await _scope(session, desk, staff)
    waiting = [desk.announcements.case_line(case) for case in await service.queue(scope)]
    active = [c for c in await service.open_cases(scope) if c.status == CaseStatus.ACTIVE]
    names = await StaffService(session).by_ids([c.holder_id for c in active if c.holder_id])
    held = [
        desk.announcements.case_line(
            case,
            holder=names[case.holder_id].display_name if case.holder_id in names else None,
        )
        for case in active
    ]
    await _reply(message, staff_texts.queue_text(waiting, held))


@router.message(Command("queue"))
async def queue(message: Message, staff: Staff, session: AsyncSession, desk: CaseDesk) -> None:
    """Waiting cases of the member's desks, most urgent first."""
    scope = await _scope(session, desk, staff)
    waiting = [desk.announcements.case_line(c) for c in await CaseService(session).queue(scope)]
    await _reply(message, staff_texts.queue_text(waiting, None))


@router.message(Command("mycases"))
async def my_cases(message: Message, staff: Staff, session: AsyncSession, desk: CaseDesk) -> None:
    cases = await CaseService(session).held_by(staff)
    await _reply(
        message, staff_texts.my_cases_text([desk.announcements.case_line(case) for case in cases])
    )


def _target(message: Message, args: list[str]) -> tuple[int | None, list[str]]:
    """The Telegram id from the arguments, or from the message replied to."""
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and not replied.from_user.is_bot
        and replied.message_id != message.message_thread_id
    ):
        return replied.from_user.id, args
    if args and args[0].lstrip("-").isdigit():
        return int(args[0]), args[1:]
    return None, args


@router.message(Command("staff"), ManagesStaff())
async def manage_staff(  # noqa: PLR0913 - aiogram injects each dependency by name
    message: Message,
    command: CommandObject,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
) -> None:
    args = (command.args or "").split()
    action, rest = (args[0].lower(), args[1:]) if args else ("", [])
    service = StaffService(session)
    if action == "list":
        members = [(s.display_name, s.role, s.telegram_id) for s in await service.active()]
        await _reply(message, staff_texts.staff_list(members))
        return
    telegram_id, rest = _target(message, rest)
    if action not in ("add", "remove") or telegram_id is None:
        await message.reply(staff_texts.staff_usage())
        return
    try:
        if action == "add":
            if len(rest) < 2:
                await message.reply(staff_texts.staff_usage())
                return
            added = await service.add(telegram_id, rest[0].lower(), " ".join(rest[1:]), actor=staff)
            await message.reply(staff_texts.staff_added(added.display_name, added.role))
            return
        removal = await service.remove(telegram_id, actor=staff)
    except StaffError as error:
        await message.reply(staff_texts.staff_error(error.code))
        return
    if removal is None:
        await message.reply(staff_texts.staff_not_found())
        return
    await message.reply(
        staff_texts.staff_removed(removal.staff.display_name, len(removal.released_case_ids))
    )
    cases = CaseService(session)
    for case_id in removal.released_case_ids:
        case = await cases.get(case_id)
        if case is not None:
            await desk.after_transfer(bot, session, case, staff, None)


@router.message(Command("staff"))
async def manage_staff_refused(message: Message) -> None:
    await message.reply(staff_texts.staff_admins_only())
