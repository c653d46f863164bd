"""What the bot says to citizens in their private chat, in the locale set by the
i18n middleware: the first steps, the menu's prompts, answers as sent, fallbacks,
resources, /forget, and a case seen from the citizen's side.

Curated answers come from domain.yml as editors wrote them (Telegram HTML);
everything else the bot says is an interface string here, translated through
Babel catalogs. Citizens' own text is never echoed back.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.content.answers import Answer
from bot.content.library import ContentLibrary
from bot.content.resources import Region
from bot.services.office_hours import WaitEstimate
from bot.telegram.text_limits import fit
from bot.ui.shared_texts import (
    LANGUAGE_NAMES,
    STAR,
    region_lines,
    resource_line,
    unverified_note,
)


def language_prompt() -> str:
    """The first question, asked in both languages at once."""
    i18n = get_i18n()
    return " / ".join(i18n.gettext("Choose a language", locale=code) for code in LANGUAGE_NAMES)


def privacy_notice(days: int) -> str:
    """The one privacy text: /start, /privacy and the answer to privacy questions."""
    return _(
        "<b>About your privacy</b>\n"
        "• Kenes keeps your language, your region (if you tell it) and when you accepted "
        "this notice, until you send /forget.\n"
        "• For each question it keeps the topic it recognised; the text only when it did "
        "not understand it, so that editors can improve the answers. These records and "
        "your ratings are deleted after {days} days.\n"
        "• A conversation with a counselor is kept in the counselors' staff group until "
        "you send /forget, or {days} days after it ends. Counselors see only a case "
        "number, never your name, username or Telegram account.\n"
        "• Kenes is a help and referral service, not a channel that passes information "
        "to the authorities.\n"
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
        "/forget — delete your data\n"
        "/human — talk to a counselor\n\n"
        "In danger? Call 112 at once."
    )


def menu_prompt() -> str:
    return _("Choose a topic:")


def category_prompt(title: str) -> str:
    return _("{category}: choose a question.").format(category=escape(title))


def answer_text(
    answer: Answer,
    content: ContentLibrary,
    region: Region | None,
    *,
    counselors: bool,
    feedback: bool = True,
) -> str:
    """An answer as sent: its text (offering a counselor only when `counselors` work
    from a staff group), the phone contacts it names that the text does not already
    give, the region's offices, one footnote for what is not yet confirmed, and
    (`feedback`) the vote's question. Links are buttons, not text."""
    lines: list[str] = []
    named = (content.resources.national.get(r) for r in answer.resources)
    phones = [
        r
        for r in named
        if r is not None and not r.is_url and (not r.contact or r.contact not in answer.text)
    ]
    parts = [answer.text_for(counselors=counselors)]
    if phones:
        lines = [resource_line(r, answer.lang) for r in phones]
        parts.append("\n".join(lines))
    if region is not None:
        block = region_lines(region, answer.lang, counselors=counselors)
        lines.extend(block)
        parts.append("\n".join(block))
    if any(STAR in line for line in lines):
        parts.append(unverified_note())
    if feedback:
        parts.append(_("<i>Was this helpful?</i>"))
    return fit("\n\n".join(parts))


def emergency_block(content: ContentLibrary, lang: str, situation: str | None = None) -> str:
    """The emergency numbers, in the order content/resources.yml gives this crisis."""
    lines = [_("<b>If you or someone else is in danger right now, call:</b>")]
    for number in content.resources.emergency_for(situation):
        lines.append(f"📞 <b>{escape(number.number)}</b> — {escape(number.label.get(lang, ''))}")
    return "\n".join(lines)


def fallback_text(*, nlu_available: bool, counselors: bool) -> str:
    """Not understood; a person is offered only while counselors work from a staff group."""
    if not nlu_available:
        return degraded_text(counselors=counselors)
    if not counselors:
        return _(
            "I'm not sure I understood. Here are the closest topics; you can also rephrase "
            "your question."
        )
    return _(
        "I'm not sure I understood. Here are the closest topics; you can also rephrase "
        "your question or talk to a person."
    )


def degraded_text(*, counselors: bool) -> str:
    if not counselors:
        return _(
            "Free-text answers are limited right now. Please choose a topic in the menu. "
            "In danger, call 112."
        )
    return _(
        "Free-text answers are limited right now. Please choose a topic in the menu, "
        "or talk to a person. In danger, call 112."
    )


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


def resources_text(content: ContentLibrary, region: Region, lang: str, *, counselors: bool) -> str:
    national = [resource_line(r, lang) for r in content.resources.national.values()]
    regional = region_lines(region, lang, counselors=counselors)
    parts = [
        "\n".join(regional),
        _("<b>National resources</b>") + "\n" + "\n".join(national),
    ]
    if any(STAR in line for line in [*regional, *national]):
        parts.append(unverified_note())
    parts.append(_("To change the region, use /resources again and choose another one."))
    return fit("\n\n".join(parts))


def forget_prompt() -> str:
    return _(
        "This deletes everything the bot keeps about you: language, region, the log of "
        "your questions, your votes and your conversations with counselors in the staff "
        "chat. Delete it?"
    )


# --- cases: what the citizen is told ----------------------------------------------


def _wait_phrase(minutes: int) -> str:
    if minutes < 60:
        return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)
    hours = -(-minutes // 60)
    return ngettext("{count} hour", "{count} hours", hours).format(count=hours)


def _opening_phrase(opens_at: datetime, now: datetime, lang: str) -> str:
    local_now = now.astimezone(opens_at.tzinfo)
    clock = opens_at.strftime("%H:%M")
    days = (opens_at.date() - local_now.date()).days
    if days <= 0:
        return _("today, {time}").format(time=clock)
    if days == 1:
        return _("tomorrow, {time}").format(time=clock)
    weekday = format_date(opens_at.date(), "EEEE", locale=lang)
    return _("{weekday}, {time}").format(weekday=weekday, time=clock)


def case_opened(estimate: WaitEstimate, *, urgent: bool, now: datetime, lang: str) -> str:
    """What happens next, and about how long it may take."""
    if urgent:
        parts = [
            _(
                "Your conversation has been passed to a counselor as urgent. Everything you "
                "write here now goes to them; they see only a case number, never your name "
                "or account."
            )
        ]
    else:
        parts = [
            _(
                "I have passed your conversation to a counselor: a theologian or a "
                "psychologist will answer you here. Everything you write here now goes to "
                "them; they see only a case number, never your name or account. If you can, "
                "describe briefly what troubles you: it helps the counselor."
            )
        ]
    if estimate.opens_at is None:
        parts.append(
            _("A counselor usually replies in about {wait}.").format(
                wait=_wait_phrase(estimate.minutes)
            )
        )
        if estimate.ahead:
            parts.append(
                ngettext(
                    "There is {count} conversation ahead of yours.",
                    "There are {count} conversations ahead of yours.",
                    estimate.ahead,
                ).format(count=estimate.ahead)
            )
    else:
        parts.append(
            _(
                "Counselors are not at work right now. A counselor will read your messages "
                "when work begins: {when}."
            ).format(when=_opening_phrase(estimate.opens_at, now, lang))
        )
    if urgent and estimate.opens_at is None:
        parts.append(_("If you are in danger right now, do not wait: call 112."))
    elif urgent:
        parts.append(
            _("Until then, if you are in danger, do not wait: call 112 or another number above.")
        )
    return "\n\n".join(parts)


def case_already_open(*, held: bool) -> str:
    if held:
        return _(
            "You are already talking with a counselor: everything you write here goes to them."
        )
    return _(
        "Your conversation is already waiting for a counselor: everything you write here "
        "goes to them."
    )


def counselor_joined(name: str) -> str:
    return _("{name}, a counselor, has joined the conversation. You can write here.").format(
        name=escape(name)
    )


def counselor_changed(name: str) -> str:
    return _("Your conversation has been handed over to {name}, a counselor.").format(
        name=escape(name)
    )


def counselor_left() -> str:
    return _(
        "Your counselor had to hand over the conversation; another counselor will join "
        "soon. Everything you write still reaches them."
    )


def case_closed_for_citizen(*, automatic: bool) -> str:
    if automatic:
        return _(
            "As we have not heard from you, this conversation is now closed. If you need "
            "help again, write here or use /human."
        )
    return _(
        "The counselor has closed this conversation. Thank you for writing. If you need "
        "help again, write here or use /human."
    )


def rating_prompt() -> str:
    return _("How would you rate this conversation, from 1 (poor) to 5 (excellent)?")


def stale_button() -> str:
    return _("This button is no longer active. Please open /menu.")


def rating_thanks() -> str:
    return _("Thank you for your rating!")


def citizen_reminder(minutes: int) -> str:
    return _(
        "Are you still there? The counselor is waiting for your answer. If you do not "
        "reply, the conversation will close in about {wait}."
    ).format(wait=_wait_phrase(minutes))


def relay_failed() -> str:
    return _(
        "Sorry, your message could not be passed on to the counselor. Please send it again "
        "in a minute."
    )


def case_withdrawn_for_citizen() -> str:
    return _("Your conversation with the counselor has been closed.")
