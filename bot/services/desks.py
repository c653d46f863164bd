"""The desks: each region's advisory center with its own staff group, office
hours and SLA, and the national fallback desk (content/desks.yml, optional).

Without desks.yml there is one desk, "main", made from STAFF_CHAT_ID: it is
the fallback, serves every region and keeps the settings' hours and SLA, so a
single-desk setup behaves as before. Nothing here imports aiogram.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.config import Settings
from bot.content.desks import desk_problems, parse_clock, parse_days
from bot.content.schema import DeskEntry, DesksFile
from bot.db.models import Case
from bot.db.repositories.cases import DeskScope
from bot.domain import Priority
from bot.services.office_hours import OfficeHours

MAIN_DESK = "main"


class DeskConfigError(ValueError):
    """content/desks.yml is not usable (`python -m bot content validate` says where)."""


@dataclass(frozen=True, slots=True)
class Desk:
    id: str
    name: Mapping[str, str]
    chat_id: int
    regions: frozenset[str]
    fallback: bool
    hours: OfficeHours
    sla_minutes: Mapping[Priority, float]
    # The single desk of a setup without desks.yml serves every region.
    every_region: bool = False

    def serves(self, region: str | None) -> bool:
        return self.every_region or (region is not None and region in self.regions)

    def title(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("ru") or self.id

    @property
    def scope(self) -> DeskScope:
        """This desk's cases (the fallback's include those with no desk)."""
        return DeskScope(frozenset({self.id}), unset=self.fallback)


def works_at(desk_ids: Collection[str], desk_id: str | None) -> bool:
    """Whether a staff member with these staff_desks rows (none: every desk) works at
    the desk `desk_id` (None: a case from before desks, which every member may serve)."""
    return not desk_ids or desk_id is None or desk_id in desk_ids


def _settings_sla(settings: Settings) -> dict[Priority, float]:
    return {
        Priority.URGENT: settings.sla_urgent_minutes,
        Priority.ESCALATE: settings.sla_escalate_minutes,
        Priority.REQUEST: settings.sla_request_minutes,
    }


def _desk(entry: DeskEntry, settings: Settings) -> Desk:
    hours = OfficeHours.from_settings(settings)
    if entry.hours is not None:
        hours = OfficeHours(
            start=parse_clock(entry.hours.start),
            end=parse_clock(entry.hours.end),
            zone=ZoneInfo(entry.hours.timezone),
            days=parse_days(entry.hours.days),
        )
    sla = _settings_sla(settings)
    if entry.sla_minutes is not None:
        given = {
            Priority.URGENT: entry.sla_minutes.urgent,
            Priority.ESCALATE: entry.sla_minutes.escalate,
            Priority.REQUEST: entry.sla_minutes.request,
        }
        sla |= {priority: value for priority, value in given.items() if value is not None}
    return Desk(
        id=entry.id,
        name=dict(entry.name),
        chat_id=entry.chat_id,
        regions=frozenset(entry.regions),
        fallback=entry.fallback,
        hours=hours,
        sla_minutes=sla,
    )


@dataclass(frozen=True)
class DeskDirectory:
    desks: tuple[Desk, ...]
    _by_id: dict[str, Desk] = field(init=False, repr=False)
    _by_chat: dict[int, Desk] = field(init=False, repr=False)
    _by_region: dict[str, Desk] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fallbacks = [desk for desk in self.desks if desk.fallback]
        if len(fallbacks) != 1:
            raise DeskConfigError("exactly one desk must be the fallback")
        object.__setattr__(self, "_by_id", {desk.id: desk for desk in self.desks})
        object.__setattr__(self, "_by_chat", {desk.chat_id: desk for desk in self.desks})
        regions = {region: desk for desk in self.desks for region in desk.regions}
        object.__setattr__(self, "_by_region", regions)

    @classmethod
    def single(cls, settings: Settings, chat_id: int) -> DeskDirectory:
        """The one desk of STAFF_CHAT_ID, as before desks existed."""
        desk = Desk(
            id=MAIN_DESK,
            name={"kk": MAIN_DESK, "ru": MAIN_DESK},
            chat_id=chat_id,
            regions=frozenset(),
            fallback=True,
            hours=OfficeHours.from_settings(settings),
            sla_minutes=_settings_sla(settings),
            every_region=True,
        )
        return cls((desk,))

    @classmethod
    def from_file(
        cls, path: Path, settings: Settings, region_ids: Collection[str]
    ) -> DeskDirectory:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        try:
            parsed = DesksFile.model_validate(raw)
        except ValueError as exc:
            raise DeskConfigError(f"{path.name}: {exc}") from None
        problems = desk_problems(parsed, region_ids)
        if problems:
            raise DeskConfigError(f"{path.name}: " + "; ".join(m for _, m in problems))
        return cls(tuple(_desk(entry, settings) for entry in parsed.desks))

    @classmethod
    def load(cls, settings: Settings, region_ids: Collection[str]) -> DeskDirectory | None:
        """desks.yml when it exists, else the one desk of STAFF_CHAT_ID, else None."""
        path = settings.content_dir / "desks.yml"
        if path.is_file():
            return cls.from_file(path, settings, region_ids)
        if settings.staff_chat_id is not None:
            return cls.single(settings, settings.staff_chat_id)
        return None

    def __iter__(self) -> Iterator[Desk]:
        return iter(self.desks)

    @property
    def fallback(self) -> Desk:
        return next(desk for desk in self.desks if desk.fallback)

    @property
    def several(self) -> bool:
        return len(self.desks) > 1

    def for_region(self, region: str | None) -> Desk:
        """The desk serving `region`; an unknown or unlisted region goes to the fallback."""
        if region is not None and region in self._by_region:
            return self._by_region[region]
        return self.fallback

    def by_chat(self, chat_id: int) -> Desk | None:
        return self._by_chat.get(chat_id)

    def by_id(self, desk_id: str | None) -> Desk:
        """The desk of a case's `desk_id`; None (old rows) or a removed desk: the fallback."""
        if desk_id is None:
            return self.fallback
        return self._by_id.get(desk_id) or self.fallback

    def known(self, desk_id: str) -> bool:
        return desk_id in self._by_id

    def desk_of(self, case: Case) -> Desk:
        return self.by_id(case.desk_id)

    def members_desks(self, desk_ids: Collection[str]) -> tuple[Desk, ...]:
        """The desks of a staff member with these staff_desks rows (none: every desk)."""
        if not desk_ids:
            return self.desks
        return tuple(desk for desk in self.desks if desk.id in desk_ids)

    def belongs(self, desk_ids: Collection[str], desk: Desk) -> bool:
        """Whether a staff member with these staff_desks rows belongs to `desk`."""
        return works_at(desk_ids, desk.id)

    def scope_of(self, desks: Collection[Desk]) -> DeskScope | None:
        """The cases of `desks`; None when that is every desk (no filter at all)."""
        if len(desks) == len(self.desks):
            return None
        return DeskScope(
            frozenset(desk.id for desk in desks), unset=any(desk.fallback for desk in desks)
        )

    def in_reach(self, case: Case, desk: Desk) -> bool:
        """Whether staff in `desk`'s group may act on `case`: a case of that desk,
        or, in the fallback desk, a case announced to it."""
        if self.desk_of(case).id == desk.id:
            return True
        return desk.fallback and case.fallback_announced_at is not None
