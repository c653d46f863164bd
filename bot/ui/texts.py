"""Interface texts and keyboards, in the locale set by the i18n middleware.

Curated answers come from domain.yml as editors wrote them (Telegram HTML);
everything else the bot says is an interface string here, translated through
Babel catalogs. Citizens' own text is never echoed back.
"""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.content.answers import Answer
from bot.content.library import ContentLibrary
from bot.content.resources import Office, Region, Resource
from bot.ui.callbacks import (
    ForgetConfirm,
    LanguageChoice,
    MenuOpen,
    RegionChoice,
    TalkToPerson,
    Topic,
    Vote,
)

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}
TELEGRAM_LIMIT = 4096


def language_prompt() -> str:
    """The first question, asked in both languages at once."""
    i18n = get_i18n()
    return " / ".join(i18n.gettext("Choose a language", locale=code) for code in LANGUAGE_NAMES)


def language_keyboard(*, switch: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=LanguageChoice(code=code, switch=switch))
    return builder.as_markup()


def privacy_notice(days: int) -> str:
    return _(
        "<b>About your privacy</b>\n"
        "• The bot keeps only your language, your region (if you tell it) and the time "
        "you agreed to this notice. For each question it keeps the topic it recognised; "
        "the text itself only when the bot did not understand it, so that editors can "
        "improve the answers. This is deleted after {days} days.\n"
        "• Counselors never see your name, username or Telegram account, only a case number.\n"
        "• Kenes is a help and referral service, not a reporting channel.\n"
        "• /forget deletes everything the bot keeps about you."
    ).format(days=days)


def welcome() -> str:
    return _(
        "I am Kenes, the help desk of the Religious Affairs advisory center. Ask your "
        "question in your own words, in Kazakh or Russian, or choose a topic in the menu. "
        "If you need a person, a theologian or a psychologist will talk with you here."
    )


def help_text() -> str:
    return _(
        "<b>What I can do</b>\n"
        "Write your question in your own words, or use the commands:\n"
        "/menu — topics and questions\n"
        "/resources — official contacts for your region\n"
        "/language — change the language\n"
        "/privacy — what the bot keeps about you\n"
        "/forget — delete your data\n\n"
        "In danger? Call 112 at once."
    )


def main_menu_keyboard(content: ContentLibrary, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in content.menu.categories:
        builder.button(
            text=category.title.get(lang, category.id), callback_data=MenuOpen(category=category.id)
        )
    builder.button(text=_("💬 Talk to a person"), callback_data=TalkToPerson())
    builder.adjust(1)
    return builder.as_markup()


def category_keyboard(content: ContentLibrary, category_id: str, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    category = content.menu.category(category_id)
    for question in category.questions if category else ():
        builder.button(
            text=question.label.get(lang, question.intent),
            callback_data=Topic(intent=question.intent),
        )
    builder.button(text=_("« Back"), callback_data=MenuOpen())
    builder.adjust(1)
    return builder.as_markup()


def menu_prompt() -> str:
    return _("Choose a topic:")


def category_prompt(title: str) -> str:
    return _("{category}: choose a question.").format(category=escape(title))


def menu_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("📋 Menu"), callback_data=MenuOpen().pack())


def talk_button(intent: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("💬 Talk to a counselor"), callback_data=TalkToPerson(intent=intent).pack()
    )


def unverified_mark() -> str:
    return _("(not yet verified by an editor)")


def _resource_line(resource: Resource, lang: str) -> str:
    name = escape(resource.name.get(lang) or resource.id)
    contact = escape(resource.contact)
    line = f"• <b>{contact}</b> — {name}" if not resource.is_url else f"• {name}: {contact}"
    if not resource.verified:
        line += " " + unverified_mark()
    return line


def office_lines(office: Office, lang: str) -> list[str]:
    lines = [f"<b>{escape(office.name.get(lang, ''))}</b>"]
    known = [
        (_("Phone"), office.phone),
        (_("Address"), office.address),
        (_("Hours"), office.hours),
        (_("Website"), office.website),
    ]
    details = [f"{label}: {escape(value)}" for label, value in known if value]
    if details:
        lines.extend(details)
        if not office.verified:
            lines.append(unverified_mark())
    else:
        lines.append(
            _("Its contacts have not been confirmed by an editor yet; ask here and we will help.")
        )
    return lines


def region_block(region: Region, lang: str) -> str:
    header = f"<b>{escape(region.name.get(lang, region.id))}</b>"
    lines = [
        header,
        *office_lines(region.department, lang),
        "",
        *office_lines(region.advisory_center, lang),
    ]
    return "\n".join(lines)


def answer_text(answer: Answer, content: ContentLibrary, region: Region | None) -> str:
    parts = [answer.text]
    phones = [
        content.resources.national[r] for r in answer.resources if r in content.resources.national
    ]
    if phones:
        parts.append("\n".join(_resource_line(r, answer.lang) for r in phones))
    if region is not None:
        parts.append(region_block(region, answer.lang))
    parts.append(_("<i>Was this helpful?</i>"))
    return fit("\n\n".join(parts))


def answer_keyboard(
    answer: Answer,
    content: ContentLibrary,
    region: Region | None,
    log_id: int | None,
    *,
    offer_person: bool,
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if offer_person:
        rows.append([talk_button(answer.intent)])
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


def emergency_block(content: ContentLibrary, lang: str) -> str:
    lines = [_("<b>If you or someone else is in danger right now, call:</b>")]
    for number in content.resources.emergency_numbers:
        lines.append(f"📞 <b>{escape(number.number)}</b> — {escape(number.label.get(lang, ''))}")
    return "\n".join(lines)


def fallback_text(*, nlu_available: bool) -> str:
    if not nlu_available:
        return degraded_text()
    return _(
        "I'm not sure I understood. Here are the closest topics; you can also rephrase "
        "your question or talk to a person."
    )


def degraded_text() -> str:
    return _(
        "Free-text answers are limited right now. Please choose a topic in the menu, "
        "or talk to a person. In danger, call 112."
    )


def fallback_keyboard(
    content: ContentLibrary, suggestions: tuple[str, ...], lang: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for intent in suggestions:
        label = content.menu.label(intent, lang) or intent.replace("_", " ")
        builder.button(text=label, callback_data=Topic(intent=intent))
    builder.button(text=_("💬 Talk to a person"), callback_data=TalkToPerson())
    builder.button(text=_("📋 Menu"), callback_data=MenuOpen())
    builder.adjust(1)
    return builder.as_markup()


def person_unavailable(region: Region | None, lang: str) -> str:
    """Until counselors work from the staff group, say honestly where people are."""
    if region is not None:
        center = escape(region.advisory_center.name.get(lang, ""))
        text = _(
            "Counselors cannot reply in this chat yet. The advisory center gives free, "
            "confidential consultations with theologians and psychologists: {center}."
        ).format(center=center)
    else:
        text = _(
            "Counselors cannot reply in this chat yet. The advisory center of your region's "
            "Religious Affairs Department gives free, confidential consultations with "
            "theologians and psychologists; /resources shows its contacts."
        )
    return text


def region_prompt() -> str:
    return _("Which region are you in? I will show the offices there.")


def region_keyboard(content: ContentLibrary, lang: str, intent: str = "") -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for region in content.resources.regions.values():
        builder.button(
            text=region.name.get(lang, region.id),
            callback_data=RegionChoice(region=region.id, intent=intent),
        )
    builder.adjust(2)
    return builder.as_markup()


def resources_text(content: ContentLibrary, region: Region, lang: str) -> str:
    national = [_resource_line(r, lang) for r in content.resources.national.values()]
    parts = [
        region_block(region, lang),
        _("<b>National resources</b>") + "\n" + "\n".join(national),
        _("To change the region, use /resources again and choose another one."),
    ]
    return fit("\n\n".join(parts))


def forget_prompt() -> str:
    return _(
        "This deletes everything the bot keeps about you: language, region, the log of "
        "your questions and your votes. Delete it?"
    )


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


def fit(text: str) -> str:
    """Keep a message within Telegram's limit (answers are checked to be far shorter)."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    # Cut at a paragraph: paragraphs are whole HTML fragments, so no tag is left open.
    return text[: TELEGRAM_LIMIT - 1].rsplit("\n\n", 1)[0] + "\n…"
