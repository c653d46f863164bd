"""What content/desks.yml must say beyond its schema: known and unshared
regions, unique ids and chat ids, exactly one fallback desk, real time zones
and weekdays. Shared by `content validate` (which reports each problem where
it is written) and the desk directory (which refuses to start with one)."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content.schema import DeskEntry, DesksFile

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Problem = tuple[tuple[int | str, ...], str]


def parse_clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def parse_days(value: str) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(day.strip()) for day in value.split(",") if day.strip())


def desk_problems(  # noqa: PLR0912 - one branch per rule of desks.yml, read as a list
    parsed: DesksFile, region_ids: Collection[str]
) -> list[Problem]:
    """Every problem of a parsed desks.yml, with where it is (as a schema error's loc)."""
    problems: list[Problem] = []
    if not parsed.desks:
        problems.append((("desks",), "desks.yml lists no desk"))
    seen_ids: set[str] = set()
    seen_chats: set[int] = set()
    served: dict[str, str] = {}
    for index, desk in enumerate(parsed.desks):
        here: tuple[int | str, ...] = ("desks", index)
        if not _SLUG.match(desk.id):
            problems.append(
                ((*here, "id"), f"desk id {desk.id!r}: lower-case letters, digits and _ only")
            )
        if desk.id in seen_ids:
            problems.append(((*here, "id"), f"desk id {desk.id!r} is used twice"))
        seen_ids.add(desk.id)
        if desk.chat_id >= 0:
            problems.append(
                ((*here, "chat_id"), f"desk {desk.id}: a group's chat id is a negative number")
            )
        if desk.chat_id in seen_chats:
            problems.append(((*here, "chat_id"), f"desk {desk.id}: its chat id is used twice"))
        seen_chats.add(desk.chat_id)
        for lang in ("kk", "ru"):
            if not desk.name.get(lang, "").strip():
                problems.append(((*here, "name"), f"desk {desk.id}: the name in {lang} is missing"))
        for region in desk.regions:
            if region not in region_ids:
                problems.append(
                    (
                        (*here, "regions"),
                        f"desk {desk.id}: region {region!r} is not in content/resources.yml",
                    )
                )
            elif region in served:
                problems.append(
                    (
                        (*here, "regions"),
                        f"desk {desk.id}: region {region!r} is served by desk {served[region]}"
                        " already",
                    )
                )
            else:
                served[region] = desk.id
        problems.extend(_hours_problems(desk, here))
        problems.extend(_sla_problems(desk, here))
    fallbacks = [desk.id for desk in parsed.desks if desk.fallback]
    if parsed.desks and len(fallbacks) != 1:
        found = ", ".join(fallbacks) or "none"
        problems.append(
            (("desks",), f"exactly one desk must be the fallback (`fallback: true`); found {found}")
        )
    return problems


def _hours_problems(desk: DeskEntry, here: tuple[int | str, ...]) -> list[Problem]:
    hours = desk.hours
    if hours is None:
        return []
    where = (*here, "hours")
    problems: list[Problem] = []
    for key, value in (("start", hours.start), ("end", hours.end)):
        if not _CLOCK.match(value):
            problems.append(((*where, key), f"desk {desk.id}: hours.{key} {value!r} is not HH:MM"))
    days = [day.strip() for day in hours.days.split(",") if day.strip()]
    unknown = [day for day in days if day not in WEEKDAYS]
    if unknown or not days:
        problems.append(
            (
                (*where, "days"),
                f"desk {desk.id}: hours.days: use {','.join(WEEKDAYS)}, comma-separated",
            )
        )
    try:
        ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            ((*where, "timezone"), f"desk {desk.id}: unknown time zone {hours.timezone!r}")
        )
    return problems


def _sla_problems(desk: DeskEntry, here: tuple[int | str, ...]) -> list[Problem]:
    sla = desk.sla_minutes
    if sla is None:
        return []
    return [
        ((*here, "sla_minutes", key), f"desk {desk.id}: sla_minutes.{key} must be above 0")
        for key, value in (
            ("urgent", sla.urgent),
            ("escalate", sla.escalate),
            ("request", sla.request),
        )
        if value is not None and value <= 0
    ]
