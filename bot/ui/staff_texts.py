"""What the bot says in the staff group, in the staff member's locale: case cards,
notes in a case's topic, refusals, the queue and the staff commands' replies.

Citizens' own text reaches the staff only escaped, and never their name or account:
a case is known by its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from html import escape

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.content.library import ContentLibrary
from bot.content.resources import Region, Resource
from bot.db.models import Case
from bot.domain import CaseOutcome, CaseStatus, Priority, Refusal
from bot.services.cases import case_number
from bot.telegram.text_limits import MESSAGE_LIMIT, message_parts
from bot.ui.shared_texts import LANGUAGE_NAMES, resource_line, with_note


def priority_name(priority: int) -> str:
    names = {
        Priority.URGENT: _("🔴 urgent"),
        Priority.ESCALATE: _("🟠 sensitive topic"),
        Priority.REQUEST: _("🔵 asked for a person"),
    }
    return names.get(Priority(priority), str(priority))


def outcome_name(outcome: str | None) -> str:
    names = {
        CaseOutcome.ANSWERED: _("answered"),
        CaseOutcome.IN_PERSON: _("referred in person"),
        CaseOutcome.EMERGENCY: _("referred to emergency services"),
        CaseOutcome.NO_RESPONSE: _("no response"),
        CaseOutcome.ABUSE: _("abuse"),
        CaseOutcome.WITHDRAWN: _("withdrawn by the citizen"),
    }
    try:
        return names[CaseOutcome(outcome or "")]
    except ValueError:
        return outcome or "—"


def role_name(role: str) -> str:
    names = {"counselor": _("counselor"), "supervisor": _("supervisor"), "admin": _("admin")}
    return names.get(role, role)


def duration(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)


def topic_state(state: str) -> str:
    """A topic title's state, in the staff's language (priority labels and the end)."""
    names = {
        "urgent": _("urgent"),
        "escalate": _("sensitive"),
        "request": _("asked for a person"),
        "closed": _("closed"),
        "withdrawn": _("withdrawn"),
    }
    return names.get(state, state)


def topic_name(case_id: int, lang: str, state: str) -> str:
    """The topic's title: a case number, the language and the state, never a name."""
    return f"{case_number(case_id)} · {lang} · {topic_state(state)}"


def route_name(route: str) -> str:
    names = {
        "crisis": _("crisis"),
        "escalate": _("sensitive topic"),
        "faq": _("question"),
        "service": _("conversation"),
        "fallback": _("not understood"),
    }
    return names.get(route, route)


# What a case is about, for intents no menu entry names (the crisis situations
# and the plain request for a person); other intents take their menu label.
def _situation_names() -> dict[str, str]:
    return {
        "crisis_self_harm": _("thoughts of self-harm"),
        "crisis_violence_threat": _("a threat of violence"),
        "crisis_travel_conflict_zone": _("travel to a conflict zone"),
        "crisis_abuse": _("abuse or coercion"),
        "request_human": _("asked for a person"),
    }


def situation_name(intent: str | None, content: ContentLibrary, lang: str) -> str:
    """The case's subject in words: never a raw intent id."""
    if not intent:
        return "—"
    named = _situation_names().get(intent) or content.menu.label(intent, lang)
    return escape(named) if named else _("other topic")


def case_card(  # noqa: PLR0913 - keyword-only facts shown on the card
    case: Case,
    *,
    holder: str | None,
    region: Region | None,
    subject: str,
    now: datetime,
    zone: tzinfo,
) -> str:
    """The staff's card of a case; `subject` is `situation_name` of its intent."""
    staff_lang = get_i18n().current_locale
    opened = case.opened_at if case.opened_at.tzinfo else case.opened_at.replace(tzinfo=UTC)
    lines = [
        _("<b>Case {number}</b> · {priority}").format(
            number=case_number(case.id), priority=priority_name(case.priority)
        ),
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(case.lang, case.lang)),
        _("Region: {region}").format(
            region=escape(region.name.get(staff_lang, region.id)) if region else "—"
        ),
        _("Subject: {subject} · {route}").format(subject=subject, route=route_name(case.route)),
    ]
    opened_local = opened.astimezone(zone).strftime("%d.%m %H:%M")
    if case.status == CaseStatus.WAITING:
        lines.append(
            _("Opened: {opened} · waiting {waited}").format(
                opened=opened_local, waited=duration((now - opened).total_seconds())
            )
        )
        lines.append(_("Status: waiting for a counselor"))
    elif case.status == CaseStatus.ACTIVE:
        lines.append(_("Opened: {opened}").format(opened=opened_local))
        lines.append(_("Status: held by {name}").format(name=escape(holder or "—")))
    else:
        lines.append(_("Opened: {opened}").format(opened=opened_local))
        lines.append(_("Status: closed ({outcome})").format(outcome=outcome_name(case.outcome)))
    return "\n".join(lines)


def conversation_so_far(texts: list[str]) -> list[str]:
    """The citizen's recent messages for the topic, split to Telegram's limit (HTML)."""
    header = _("<b>Conversation so far</b>")
    if not texts:
        return [header + "\n" + _("The citizen wrote nothing before asking for a person.")]
    body = "\n\n".join(f"— {escape(t)}" for t in texts)
    pieces = message_parts(body, MESSAGE_LIMIT - 64)  # room for the header
    return [header + "\n" + pieces[0], *pieces[1:]]


def case_taken_note(name: str) -> str:
    return _(
        "{name} took the case. Everything they write here reaches the citizen; a message "
        "that starts with ! or /note stays internal."
    ).format(name=escape(name))


def take_done() -> str:
    return _("The case is yours.")


def refusal_text(refusal: str, holder: str | None = None) -> str:
    texts: dict[str, str] = {
        Refusal.MISSING: _("This case no longer exists."),
        Refusal.CLOSED: _("This case is closed."),
        Refusal.HELD: _("This case is already held by {name}.").format(name=holder or "—"),
        Refusal.NOT_HOLDER: _(
            "Only the counselor holding this case, or a supervisor, can do this."
        ),
        Refusal.NOT_HELD: _("Nobody holds this case."),
        Refusal.SAME: _("This counselor already holds the case."),
        Refusal.BAD_TARGET: _("This person is no longer on the staff."),
    }
    return texts.get(refusal, _("This button is no longer active."))


def outsider_refusal() -> str:
    return _("Only the counselors of this group can do this.")


def transfer_prompt(case_id: int) -> str:
    return _("Transfer case {number} to:").format(number=case_number(case_id))


def transferred_note(actor: str, name: str | None) -> str:
    if name is None:
        return _("{actor} returned the case to the queue.").format(actor=escape(actor))
    return _("{actor} handed the case to {name}.").format(actor=escape(actor), name=escape(name))


def close_prompt(case_id: int) -> str:
    return _("Close case {number} with the outcome:").format(number=case_number(case_id))


def _case_list(case_ids: Sequence[int]) -> str:
    return ", ".join(case_number(i) for i in case_ids)


def forgotten_topics_deleted(case_ids: Sequence[int]) -> str:
    return _(
        "The citizen of {cases} deleted their data (/forget): the topics of these cases "
        "were deleted with the copies of their messages."
    ).format(cases=_case_list(case_ids))


def forgotten_topic_left() -> str:
    return _(
        "The citizen deleted their data (/forget), but the bot could not delete this topic. "
        "Delete it by hand, or give the bot the right to delete messages and manage topics."
    )


def expired_topics_deleted(case_ids: Sequence[int]) -> str:
    return _(
        "{cases}: closed longer ago than the retention limit; their topics were deleted."
    ).format(cases=_case_list(case_ids))


def expired_topic_left() -> str:
    return _(
        "This case was closed longer ago than the retention limit, but the bot could not "
        "delete its topic. Delete it by hand, or give the bot the right to manage topics."
    )


def closed_note(name: str | None, outcome: str) -> str:
    if outcome == CaseOutcome.WITHDRAWN:
        return _("The citizen withdrew: the case is closed and their data deleted.")
    if name is None:
        return _("The case closed by itself: the citizen did not reply after a reminder.")
    return _("{name} closed the case: {outcome}.").format(
        name=escape(name), outcome=outcome_name(outcome)
    )


def picker_done() -> str:
    return _("Done.")


def reminder_note() -> str:
    return _("The citizen has not replied for a while; the bot sent them a reminder.")


def crisis_note(*, raised: bool) -> str:
    if raised:
        return _(
            "⚠️ The citizen's last message looks like a crisis. They were shown the emergency "
            "numbers; the case is now urgent."
        )
    return _(
        "⚠️ The citizen's last message looks like a crisis. They were shown the emergency numbers."
    )


def priority_raised_note(priority: int) -> str:
    return _("The case was raised to: {priority}.").format(priority=priority_name(priority))


def not_delivered(*, blocked: bool) -> str:
    if blocked:
        return _("Not delivered: the citizen has blocked the bot.")
    return _("Not delivered: Telegram refused the message.")


def not_sent(holder: str | None) -> str:
    if holder is None:
        return _(
            "Not sent: take the case first. Only the counselor holding a case writes to "
            "the citizen."
        )
    return _("Not sent: this case is held by {name}.").format(name=escape(holder))


def announcement(lines: list[str], count: int) -> str:
    header = ngettext(
        "⏳ {count} case is waiting for a counselor:",
        "⏳ {count} cases are waiting for a counselor:",
        count,
    ).format(count=count)
    return "\n".join([header, *lines])


def case_line_label(case: Case, *, waited: str, holder: str | None = None) -> str:
    parts = [case_number(case.id), priority_name(case.priority), case.lang, waited]
    if holder:
        parts.append(holder)
    return " · ".join(parts)


def topic_link(chat_id: int, topic_id: int | None, label: str) -> str:
    """A link to a topic of a supergroup (t.me/c/ works for members only)."""
    internal = str(chat_id).removeprefix("-100")
    if topic_id is None or not internal.isdigit():
        return escape(label)
    return f'<a href="https://t.me/c/{internal}/{topic_id}">{escape(label)}</a>'


def queue_text(waiting: list[str], held: list[str] | None) -> str:
    parts = [_("<b>Waiting for a counselor</b>")]
    parts.append("\n".join(waiting) if waiting else _("No cases are waiting."))
    if held is not None:
        parts.append(_("<b>Held by counselors</b>"))
        parts.append("\n".join(held) if held else "—")
    return "\n\n".join(parts)


def my_cases_text(lines: list[str]) -> str:
    if not lines:
        return _("You hold no cases.")
    return _("<b>Your cases</b>") + "\n" + "\n".join(lines)


def resources_prompt(language: str) -> str:
    return _("Choose what to send to the citizen ({language}):").format(language=language)


def resource_card(resource: Resource, lang: str) -> str:
    lines = [resource_line(resource, lang)]
    description = resource.description.get(lang)
    if description:
        lines.append(escape(" ".join(description.split())))
    return "\n".join(with_note(lines))


def canned_prompt(language: str, *, empty: bool) -> str:
    if empty:
        return _("There are no canned replies yet; editors add them to content/canned.yml.")
    return _("Canned replies, sent in the citizen's language ({language}):").format(
        language=language
    )


def sent_to_citizen() -> str:
    return _("Sent to the citizen:")


def not_a_case_topic() -> str:
    return _("Use this command in the topic of a case.")


def staff_unknown_command() -> str:
    return _(
        "Unknown command. In the topic of a case: /resources, /canned, /note TEXT; "
        "anywhere: /queue, /mycases."
    )


def staff_usage() -> str:
    return _(
        "Usage:\n"
        "/staff add TELEGRAM_ID ROLE NAME\n"
        "/staff remove TELEGRAM_ID\n"
        "/staff list\n"
        "Roles: counselor, supervisor, admin. Instead of the id you may reply to a "
        "message of the person."
    )


def staff_admins_only() -> str:
    return _("Only admins can manage the staff.")


def staff_added(name: str, role: str) -> str:
    return _("{name} is now on the staff as {role}.").format(
        name=escape(name), role=role_name(role)
    )


def staff_removed(name: str, released: int) -> str:
    text = _("{name} was removed from the staff.").format(name=escape(name))
    if released:
        text += " " + ngettext(
            "{count} of their cases went back to the queue.",
            "{count} of their cases went back to the queue.",
            released,
        ).format(count=released)
    return text


def staff_not_found() -> str:
    return _("No such staff member.")


def staff_error(code: str) -> str:
    texts = {
        "role": _("Unknown role: use counselor, supervisor or admin."),
        "name": _("The display name must have 1 to 64 characters."),
        "id": _("A Telegram user id is a positive number."),
        "last_admin": _("The last admin cannot be removed."),
    }
    return texts.get(code, staff_usage())


def staff_list(members: list[tuple[str, str, int]]) -> str:
    if not members:
        return _("Nobody is on the staff yet.")
    lines = [
        f"{escape(name)} · {role_name(role)} · <code>{telegram_id}</code>"
        for name, role, telegram_id in members
    ]
    return _("<b>Staff</b>") + "\n" + "\n".join(lines)
