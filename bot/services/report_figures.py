"""What the supervisors' report holds: its period, its figures, and the rule that hides small ones.

A figure that counts (or is computed from) fewer than MIN_CITIZENS citizens
is `HIDDEN` and is shown as "<5" everywhere, so no report can point to a
person. `bot.services.reports` computes the figures; the Telegram text, the
chart and the CSV files render a `Report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.domain import Route

MIN_CITIZENS: Final = 5
TOP_INTENTS: Final = 10
MOST_DOWN: Final = 5
DIMENSIONS: Final = ("lang", "region", "route")
# The order routes are listed in: the everyday ones first, the most serious last.
ROUTES: Final = ("faq", "service", "fallback", "escalate", "crisis")
# Top intents are of messages the bot understood (not the fallback's guesses).
UNDERSTOOD: Final = tuple(route for route in ROUTES if route != Route.FALLBACK.value)
SENSITIVE_ROUTES: Final = (Route.CRISIS.value, Route.ESCALATE.value)
OPEN_OUTCOME: Final = "open"
UNRECORDED: Final = "unrecorded"


class Hidden:
    """A figure about fewer than MIN_CITIZENS citizens: shown as "<5"."""

    _instance: Hidden | None = None

    def __new__(cls) -> Hidden:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return f"<{MIN_CITIZENS}"

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN: Final = Hidden()

Count = int | Hidden
# Minutes, a share in [0, 1] or a mean; None when there is nothing to measure.
Measure = float | Hidden | None


def protect(value: int, citizens: int) -> Count:
    """The count as shown: hidden when 1-4 citizens are behind it."""
    return HIDDEN if 0 < citizens < MIN_CITIZENS else value


def protect_measure(value: float | None, citizens: int) -> Measure:
    if value is None:
        return None
    return HIDDEN if 0 < citizens < MIN_CITIZENS else value


def shown_order(figure: Count) -> int:
    """Sort key for a shown figure: hidden ones rank below every shown one."""
    return -1 if isinstance(figure, Hidden) else figure


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile (the smallest value with `percent` at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


# --- the period ------------------------------------------------------------------


PERIOD_DAYS: Final = {"day": 1, "week": 7, "month": 30}


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Calendar days `start`..`end` (both included) in the office time zone."""

    start: date
    end: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @classmethod
    def last_days(cls, days: int, now: datetime, zone: ZoneInfo) -> ReportPeriod:
        """The last `days` calendar days, today (so far) included."""
        today = now.astimezone(zone).date()
        return cls(today - timedelta(days=days - 1), today, zone)

    @classmethod
    def named(cls, name: str, now: datetime, zone: ZoneInfo) -> ReportPeriod:
        """/stats day|week|month: today, the last 7 or the last 30 days."""
        return cls.last_days(PERIOD_DAYS[name], now, zone)

    @classmethod
    def previous_week(cls, now: datetime, zone: ZoneInfo) -> ReportPeriod:
        """The 7 whole days before today (the weekly report)."""
        today = now.astimezone(zone).date()
        return cls(today - timedelta(days=7), today - timedelta(days=1), zone)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, moment after the last day) in UTC."""
        first = datetime.combine(self.start, time(0), tzinfo=self.zone)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.zone)
        return first.astimezone(UTC), after.astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


# --- the figures -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Traffic:
    """Conversations and messages of one group (a day, a language, ...)."""

    key: str | None
    conversations: Count
    messages: Count


@dataclass(frozen=True, slots=True)
class DailyTraffic:
    day: date
    dimension: str  # "all", "lang", "region" or "route"
    key: str | None
    conversations: Count
    messages: Count


@dataclass(frozen=True, slots=True)
class Share:
    """A part of all messages: how many, and what share (0..1) of them."""

    count: Count
    share: Measure


@dataclass(frozen=True, slots=True)
class Tally:
    key: str
    count: Count


@dataclass(frozen=True, slots=True)
class MessageFigures:
    conversations: Count
    messages: Count
    daily: list[DailyTraffic]
    by: dict[str, list[Traffic]]
    intents: list[Tally]  # the top intents, by messages
    fallback: Share
    nlu_down: Share


@dataclass(frozen=True, slots=True)
class Timing:
    """How fast cases were taken (or answered), against the SLA."""

    measured: Count  # cases with a time
    p50: Measure  # minutes
    p90: Measure
    within_sla: Measure  # share 0..1


@dataclass(frozen=True, slots=True)
class PriorityFigures:
    priority: int
    sla_minutes: float
    opened: Count
    take: Timing
    reply: Timing
    reannouncements: Count  # times announced again, unclaimed
    reannounced_cases: Count  # cases announced again at least once


@dataclass(frozen=True, slots=True)
class CaseFigures:
    opened: Count
    by_priority: list[PriorityFigures]
    by_via: list[Tally]
    outcomes: list[Tally]  # OPEN_OUTCOME for cases not closed yet
    crisis_outcomes: list[Tally]  # the urgent cases only
    ratings: list[Tally]  # "1".."5"
    rated: Count
    rating_mean: Measure
    per_counselor: list[Tally]  # the counselor's display name


@dataclass(frozen=True, slots=True)
class VoteRow:
    intent: str
    up: Count
    down: Count


@dataclass(frozen=True, slots=True)
class VoteFigures:
    up: Count
    down: Count
    by_intent: list[VoteRow]
    most_down: list[VoteRow]


@dataclass(frozen=True, slots=True)
class SafetyRow:
    route: str
    intent: str | None
    messages: Count
    raised: Count  # of them, raised by the safety net over the NLU


@dataclass(frozen=True, slots=True)
class SafetyFigures:
    rows: list[SafetyRow]
    raised: Count
    raised_nlu_down: Count  # raised while the NLU server was down


@dataclass(frozen=True, slots=True)
class Report:
    period: ReportPeriod
    generated_at: datetime
    messages: MessageFigures
    cases: CaseFigures
    votes: VoteFigures
    safety: SafetyFigures
