"""The counselors' office hours, and the wait a citizen is told when a case opens.

Everything here is plain date arithmetic in the office's time zone (default
Asia/Almaty), so it is tested without Telegram or a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import WEEKDAYS, Settings

# Below this many measured waits the configured figure is used instead.
MIN_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """About how long until a counselor reads a new case.

    `opens_at` is set (in the office's time zone) when nobody will read it
    before the office opens; `minutes` is the wait once someone reads.
    """

    minutes: int
    opens_at: datetime | None
    ahead: int


@dataclass(frozen=True, slots=True)
class OfficeHours:
    start: time
    end: time
    zone: ZoneInfo
    days: frozenset[int]  # 0 is Monday, as datetime.weekday()

    @classmethod
    def from_settings(cls, settings: Settings) -> OfficeHours:
        days = frozenset(WEEKDAYS.index(d) for d in settings.office_days.split(","))
        return cls(
            start=settings.office_hours_start,
            end=settings.office_hours_end,
            zone=ZoneInfo(settings.office_timezone),
            days=days,
        )

    def _windows(self, local: datetime) -> list[tuple[datetime, datetime]]:
        """Opening windows that touch the day of `local` (and the day before)."""
        windows: list[tuple[datetime, datetime]] = []
        for offset in (-1, 0, 1, 2, 3, 4, 5, 6, 7):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opens = datetime.combine(day, self.start, tzinfo=self.zone)
            closes = datetime.combine(day, self.end, tzinfo=self.zone)
            if closes <= opens:  # a night shift ends the next day
                closes += timedelta(days=1)
            windows.append((opens, closes))
        return windows

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        return any(opens <= local < closes for opens, closes in self._windows(local))

    def closes_at(self, now: datetime) -> datetime | None:
        """When the current window ends; None while closed."""
        local = now.astimezone(self.zone)
        for opens, closes in self._windows(local):
            if opens <= local < closes:
                return closes
        return None

    def next_opening(self, now: datetime) -> datetime:
        """The next moment the office opens (in its zone); `now` itself while open."""
        local = now.astimezone(self.zone)
        if self.is_open(local):
            return local
        upcoming = [opens for opens, _ in self._windows(local) if opens > local]
        if not upcoming:  # no working days configured: validation prevents it
            return local
        return min(upcoming)

    def estimate(
        self,
        now: datetime,
        *,
        ahead: int,
        minutes_per_case: float,
        measured_minutes: Sequence[float] = (),
    ) -> WaitEstimate:
        """The wait for a case with `ahead` cases before it in the queue.

        The first counselor's reaction is the median of recently measured
        waits when there are enough of them; each case ahead adds the
        configured minutes.
        """
        samples = sorted(measured_minutes)
        first = samples[len(samples) // 2] if len(samples) >= MIN_SAMPLES else minutes_per_case
        minutes = max(1, round(first + ahead * minutes_per_case))
        closes = self.closes_at(now)
        if closes is not None and now + timedelta(minutes=minutes) <= closes:
            return WaitEstimate(minutes=minutes, opens_at=None, ahead=ahead)
        after = closes if closes is not None else now
        return WaitEstimate(minutes=minutes, opens_at=self.next_opening(after), ahead=ahead)
