"""Inline keyboards and buttons, for citizens and for the staff group, in the locale
set by the i18n middleware. Their callback data is in bot/ui/callbacks.py."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.content.answers import Answer
from bot.content.library import ContentLibrary
from bot.content.resources import Region
from bot.content.schema import EMERGENCY_NUMBERS
from bot.db.models import Case
from bot.domain import STAFF_OUTCOMES, CaseStatus
from bot.ui.callbacks import (
    AcceptNotice,
    CaseAction,
    CaseClose,
    CaseRating,
    CaseSend,
    CaseTransfer,
    Emergency,
    ForgetConfirm,
    LanguageChoice,
    MenuOpen,
    RegionChoice,
    TalkToPerson,
    Topic,
    Vote,
)
from bot.ui.shared_texts import LANGUAGE_NAMES, contacts_missing
from bot.ui.staff_texts import outcome_name


def language_keyboard(*, switch: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=LanguageChoice(code=code, switch=switch))
    return builder.as_markup()


def notice_keyboard() -> InlineKeyboardMarkup:
    """Under the privacy notice until the citizen accepts it."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("✅ I understand"), callback_data=AcceptNotice().pack())]
        ]
    )


def main_menu_keyboard(content: ContentLibrary, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in content.menu.categories:
        builder.button(
            text=category.title.get(lang, category.id), callback_data=MenuOpen(category=category.id)
        )
    builder.adjust(1)
    builder.row(talk_button())
    return builder.as_markup()


def category_keyboard(content: ContentLibrary, category_id: str, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    category = content.menu.category(category_id)
    for question in category.questions if category else ():
        if question.show == EMERGENCY_NUMBERS:
            builder.button(text=question.label.get(lang, question.show), callback_data=Emergency())
            continue
        builder.button(
            text=question.label.get(lang, question.intent),
            callback_data=Topic(intent=question.intent),
        )
    builder.button(text=_("« Back"), callback_data=MenuOpen())
    builder.adjust(1)
    return builder.as_markup()


def menu_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("📋 Menu"), callback_data=MenuOpen().pack())


def talk_button(intent: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("💬 Talk to a specialist"), callback_data=TalkToPerson(intent=intent).pack()
    )


def answer_keyboard(
    answer: Answer,
    content: ContentLibrary,
    region: Region | None,
    log_id: int | None,
    *,
    counselors: bool,
) -> InlineKeyboardMarkup:
    """Under an faq or service answer: its links, a specialist where the answer offers
    one or the region has no contacts (only when `counselors` work from a staff
    group), the vote and the menu.

    Crisis and escalate replies never get this keyboard (`person_keyboard`).
    """
    rows: list[list[InlineKeyboardButton]] = []
    for resource_id in answer.resources:
        resource = content.resources.national.get(resource_id)
        if resource is not None and resource.is_url:
            rows.append(
                [
                    InlineKeyboardButton(
                        text=resource.name.get(answer.lang) or resource.contact,
                        url=resource.contact,
                    )
                ]
            )
    if region is not None:
        for office in (region.department, region.advisory_center):
            if office.website and office.website.startswith("https://"):
                rows.append(
                    [
                        InlineKeyboardButton(
                            text=office.name.get(answer.lang, "🌐"), url=office.website
                        )
                    ]
                )
    offers = answer.specialist or (region is not None and contacts_missing(region))
    if offers and counselors:
        rows.append([talk_button(answer.intent)])
    if log_id is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text="👍", callback_data=Vote(log=log_id, helpful=True).pack()
                ),
                InlineKeyboardButton(
                    text="👎", callback_data=Vote(log=log_id, helpful=False).pack()
                ),
            ]
        )
    rows.append([menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def person_keyboard(intent: str = "") -> InlineKeyboardMarkup:
    """Under an escalate reply: one tap to a counselor, nothing else."""
    return InlineKeyboardMarkup(inline_keyboard=[[talk_button(intent)]])


def fallback_keyboard(
    content: ContentLibrary, suggestions: tuple[str, ...], lang: str, *, counselors: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for intent in suggestions:
        label = content.menu.label(intent, lang) or intent.replace("_", " ")
        builder.button(text=label, callback_data=Topic(intent=intent))
    builder.adjust(1)
    if counselors:
        builder.row(talk_button())
    builder.row(menu_button())
    return builder.as_markup()


def region_keyboard(content: ContentLibrary, lang: str, intent: str = "") -> InlineKeyboardMarkup:
    """The regions, their full names; two in a row only when both fit a phone
    screen 360 pixels wide (about 24 characters together), otherwise one."""
    rows: list[list[InlineKeyboardButton]] = []
    for region in content.resources.regions.values():
        button = InlineKeyboardButton(
            text=region.name.get(lang, region.id),
            callback_data=RegionChoice(region=region.id, intent=intent).pack(),
        )
        last = rows[-1] if rows else None
        if last is not None and len(last) == 1 and len(last[0].text) + len(button.text) <= 24:
            last.append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def forget_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, delete"), callback_data=ForgetConfirm(confirmed=True))
    builder.button(text=_("Cancel"), callback_data=ForgetConfirm(confirmed=False))
    return builder.as_markup()


def switch_language_offer(target: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("You seem to write in another language. Switch the bot's language?")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=LANGUAGE_NAMES[target],
                    callback_data=LanguageChoice(code=target, switch=True).pack(),
                )
            ]
        ]
    )
    return text, markup


def rating_keyboard(case_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    # Five short buttons in one row: they fit a phone 360 pixels wide.
    for score in range(1, 6):
        builder.button(text=f"{score}⭐", callback_data=CaseRating(case=case_id, score=score))
    builder.adjust(5)
    return builder.as_markup()


def case_card_keyboard(case: Case) -> InlineKeyboardMarkup | None:
    if case.status == CaseStatus.CLOSED:
        return None
    builder = InlineKeyboardBuilder()
    if case.status == CaseStatus.WAITING:
        builder.button(text=_("✋ Take"), callback_data=CaseAction(action="take", case=case.id))
    builder.button(text=_("↪️ Transfer"), callback_data=CaseAction(action="transfer", case=case.id))
    builder.button(text=_("✅ Close"), callback_data=CaseAction(action="close", case=case.id))
    return builder.as_markup()


def transfer_keyboard(case_id: int, staff: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for staff_id, name in staff:
        builder.button(text=name, callback_data=CaseTransfer(case=case_id, to=staff_id))
    builder.button(text=_("↩️ Back to the queue"), callback_data=CaseTransfer(case=case_id, to=0))
    builder.button(text=_("Cancel"), callback_data=CaseAction(action="cancel", case=case_id))
    builder.adjust(2)
    return builder.as_markup()


def close_keyboard(case_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for outcome in STAFF_OUTCOMES:
        builder.button(
            text=outcome_name(outcome), callback_data=CaseClose(case=case_id, outcome=outcome.value)
        )
    builder.button(text=_("Cancel"), callback_data=CaseAction(action="cancel", case=case_id))
    builder.adjust(1)
    return builder.as_markup()


def resources_keyboard(
    case_id: int, content: ContentLibrary, staff_lang: str, *, region_known: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📞 Emergency numbers"), callback_data=CaseSend(case=case_id, kind="r", key="sos")
    )
    if region_known:
        builder.button(
            text=_("🏢 Offices of the region"),
            callback_data=CaseSend(case=case_id, kind="r", key="region"),
        )
    for resource in content.resources.national.values():
        if len(resource.id) <= 32:
            builder.button(
                text=resource.name.get(staff_lang) or resource.id,
                callback_data=CaseSend(case=case_id, kind="r", key=resource.id),
            )
    builder.adjust(1)
    return builder.as_markup()


def canned_keyboard(case_id: int, replies: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for reply_id, title in replies:
        builder.button(text=title, callback_data=CaseSend(case=case_id, kind="c", key=reply_id))
    builder.adjust(1)
    return builder.as_markup()
