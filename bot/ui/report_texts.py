"""The supervisors' report in words, in the locale set by the caller (/stats:
the supervisor's language; the weekly report and the command line: the
staff's). Labels are shared with the chart and the CSV files.

A hidden figure (fewer than five citizens behind it) is written "<5".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape, unescape

from aiogram.utils.i18n import gettext as _

from bot.content.library import ContentLibrary
from bot.services.report_figures import (
    HIDDEN,
    OPEN_OUTCOME,
    UNRECORDED,
    Count,
    Hidden,
    Measure,
    PriorityFigures,
    Report,
    ReportPeriod,
    Tally,
    Timing,
    Traffic,
)
from bot.ui import shared_texts, staff_texts

# --- labels (plain text; escape them for Telegram HTML) ---------------------------


def priority_label(priority: int) -> str:
    names = {0: _("urgent"), 1: _("sensitive topic"), 2: _("asked for a person")}
    return names.get(priority, str(priority))


def route_label(route: str | None) -> str:
    names = {
        "faq": _("answered from content"),
        "service": _("service messages"),
        "fallback": _("not understood"),
        "escalate": _("sensitive topics"),
        "crisis": _("crises"),
    }
    return names.get(route or "", route or "—")


def via_label(via: str) -> str:
    names = {
        "request": _("asked for a person"),
        "offer": _("accepted the offer under an answer"),
        "escalate": _("sensitive question, opened at once"),
        "crisis": _("crisis"),
        UNRECORDED: _("not recorded"),
    }
    return names.get(via, via)


def outcome_label(outcome: str) -> str:
    if outcome == OPEN_OUTCOME:
        return _("still open")
    if outcome == UNRECORDED:
        return _("not recorded")
    return unescape(staff_texts.outcome_name(outcome))


def language_label(lang: str | None) -> str:
    return shared_texts.LANGUAGE_NAMES.get(lang or "", lang or "—")


def region_label(region: str | None, content: ContentLibrary, lang: str) -> str:
    if region is None:
        return _("region not given")
    found = content.resources.regions.get(region)
    return found.name.get(lang, region) if found is not None else region


def intent_label(intent: str | None, content: ContentLibrary, lang: str) -> str:
    """The topic's name in words where the bot has one, else its id (editors know it)."""
    if not intent:
        return _("not understood")
    named = unescape(staff_texts.situation_name(intent, content, lang))
    return intent if named == _("other topic") else named


def dimension_label(dimension: str, key: str | None, content: ContentLibrary, lang: str) -> str:
    if dimension == "lang":
        return language_label(key)
    if dimension == "region":
        return region_label(key, content, lang)
    if dimension == "route":
        return route_label(key)
    return _("all")


# --- figures (Telegram HTML: "<5" is written "&lt;5") --------------------------------

HIDDEN_HTML = escape(str(HIDDEN))


def count_text(figure: Count) -> str:
    return HIDDEN_HTML if isinstance(figure, Hidden) else f"{figure}"


def share_text(figure: Measure) -> str:
    if figure is None:
        return "—"
    if isinstance(figure, Hidden):
        return HIDDEN_HTML
    return f"{figure * 100:.0f}%"


def minutes_text(figure: Measure) -> str:
    if figure is None:
        return "—"
    if isinstance(figure, Hidden):
        return HIDDEN_HTML
    if figure < 90:
        return _("{value} min").format(value=f"{figure:.0f}")
    return _("{value} h").format(value=f"{figure / 60:.1f}")


def mean_text(figure: Measure) -> str:
    if figure is None:
        return "—"
    return HIDDEN_HTML if isinstance(figure, Hidden) else f"{figure:.1f}"


def period_text(period: ReportPeriod) -> str:
    if period.start == period.end:
        return period.start.strftime("%d.%m.%Y")
    return f"{period.start:%d.%m.%Y} – {period.end:%d.%m.%Y}"


# --- the summary ---------------------------------------------------------------------


def _items(pairs: Iterable[tuple[str, str]]) -> str:
    listed = [f"{escape(name)} {value}" for name, value in pairs]
    return ", ".join(listed) if listed else "—"


def _traffic(rows: Sequence[Traffic], label: Callable[[str | None], str]) -> str:
    return _items((label(row.key), count_text(row.conversations)) for row in rows)


def _tallies(rows: Sequence[Tally], label: Callable[[str], str]) -> str:
    return _items((label(row.key), count_text(row.count)) for row in rows)


def _timing_line(title: str, timing: Timing, sla: float) -> str:
    return _("{title}: p50 {p50}, p90 {p90}, within {sla}: {share} (cases: {cases})").format(
        title=title,
        p50=minutes_text(timing.p50),
        p90=minutes_text(timing.p90),
        sla=minutes_text(sla),
        share=share_text(timing.within_sla),
        cases=count_text(timing.measured),
    )


def _priority_lines(figures: PriorityFigures) -> list[str]:
    return [
        _(
            "{priority}: opened {opened}; announced again unclaimed: {times} (cases: {cases})"
        ).format(
            priority=escape(priority_label(figures.priority)),
            opened=count_text(figures.opened),
            times=count_text(figures.reannouncements),
            cases=count_text(figures.reannounced_cases),
        ),
        "  " + _timing_line(_("time to Take"), figures.take, figures.sla_minutes),
        "  " + _timing_line(_("time to the first reply"), figures.reply, figures.sla_minutes),
    ]


def summary(report: Report, content: ContentLibrary, lang: str) -> str:
    """The report as a short Telegram HTML text, in the current locale."""
    messages = report.messages
    cases = report.cases
    votes = report.votes
    safety = report.safety
    lines = [
        _("<b>How the service did: {period}</b>").format(period=period_text(report.period)),
        "",
        _("<b>Conversations</b>: {conversations} · messages: {messages}").format(
            conversations=count_text(messages.conversations),
            messages=count_text(messages.messages),
        ),
        _("By language: {items}").format(items=_traffic(messages.by["lang"], language_label)),
        _("By region: {items}").format(
            items=_traffic(messages.by["region"], lambda r: region_label(r, content, lang))
        ),
        _("By route (messages): {items}").format(
            items=_items(
                (route_label(row.key), count_text(row.messages)) for row in messages.by["route"]
            )
        ),
        _("Top questions: {items}").format(
            items=_tallies(messages.intents, lambda i: intent_label(i, content, lang))
        ),
        _(
            "Not understood: {count} ({share}); answered while the NLU server was down: "
            "{down} ({down_share})"
        ).format(
            count=count_text(messages.fallback.count),
            share=share_text(messages.fallback.share),
            down=count_text(messages.nlu_down.count),
            down_share=share_text(messages.nlu_down.share),
        ),
        "",
        _("<b>Cases</b>: {opened} opened").format(opened=count_text(cases.opened)),
        _("How they opened: {items}").format(items=_tallies(cases.by_via, via_label)),
    ]
    for figures in cases.by_priority:
        lines.extend(_priority_lines(figures))
    lines += [
        _("Outcomes: {items}").format(items=_tallies(cases.outcomes, outcome_label)),
        _("Crises ended: {items}").format(items=_tallies(cases.crisis_outcomes, outcome_label)),
        _("Ratings: {items} (rated: {rated}, mean {mean})").format(
            items=_tallies(cases.ratings, lambda k: "⭐" * int(k)),
            rated=count_text(cases.rated),
            mean=mean_text(cases.rating_mean),
        ),
        _("Cases per counselor: {items}").format(items=_tallies(cases.per_counselor, str)),
        "",
        _("<b>Votes on answers</b>: 👍 {up} · 👎 {down}").format(
            up=count_text(votes.up), down=count_text(votes.down)
        ),
        _("Voted down most: {items}").format(
            items=_items(
                (intent_label(row.intent, content, lang), f"👎 {count_text(row.down)}")
                for row in votes.most_down
            )
        ),
        "",
        _("<b>Safety</b>: {items}").format(
            items=_items(
                (
                    intent_label(row.intent, content, lang),
                    count_text(row.messages),
                )
                for row in safety.rows
            )
        ),
        _(
            "Raised by the safety net over the NLU: {count} (while the NLU server was down: "
            "{offline})"
        ).format(count=count_text(safety.raised), offline=count_text(safety.raised_nlu_down)),
        "",
        _("<i>&lt;5: fewer than 5 people, hidden so that no one can be recognised.</i>"),
    ]
    return "\n".join(lines)


# --- around the report ----------------------------------------------------------------


def chart_caption(report: Report) -> str:
    return _("Charts: {period}").format(period=period_text(report.period))


def weekly_title() -> str:
    return _("📊 The weekly report")


def stats_usage() -> str:
    return _("Use /stats day, /stats week or /stats month.")


def stats_supervisors_only() -> str:
    return _("Reports are for supervisors and admins.")


# --- the chart's words (plain text) ------------------------------------------------------


def chart_titles() -> dict[str, str]:
    return {
        "daily": _("Conversations per day"),
        "routes": _("Messages by route"),
        "intents": _("Top questions (messages)"),
        "take": _("Time to Take, minutes"),
        "outcomes": _("How cases ended"),
        "votes": _("Votes on answers"),
        "title": _("How the service did: {period}"),
        "hidden": _("<5: fewer than 5 people, hidden"),
        "nothing": _("nothing in this period"),
        "helpful": _("helpful"),
        "unhelpful": _("not helpful"),
    }
