"""The report as files for editors and the department's own reporting: CSV
tables (UTF-8 with a BOM, so that spreadsheet programs read Cyrillic) and the
chart. Column names are stable identifiers; the `label` columns are in the
current locale. A hidden figure is written "<5", a missing one left empty.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.content.library import ContentLibrary
from bot.services.report_figures import Count, Hidden, Measure, Report, Tally
from bot.ui import report_texts as words
from bot.ui.report_chart import render_chart

CHART_NAME = "report.png"


def cell(figure: Count | Measure | str | None, digits: int = 1) -> str:
    if figure is None:
        return ""
    if isinstance(figure, Hidden):
        return str(figure)
    if isinstance(figure, float):
        return f"{figure:.{digits}f}"
    return str(figure)


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tables(report: Report, content: ContentLibrary, lang: str) -> dict[str, list[list[str]]]:
    """Each CSV file's rows (the header first), by file name."""
    messages, cases, votes, safety = report.messages, report.cases, report.votes, report.safety
    summary = [
        ["figure", "value"],
        ["period_start", report.period.start.isoformat()],
        ["period_end", report.period.end.isoformat()],
        ["conversations", cell(messages.conversations)],
        ["messages", cell(messages.messages)],
        ["fallback_messages", cell(messages.fallback.count)],
        ["fallback_share", cell(messages.fallback.share, 4)],
        ["nlu_down_messages", cell(messages.nlu_down.count)],
        ["nlu_down_share", cell(messages.nlu_down.share, 4)],
        ["cases_opened", cell(cases.opened)],
        ["cases_rated", cell(cases.rated)],
        ["rating_mean", cell(cases.rating_mean, 2)],
        ["votes_helpful", cell(votes.up)],
        ["votes_not_helpful", cell(votes.down)],
        ["safety_net_raised", cell(safety.raised)],
        ["safety_net_raised_nlu_down", cell(safety.raised_nlu_down)],
    ]
    daily = [["day", "dimension", "key", "label", "conversations", "messages"]] + [
        [
            row.day.isoformat(),
            row.dimension,
            row.key or "",
            words.dimension_label(row.dimension, row.key, content, lang),
            cell(row.conversations),
            cell(row.messages),
        ]
        for row in messages.daily
    ]
    by = [["dimension", "key", "label", "conversations", "messages"]] + [
        [
            dimension,
            row.key or "",
            words.dimension_label(dimension, row.key, content, lang),
            cell(row.conversations),
            cell(row.messages),
        ]
        for dimension, rows in messages.by.items()
        for row in rows
    ]
    intents = [["intent", "label", "messages"]] + [
        [row.key, words.intent_label(row.key, content, lang), cell(row.count)]
        for row in messages.intents
    ]
    priorities = [
        [
            "priority",
            "label",
            "sla_minutes",
            "opened",
            "taken",
            "take_p50_minutes",
            "take_p90_minutes",
            "take_within_sla",
            "replied",
            "reply_p50_minutes",
            "reply_p90_minutes",
            "reply_within_sla",
            "reannouncements",
            "reannounced_cases",
        ]
    ] + [
        [
            str(p.priority),
            words.priority_label(p.priority),
            cell(p.sla_minutes),
            cell(p.opened),
            cell(p.take.measured),
            cell(p.take.p50),
            cell(p.take.p90),
            cell(p.take.within_sla, 4),
            cell(p.reply.measured),
            cell(p.reply.p50),
            cell(p.reply.p90),
            cell(p.reply.within_sla, 4),
            cell(p.reannouncements),
            cell(p.reannounced_cases),
        ]
        for p in cases.by_priority
    ]

    def tally(table: str, rows: Sequence[Tally], label: Callable[[str], str]) -> list[list[str]]:
        return [[table, row.key, label(row.key), cell(row.count)] for row in rows]

    case_tallies = [
        ["table", "key", "label", "cases"],
        *tally("opened_via", cases.by_via, words.via_label),
        *tally("outcome", cases.outcomes, words.outcome_label),
        *tally("crisis_outcome", cases.crisis_outcomes, words.outcome_label),
        *tally("rating", cases.ratings, str),
        *tally("counselor", cases.per_counselor, str),
    ]
    vote_rows = [["intent", "label", "helpful", "not_helpful"]] + [
        [row.intent, words.intent_label(row.intent, content, lang), cell(row.up), cell(row.down)]
        for row in votes.by_intent
    ]
    safety_rows = [["route", "intent", "label", "messages", "raised_by_safety_net"]] + [
        [
            row.route,
            row.intent or "",
            words.intent_label(row.intent, content, lang),
            cell(row.messages),
            cell(row.raised),
        ]
        for row in safety.rows
    ]
    return {
        "summary.csv": summary,
        "messages_daily.csv": daily,
        "messages_by.csv": by,
        "intents.csv": intents,
        "cases_by_priority.csv": priorities,
        "cases.csv": case_tallies,
        "votes.csv": vote_rows,
        "safety.csv": safety_rows,
    }


def write_report(report: Report, content: ContentLibrary, lang: str, out: Path) -> list[Path]:
    """Write the CSV files and the chart into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = [
        _write(out / name, rows[0], rows[1:])
        for name, rows in tables(report, content, lang).items()
    ]
    chart = out / CHART_NAME
    chart.write_bytes(render_chart(report, content, lang))
    return [*written, chart]
