"""The report's charts: one PNG with six panels, in the current locale.

matplotlib's object API on the Agg canvas (no pyplot, no global state), so
charts can be drawn in a worker thread while the bot serves others. A hidden
figure is drawn as an empty bar labelled "<5".
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.content.library import ContentLibrary
from bot.services.report_figures import Count, Hidden, Measure, Report
from bot.ui import report_texts as words

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX, HEIGHT_PX, DPI = 1600, 1000, 100
SIZE: tuple[int, int] = (WIDTH_PX, HEIGHT_PX)
_BLUE, _ORANGE, _GREEN, _RED, _GREY = "#3b75af", "#ef8636", "#519e3e", "#c53a32", "#8d8d8d"


def _value(figure: Count | Measure) -> float:
    if figure is None or isinstance(figure, Hidden):
        return 0.0
    return float(figure)


def _label(figure: Count | Measure) -> str:
    if figure is None:
        return ""
    if isinstance(figure, Hidden):
        return str(figure)
    return f"{figure:.0f}" if isinstance(figure, float) else str(figure)


def _bars(  # noqa: PLR0913 - keyword-only options of one chart
    axes: Axes,
    labels: Sequence[str],
    figures: Sequence[Count | Measure],
    *,
    horizontal: bool,
    color: str,
    nothing: str,
) -> None:
    if not labels:
        axes.text(0.5, 0.5, nothing, ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
        return
    positions = list(range(len(labels)))
    values = [_value(f) for f in figures]
    from matplotlib.ticker import MaxNLocator

    crowded = len(labels) > 14
    if horizontal:
        drawn = axes.barh(positions, values, color=color)
        axes.set_yticks(positions, [_short(label) for label in labels])
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    else:
        drawn = axes.bar(positions, values, color=color)
        step = max(1, len(labels) // 10)
        axes.set_xticks(
            positions[::step],
            labels[::step],
            rotation=45 if len(labels) > 8 else 0,
            ha="right" if len(labels) > 8 else "center",
        )
        axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    # With many bars only the hidden ones are labelled ("<5"); the axis tells the rest.
    texts = [_label(f) if not crowded or isinstance(f, Hidden) else "" for f in figures]
    axes.bar_label(drawn, labels=texts, padding=2, fontsize=8)
    axes.margins(x=0.15 if horizontal else 0.02, y=0.02 if horizontal else 0.15)


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def render_chart(report: Report, content: ContentLibrary, lang: str) -> bytes:
    """The PNG (WIDTH_PX x HEIGHT_PX) of `report`, its words in the current locale."""
    # Imported here: matplotlib takes a moment to load, and only reports need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    titles = words.chart_titles()
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(titles["title"].format(period=words.period_text(report.period)), fontsize=14)
    grid = figure.subplots(2, 3)
    daily, routes, intents = grid[0]
    take, outcomes, votes = grid[1]
    nothing = titles["nothing"]

    days = [row for row in report.messages.daily if row.dimension == "all"]
    daily.set_title(titles["daily"])
    _bars(
        daily,
        [f"{row.day:%d.%m}" for row in days],
        [row.conversations for row in days],
        horizontal=False,
        color=_BLUE,
        nothing=nothing,
    )

    route_rows = report.messages.by["route"]
    routes.set_title(titles["routes"])
    _bars(
        routes,
        [words.route_label(row.key) for row in route_rows],
        [row.messages for row in route_rows],
        horizontal=True,
        color=_ORANGE,
        nothing=nothing,
    )

    intents.set_title(titles["intents"])
    _bars(
        intents,
        [words.intent_label(row.key, content, lang) for row in report.messages.intents],
        [row.count for row in report.messages.intents],
        horizontal=True,
        color=_GREEN,
        nothing=nothing,
    )

    take.set_title(titles["take"])
    priorities = report.cases.by_priority
    if any(_value(p.opened) or isinstance(p.opened, Hidden) for p in priorities):
        positions = list(range(len(priorities)))
        for offset, name, color in ((-0.2, "p50", _BLUE), (0.2, "p90", _RED)):
            values: list[Measure] = [getattr(p.take, name) for p in priorities]
            drawn = take.bar(
                [x + offset for x in positions],
                [_value(v) for v in values],
                width=0.4,
                color=color,
                label=name,
            )
            take.bar_label(drawn, labels=[_label(v) for v in values], padding=2, fontsize=8)
        take.set_xticks(
            positions, [textwrap.fill(words.priority_label(p.priority), 14) for p in priorities]
        )
        take.legend(loc="upper right", fontsize=8)
        take.margins(y=0.2)
    else:
        _bars(take, [], [], horizontal=False, color=_BLUE, nothing=nothing)

    outcomes.set_title(titles["outcomes"])
    _bars(
        outcomes,
        [words.outcome_label(row.key) for row in report.cases.outcomes],
        [row.count for row in report.cases.outcomes],
        horizontal=True,
        color=_GREY,
        nothing=nothing,
    )

    votes.set_title(titles["votes"])
    rows = sorted(report.votes.by_intent, key=lambda r: -(_value(r.up) + _value(r.down)))[:8]
    if rows:
        positions = list(range(len(rows)))
        for offset, attr, color, name in (
            (-0.2, "up", _GREEN, titles["helpful"]),
            (0.2, "down", _RED, titles["unhelpful"]),
        ):
            figures: list[Count] = [getattr(r, attr) for r in rows]
            drawn = votes.barh(
                [y + offset for y in positions],
                [_value(f) for f in figures],
                height=0.4,
                color=color,
                label=name,
            )
            votes.bar_label(drawn, labels=[_label(f) for f in figures], padding=2, fontsize=8)
        votes.set_yticks(
            positions, [_short(words.intent_label(r.intent, content, lang)) for r in rows]
        )
        votes.invert_yaxis()
        votes.legend(loc="lower right", fontsize=8)
        votes.margins(x=0.15)
    else:
        _bars(votes, [], [], horizontal=True, color=_GREEN, nothing=nothing)

    figure.text(0.01, 0.01, titles["hidden"], fontsize=9, color=_GREY)
    figure.tight_layout(rect=(0, 0.03, 1, 0.95))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
