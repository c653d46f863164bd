"""The buttons of a case: Take, Transfer, Close (on the card and the pickers),
and one-tap resource cards and canned replies for the citizen."""

from __future__ import annotations

import contextlib
from html import escape

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import Case, Staff
from bot.desk import CaseDesk
from bot.domain import STAFF_OUTCOMES, CaseOutcome, Refusal
from bot.handlers.registry import Handlers
from bot.services.cases import CaseService, Decision
from bot.services.staff import CannedReplies, StaffService
from bot.telegram import text_limits
from bot.ui import citizen_texts, keyboards, shared_texts, staff_texts
from bot.ui.callbacks import CaseAction, CaseClose, CaseSend, CaseTransfer

router = Handlers(name="staff_cases")


async def _refusal(session: AsyncSession, decision: Decision) -> str:
    holder = None
    case = decision.case
    if decision.refusal is Refusal.HELD and case is not None and case.holder_id is not None:
        staff = await StaffService(session).get(case.holder_id)
        holder = staff.display_name if staff is not None else None
    return staff_texts.refusal_text(decision.refusal or Refusal.MISSING, holder)


async def _drop_picker(query: CallbackQuery) -> None:
    if query.message is not None:
        with contextlib.suppress(TelegramBadRequest):
            await query.bot.delete_message(  # type: ignore[union-attr]
                chat_id=query.message.chat.id, message_id=query.message.message_id
            )


@router.callback_query(CaseAction.filter(F.action == "take"))
async def take(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: CaseAction,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
) -> None:
    decision = await CaseService(session).take(callback_data.case, staff)
    if not decision.ok or decision.case is None:
        await query.answer(await _refusal(session, decision), show_alert=True)
        return
    await query.answer(staff_texts.take_done())
    await desk.after_take(bot, session, decision.case, staff)


@router.callback_query(CaseAction.filter(F.action == "transfer"))
async def transfer_picker(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: CaseAction,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
) -> None:
    service = CaseService(session)
    decision = await service.may_transfer(callback_data.case, staff)
    case = decision.case
    if not decision.ok or case is None:
        await query.answer(await _refusal(session, decision), show_alert=True)
        return
    others = [(member.id, member.display_name) for member in await service.transfer_targets(case)]
    await query.answer()
    await desk.messages.post(
        bot,
        case,
        staff_texts.transfer_prompt(case.id),
        keyboards.transfer_keyboard(case.id, others),
    )


@router.callback_query(CaseTransfer.filter())
async def transfer(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: CaseTransfer,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
) -> None:
    service = CaseService(session)
    target = await service.transfer_target(callback_data.to)
    if target.refusal is not None:
        await query.answer(staff_texts.refusal_text(target.refusal), show_alert=True)
        return
    decision = await service.transfer(callback_data.case, staff, target.staff)
    if not decision.ok or decision.case is None:
        await query.answer(await _refusal(session, decision), show_alert=True)
        return
    await query.answer(staff_texts.picker_done())
    await _drop_picker(query)
    await desk.after_transfer(bot, session, decision.case, staff, target.staff)


@router.callback_query(CaseAction.filter(F.action == "close"))
async def close_picker(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: CaseAction,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
) -> None:
    decision = await CaseService(session).may_close(callback_data.case, staff)
    case = decision.case
    if not decision.ok or case is None:
        await query.answer(await _refusal(session, decision), show_alert=True)
        return
    await query.answer()
    await desk.messages.post(
        bot, case, staff_texts.close_prompt(case.id), keyboards.close_keyboard(case.id)
    )


@router.callback_query(CaseClose.filter())
async def close(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: CaseClose,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
) -> None:
    outcome = next((o for o in STAFF_OUTCOMES if o.value == callback_data.outcome), None)
    if outcome is None:
        await query.answer(staff_texts.refusal_text("stale"), show_alert=True)
        return
    decision = await CaseService(session).close(callback_data.case, staff, CaseOutcome(outcome))
    if not decision.ok or decision.case is None:
        await query.answer(await _refusal(session, decision), show_alert=True)
        return
    await query.answer(staff_texts.picker_done())
    await _drop_picker(query)
    await desk.after_close(bot, session, decision.case, staff)


@router.callback_query(CaseAction.filter(F.action == "cancel"))
async def cancel(query: CallbackQuery) -> None:
    await query.answer()
    await _drop_picker(query)


def _render(
    case: Case, kind: str, key: str, content: ContentLibrary, canned: CannedReplies
) -> list[str]:
    """What one tap sends, in the citizen's language (HTML pieces within the limit)."""
    lang = case.lang
    if kind == "r":
        if key == "sos":
            return [citizen_texts.emergency_block(content, lang)]
        if key == "region":
            region = content.resources.regions.get(case.region or "")
            return [shared_texts.region_block(region, lang, counselors=True)] if region else []
        resource = content.resources.national.get(key)
        return [staff_texts.resource_card(resource, lang)] if resource else []
    if kind == "c":
        reply = canned.get(key)
        text = reply.text.get(lang) if reply else None
        return text_limits.message_parts(escape(text)) if text else []
    return []


@router.callback_query(CaseSend.filter())
async def send_to_citizen(  # noqa: PLR0913 - aiogram injects each dependency by name
    query: CallbackQuery,
    callback_data: CaseSend,
    staff: Staff,
    session: AsyncSession,
    desk: CaseDesk,
    bot: Bot,
    content: ContentLibrary,
    canned: CannedReplies,
) -> None:
    service = CaseService(session)
    decision = await service.may_send(callback_data.case, staff)
    case = decision.case
    if decision.refusal is Refusal.NOT_HOLDER:
        await query.answer(staff_texts.not_sent(None), show_alert=True)
        return
    if not decision.ok or case is None:
        await query.answer(staff_texts.refusal_text(Refusal.CLOSED), show_alert=True)
        return
    with desk.messages.citizen_voice(case):
        pieces = _render(case, callback_data.kind, callback_data.key, content, canned)
    if not pieces:
        await query.answer(staff_texts.refusal_text("stale"), show_alert=True)
        return
    delivered = [await desk.messages.tell(bot, case, piece) for piece in pieces]
    if not all(delivered):
        await query.answer(staff_texts.not_delivered(blocked=False), show_alert=True)
        return
    await query.answer(staff_texts.picker_done())
    await service.sent_content(case, staff, f"{callback_data.kind}:{callback_data.key}")
    record = staff_texts.sent_to_citizen() + "\n\n" + "\n\n".join(pieces)
    for chunk in text_limits.message_parts(record):
        await desk.messages.post(bot, case, chunk)


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(staff_texts.refusal_text("stale"))
