"""Messages in a case's topic: the holder's reach the citizen (every kind, with
edits and replies in place); `!` and /note stay internal; /resources and
/canned offer one-tap cards for the citizen."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.enums import ContentType
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import Case, Staff
from bot.desk import CaseDesk
from bot.domain import Refusal
from bot.handlers.registry import Handlers
from bot.handlers.staff.filters import InCaseTopic
from bot.services.cases import CaseService
from bot.services.staff import CannedReplies, StaffService
from bot.ui import keyboards, shared_texts, staff_texts

router = Handlers(name="staff_topic")

RELAYED_KINDS = frozenset(
    {
        ContentType.TEXT,
        ContentType.PHOTO,
        ContentType.VOICE,
        ContentType.VIDEO,
        ContentType.VIDEO_NOTE,
        ContentType.AUDIO,
        ContentType.DOCUMENT,
        ContentType.ANIMATION,
        ContentType.STICKER,
        ContentType.LOCATION,
        ContentType.VENUE,
        ContentType.CONTACT,
    }
)


@router.message(InCaseTopic(), Command("note"))
@router.message(InCaseTopic(), F.text.startswith("!") | F.caption.startswith("!"))
async def internal_note(message: Message, case: Case, staff: Staff, session: AsyncSession) -> None:
    await CaseService(session).record(staff, "note", case)


@router.message(InCaseTopic(), Command("resources"))
async def offer_resources(
    message: Message, case: Case, desk: CaseDesk, content: ContentLibrary
) -> None:
    staff_lang = desk.settings.staff_language
    await message.reply(
        staff_texts.resources_prompt(shared_texts.LANGUAGE_NAMES.get(case.lang, case.lang)),
        reply_markup=keyboards.resources_keyboard(
            case.id, content, staff_lang, region_known=case.region in content.resources.regions
        ),
    )


@router.message(InCaseTopic(), Command("canned"))
async def offer_canned(message: Message, case: Case, desk: CaseDesk, canned: CannedReplies) -> None:
    replies = [
        (reply.id, reply.title.get(desk.settings.staff_language) or reply.id)
        for reply in canned.replies
        if case.lang in reply.text
    ]
    language = shared_texts.LANGUAGE_NAMES.get(case.lang, case.lang)
    await message.reply(
        staff_texts.canned_prompt(language, empty=not replies),
        reply_markup=keyboards.canned_keyboard(case.id, replies) if replies else None,
    )


@router.message(InCaseTopic(), F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.reply(staff_texts.staff_unknown_command())


@router.message(InCaseTopic(), F.content_type.in_(RELAYED_KINDS))
async def to_citizen(  # noqa: PLR0913 - aiogram injects each dependency by name
    message: Message, case: Case, staff: Staff, session: AsyncSession, desk: CaseDesk, bot: Bot
) -> None:
    refusal = CaseService.may_reply(case, staff)
    if refusal is Refusal.CLOSED:
        # The bot closed the topic with the case; an admin writing there anyway
        # gets no reply (a closed topic refuses it), and nothing is relayed.
        return
    if refusal is not None:
        holder = await StaffService(session).get(case.holder_id) if case.holder_id else None
        await message.reply(staff_texts.not_sent(holder.display_name if holder else None))
        return
    await desk.relay.copy_out(bot, session, case, staff, message)


@router.edited_message(InCaseTopic())
async def edited_for_citizen(  # noqa: PLR0913 - aiogram injects each dependency by name
    message: Message, case: Case, staff: Staff, session: AsyncSession, desk: CaseDesk, bot: Bot
) -> None:
    if CaseService.may_reply(case, staff) is None:
        await desk.relay.edit_out(bot, session, case, message)


@router.message(Command("resources", "canned", "note"))
async def outside_a_case(message: Message) -> None:
    await message.reply(staff_texts.not_a_case_topic())


@router.message(F.text.startswith("/"))
async def unknown_elsewhere(message: Message) -> None:
    await message.reply(staff_texts.staff_unknown_command())
