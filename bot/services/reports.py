"""The supervisors' report: how the service did over a period.

Figures come from what the bot already writes (the routing log, votes,
cases); `ReportService.build` returns them as data (`bot.services.report_figures`),
already made safe to show: a figure that counts (or is computed from) fewer
than five citizens is `HIDDEN` and is shown as "<5" everywhere, so no report
can point to a person. Zero stays zero: it points to nobody. Nothing here
imports aiogram; the Telegram text, the chart and the CSV files render a `Report`.

Definitions (the issue leaves them to us):
- a conversation is one citizen writing on one calendar day (office time zone);
- case figures are about the cases opened in the period;
- time to Take runs from opening to the first Take, time to the first reply
  from opening to the counselor's first message to the citizen; p50/p90 are
  nearest-rank percentiles; the share within the SLA counts a case that was
  never taken (or answered) as missed once it waited longer than the SLA, and
  leaves out one that ended (or is still waiting) before the SLA ran out;
- a message's region is the citizen's region when it came (None: not given);
  the top intents leave out the fallback's guesses;
- the safety figures are crisis and escalate messages by intent (the
  situation), and those whose route the safety net raised over the NLU's
  (while the NLU server was down too, also counted apart);
- a case without a citizen link (after /forget or the retention limit)
  counts as one citizen of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import WEEKDAYS, Settings
from bot.db.models import utcnow
from bot.db.repositories.cases import AuditRepository
from bot.db.repositories.reports import CaseFacts, GroupCount, ReportRepository
from bot.db.repositories.staff import StaffRepository
from bot.domain import CaseStatus, OpenedVia, Priority, Route
from bot.services.report_figures import (
    DIMENSIONS,
    MOST_DOWN,
    OPEN_OUTCOME,
    ROUTES,
    SENSITIVE_ROUTES,
    TOP_INTENTS,
    UNDERSTOOD,
    UNRECORDED,
    CaseFigures,
    Count,
    DailyTraffic,
    MessageFigures,
    PriorityFigures,
    Report,
    ReportPeriod,
    SafetyFigures,
    SafetyRow,
    Share,
    Tally,
    Timing,
    Traffic,
    VoteFigures,
    VoteRow,
    nearest_rank,
    protect,
    protect_measure,
    shown_order,
)


def sla_minutes(settings: Settings) -> dict[int, float]:
    """The SLA of each priority, in minutes (SLA_*_MINUTES)."""
    return {
        int(Priority.URGENT): settings.sla_urgent_minutes,
        int(Priority.ESCALATE): settings.sla_escalate_minutes,
        int(Priority.REQUEST): settings.sla_request_minutes,
    }


WEEKLY_ACTION: Final = "weekly_report"


def weekly_period(now: datetime, zone: ZoneInfo, day: str, hour: int) -> ReportPeriod | None:
    """The week the weekly report covers, if `now` is on or after its hour of its day."""
    local = now.astimezone(zone)
    if WEEKDAYS[local.weekday()] != day or local.hour < hour:
        return None
    return ReportPeriod.previous_week(now, zone)


# --- building it -----------------------------------------------------------------


def _key(value: object) -> str | None:
    return None if value is None else str(value)


def _citizens(cases: Iterable[CaseFacts]) -> int:
    """Distinct citizens behind cases; a detached case is one of its own."""
    linked: set[int] = set()
    detached = 0
    for case in cases:
        if case.citizen is None:
            detached += 1
        else:
            linked.add(case.citizen)
    return len(linked) + detached


def _minutes(since: datetime, until: datetime) -> float:
    return max(0.0, (until - since).total_seconds() / 60)


def _timing(
    cases: Sequence[CaseFacts],
    moment: Callable[[CaseFacts], datetime | None],
    sla: float,
    now: datetime,
) -> Timing:
    measured = [case for case in cases if moment(case) is not None]
    waits = [_minutes(case.opened_at, moment(case) or now) for case in measured]
    judged = list(measured)
    hits = sum(1 for wait in waits if wait <= sla)
    for case in cases:
        if moment(case) is not None:
            continue
        ended = case.closed_at if case.closed_at is not None else now
        if _minutes(case.opened_at, ended) > sla:
            judged.append(case)  # waited past the SLA and never got it: missed
    people = _citizens(measured)
    share = hits / len(judged) if judged else None
    return Timing(
        measured=protect(len(measured), people),
        p50=protect_measure(nearest_rank(waits, 50), people),
        p90=protect_measure(nearest_rank(waits, 90), people),
        within_sla=protect_measure(share, _citizens(judged)),
    )


def _tallies(
    cases: Sequence[CaseFacts], key: Callable[[CaseFacts], str | None], order: Sequence[str] = ()
) -> list[Tally]:
    groups: dict[str, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        name = key(case)
        if name is not None:
            groups[name].append(case)
    names = [n for n in order if n in groups] + sorted(n for n in groups if n not in order)
    return [Tally(name, protect(len(groups[name]), _citizens(groups[name]))) for name in names]


class ReportService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        sla_minutes: dict[int, float],
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session = session
        self._reports = ReportRepository(session)
        self._staff = StaffRepository(session)
        self._audit = AuditRepository(session)
        self._sla = sla_minutes
        self._now = now

    async def build(self, period: ReportPeriod) -> Report:
        start, end = period.bounds
        return Report(
            period=period,
            generated_at=self._now(),
            messages=await self._messages(period, start, end),
            cases=await self._cases(start, end),
            votes=await self._votes(start, end),
            safety=await self._safety(start, end),
        )

    async def weekly_posted(self, period: ReportPeriod) -> bool:
        """Whether the weekly report of `period` is already in the staff group."""
        return await self._reports.audited(WEEKLY_ACTION, period.start.isoformat())

    async def mark_weekly_posted(self, period: ReportPeriod) -> None:
        await self._audit.add(
            WEEKLY_ACTION, staff_id=None, case_id=None, detail=period.start.isoformat()
        )
        await self._session.commit()

    async def _messages(
        self, period: ReportPeriod, start: datetime, end: datetime
    ) -> MessageFigures:
        count = self._reports.message_counts
        zone = period.zone
        [total] = await count(start, end) or [GroupCount((), 0, 0)]
        per_day = {row.key[0]: row for row in await count(start, end, per_day=zone)}
        conversations = sum(row.citizens for row in per_day.values())
        daily: list[DailyTraffic] = []
        for day in period.days:
            row = per_day.get(day)
            people = row.citizens if row else 0
            daily.append(
                DailyTraffic(
                    day,
                    "all",
                    None,
                    protect(people, people),
                    protect(row.count if row else 0, people),
                )
            )
        by: dict[str, list[Traffic]] = {}
        for dimension in DIMENSIONS:
            days = await count(start, end, (dimension,), per_day=zone)
            totals = {_key(row.key[0]): row for row in await count(start, end, (dimension,))}
            talks: dict[str | None, int] = defaultdict(int)
            for row in sorted(days, key=lambda r: (r.key[0], str(r.key[1]))):
                value = _key(row.key[1])
                talks[value] += row.citizens
                daily.append(
                    DailyTraffic(
                        row.key[0],
                        dimension,
                        value,
                        protect(row.citizens, row.citizens),
                        protect(row.count, row.citizens),
                    )
                )
            ordered = sorted(totals.values(), key=lambda r: (-r.count, str(r.key[0])))
            if dimension == "route":
                ordered.sort(key=lambda r: ROUTES.index(r.key[0]) if r.key[0] in ROUTES else 99)
            by[dimension] = [
                Traffic(
                    _key(row.key[0]),
                    protect(talks[_key(row.key[0])], row.citizens),
                    protect(row.count, row.citizens),
                )
                for row in ordered
            ]
        intents = sorted(
            (
                Tally(str(row.key[0]), protect(row.count, row.citizens))
                for row in await count(start, end, ("intent",), where={"route": UNDERSTOOD})
                if row.key[0] is not None
            ),
            key=lambda t: (-shown_order(t.count), t.key),
        )[:TOP_INTENTS]
        fallback = next(
            (r for r in await count(start, end, where={"route": Route.FALLBACK.value})), None
        )
        down = next((r for r in await count(start, end, where={"nlu_available": False})), None)
        return MessageFigures(
            conversations=protect(conversations, total.citizens),
            messages=protect(total.count, total.citizens),
            daily=daily,
            by=by,
            intents=intents,
            fallback=_share(fallback, total.count),
            nlu_down=_share(down, total.count),
        )

    async def _cases(self, start: datetime, end: datetime) -> CaseFigures:
        cases = await self._reports.cases_opened(start, end)
        now = self._now()
        by_priority = []
        for priority in Priority:
            group = [case for case in cases if case.priority == priority]
            sla = self._sla[int(priority)]
            announced = [case for case in group if case.reannounced > 0]
            people = _citizens(announced)
            by_priority.append(
                PriorityFigures(
                    priority=int(priority),
                    sla_minutes=sla,
                    opened=protect(len(group), _citizens(group)),
                    take=_timing(group, lambda c: c.first_taken_at, sla, now),
                    reply=_timing(group, lambda c: c.first_reply_at, sla, now),
                    reannouncements=protect(sum(c.reannounced for c in announced), people),
                    reannounced_cases=protect(len(announced), people),
                )
            )

        def outcome(case: CaseFacts) -> str:
            if case.status != CaseStatus.CLOSED:
                return OPEN_OUTCOME
            return case.outcome or UNRECORDED

        rated = [case for case in cases if case.rating is not None]
        mean = sum(c.rating or 0 for c in rated) / len(rated) if rated else None
        names = await self._staff.by_ids(sorted({c.holder_id for c in cases if c.holder_id}))
        vias = [v.value for v in OpenedVia]
        return CaseFigures(
            opened=protect(len(cases), _citizens(cases)),
            by_priority=by_priority,
            by_via=_tallies(cases, lambda c: c.opened_via or UNRECORDED, vias),
            outcomes=_tallies(cases, outcome, (OPEN_OUTCOME,)),
            crisis_outcomes=_tallies(
                [c for c in cases if c.priority == Priority.URGENT], outcome, (OPEN_OUTCOME,)
            ),
            ratings=_tallies(rated, lambda c: str(c.rating), [str(n) for n in range(1, 6)]),
            rated=protect(len(rated), _citizens(rated)),
            rating_mean=protect_measure(mean, _citizens(rated)),
            per_counselor=sorted(
                _tallies(
                    cases,
                    lambda c: names[c.holder_id].display_name if c.holder_id in names else None,
                ),
                key=lambda t: (-shown_order(t.count), t.key),
            ),
        )

    async def _votes(self, start: datetime, end: datetime) -> VoteFigures:
        rows = await self._reports.vote_counts(start, end)
        cells = {(row.key[0], row.key[1]): row for row in rows}
        intents = sorted({str(row.key[0]) for row in rows})

        def cell(intent: str, helpful: bool) -> Count:
            row = cells.get((intent, helpful))
            return protect(row.count, row.citizens) if row else 0

        by_intent = [VoteRow(intent, cell(intent, True), cell(intent, False)) for intent in intents]
        most_down = sorted(
            (row for row in by_intent if row.down != 0),
            key=lambda r: (-shown_order(r.down), shown_order(r.up), r.intent),
        )[:MOST_DOWN]
        totals = {row.key[0]: row for row in await self._reports.vote_totals(start, end)}
        return VoteFigures(
            up=_total(totals.get(True)),
            down=_total(totals.get(False)),
            by_intent=by_intent,
            most_down=most_down,
        )

    async def _safety(self, start: datetime, end: datetime) -> SafetyFigures:
        count = self._reports.message_counts
        where: dict[str, object] = {"route": SENSITIVE_ROUTES}
        situations = await count(start, end, ("route", "intent"), where=where)
        raised = {
            (row.key[0], row.key[1]): row
            for row in await count(
                start, end, ("route", "intent"), where={**where, "safety_raised": True}
            )
        }
        rows = []
        for row in sorted(
            situations, key=lambda r: (SENSITIVE_ROUTES.index(r.key[0]), -r.count, str(r.key[1]))
        ):
            lifted = raised.get((row.key[0], row.key[1]))
            rows.append(
                SafetyRow(
                    route=str(row.key[0]),
                    intent=_key(row.key[1]),
                    messages=protect(row.count, row.citizens),
                    raised=protect(lifted.count, lifted.citizens) if lifted else 0,
                )
            )
        [all_raised] = await count(start, end, where={"safety_raised": True})
        [offline] = await count(start, end, where={"safety_raised": True, "nlu_available": False})
        return SafetyFigures(
            rows=rows,
            raised=protect(all_raised.count, all_raised.citizens),
            raised_nlu_down=protect(offline.count, offline.citizens),
        )


def _share(row: GroupCount | None, total: int) -> Share:
    if row is None or row.count == 0:
        return Share(0, 0.0 if total else None)
    return Share(protect(row.count, row.citizens), protect_measure(row.count / total, row.citizens))


def _total(row: GroupCount | None) -> Count:
    return protect(row.count, row.citizens) if row is not None else 0
