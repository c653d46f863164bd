"""The desks: content/desks.yml checked by `content validate`, and the desk
directory built from it (or, without it, from STAFF_CHAT_ID alone)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.repositories.cases import CaseRepository
from bot.domain import Priority, Refusal, Route
from bot.services.cases import CaseService
from bot.services.citizens import CitizenService
from bot.services.desk_cases import DeskCaseService
from bot.services.desks import MAIN_DESK, DeskConfigError, DeskDirectory
from bot.services.staff import StaffService
from bot.ui.composed_checks import validate
from tests.test_content_validate import _build, _errors

ROOT = Path(__file__).resolve().parent.parent
REGIONS = {"astana", "abai", "north_kazakhstan"}


def _desks() -> dict[str, list[dict[str, Any]]]:
    return {
        "desks": [
            {
                "id": "abai",
                "name": {"kk": "Абай", "ru": "Абай"},
                "chat_id": -1001000000001,
                "regions": ["abai"],
                "hours": {"start": "10:00", "end": "17:00", "timezone": "Asia/Almaty"},
                "sla_minutes": {"urgent": 3},
            },
            {
                "id": "national",
                "name": {"kk": "Республикалық", "ru": "Республиканский"},
                "chat_id": -1001000000003,
                "regions": ["astana"],
                "fallback": True,
            },
        ]
    }


def _settings(
    tmp_path: Path, desks: object | None = None, staff_chat_id: int | None = None
) -> Settings:
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    if desks is not None:
        (content / "desks.yml").write_text(yaml.safe_dump(desks, allow_unicode=True))
    return Settings(_env_file=None, content_dir=content, staff_chat_id=staff_chat_id)


def test_without_desks_yml_one_desk_of_the_staff_chat_serves_everyone(tmp_path: Path) -> None:
    directory = DeskDirectory.load(_settings(tmp_path, staff_chat_id=-100123), REGIONS)
    assert directory is not None
    assert not directory.several
    desk = directory.fallback
    assert (desk.id, desk.chat_id, desk.fallback) == (MAIN_DESK, -100123, True)
    assert directory.for_region("abai") is desk
    assert directory.for_region(None) is desk
    assert directory.by_chat(-100123) is desk
    assert directory.by_chat(-100999) is None
    assert desk.serves("abai")
    assert desk.serves(None)
    assert desk.hours.start == time(9, 0)
    assert desk.sla_minutes[Priority.URGENT] == 5.0


def test_without_desks_and_staff_chat_there_is_no_desk(tmp_path: Path) -> None:
    assert DeskDirectory.load(_settings(tmp_path), REGIONS) is None


def test_desks_yml_routes_regions_and_keeps_each_desks_hours(tmp_path: Path) -> None:
    directory = DeskDirectory.load(_settings(tmp_path, _desks(), staff_chat_id=-5), REGIONS)
    assert directory is not None
    assert directory.several
    assert directory.for_region("abai").id == "abai"
    assert directory.for_region("astana").id == "national"
    # Unlisted, unknown or no region: the fallback desk.
    assert directory.for_region("north_kazakhstan").id == "national"
    assert directory.for_region("mars").id == "national"
    assert directory.for_region(None).id == "national"
    assert directory.by_chat(-1001000000001) is directory.by_id("abai")
    assert directory.by_id(None).id == "national"  # rows from before desks
    assert directory.by_id("gone").id == "national"
    abai = directory.by_id("abai")
    assert abai.hours.start == time(10, 0)
    assert abai.hours.end == time(17, 0)
    assert abai.sla_minutes[Priority.URGENT] == 3
    assert abai.sla_minutes[Priority.ESCALATE] == 30.0  # the settings' default
    # 18:00 in Almaty on a Monday: Abai is closed, the national desk open.
    evening = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    assert not abai.hours.is_open(evening)
    assert directory.fallback.hours.is_open(evening)


def test_a_broken_desks_yml_stops_the_bot(tmp_path: Path) -> None:
    desks = _desks()
    desks["desks"][1]["fallback"] = False
    with pytest.raises(DeskConfigError, match="fallback"):
        DeskDirectory.load(_settings(tmp_path, desks), REGIONS)


def test_the_shipped_example_is_valid_against_the_real_regions(tmp_path: Path) -> None:
    example = yaml.safe_load((ROOT / "docs" / "desks.example.yml").read_text(encoding="utf-8"))
    resources = yaml.safe_load((ROOT / "content" / "resources.yml").read_text(encoding="utf-8"))
    regions = {region["id"] for region in resources["regions"]}
    directory = DeskDirectory.load(_settings(tmp_path, example), regions)
    assert directory is not None
    assert [desk.id for desk in directory] == ["almaty", "atyrau", "national"]
    assert directory.for_region("atyrau").hours.zone.key == "Asia/Atyrau"
    assert directory.for_region("almaty_region").id == "almaty"
    assert directory.fallback.id == "national"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _build(tmp_path / "repo")


def _write(tree: Path, desks: object) -> None:
    (tree / "content" / "desks.yml").write_text(yaml.safe_dump(desks, allow_unicode=True))


def test_a_valid_desks_yml_passes_validation(tree: Path) -> None:
    _write(tree, _desks())
    report = validate(tree)
    assert _errors(report) == []
    assert report.checked["desks"] == 2


def test_validation_names_each_desk_mistake(tree: Path) -> None:
    desks = _desks()
    entries = desks["desks"]
    entries[0]["regions"] = ["abai", "mars"]
    entries[0]["hours"] = {"days": "mon,funday", "timezone": "Asia/Nowhere", "start": "9"}
    entries[1]["regions"] = ["astana", "abai"]
    entries[1]["chat_id"] = -1001000000001
    entries.append(
        {"id": "abai", "name": {"kk": "Тағы"}, "chat_id": 5, "fallback": True, "regions": []}
    )
    _write(tree, desks)
    errors = "\n".join(_errors(validate(tree)))
    for expected in (
        "desk abai: region 'mars' is not in content/resources.yml",
        "hours.start '9' is not HH:MM",
        "hours.days: use mon,tue,wed,thu,fri,sat,sun",
        "unknown time zone 'Asia/Nowhere'",
        "desk national: region 'abai' is served by desk abai already",
        "desk national: its chat id is used twice",
        "desk id 'abai' is used twice",
        "desk abai: a group's chat id is a negative number",
        "desk abai: the name in ru is missing",
        "exactly one desk must be the fallback (`fallback: true`); found national, abai",
    ):
        assert expected in errors, expected
    assert "content/desks.yml:" in errors


def test_no_desks_yml_is_no_error(tree: Path) -> None:
    report = validate(tree)
    assert _errors(report) == []
    assert "desks" not in report.checked


# --- staff of desks, cases between desks (the database, no Telegram) -----------------


async def test_staff_belong_to_their_desks_and_a_case_moves_once(
    tmp_path: Path, session: AsyncSession
) -> None:
    directory = DeskDirectory.load(_settings(tmp_path, _desks()), REGIONS)
    assert directory is not None
    staff = StaffService(session)
    aigerim = await staff.add(501, "counselor", "Айгерім", desks=["abai"])
    everyone = await staff.add(502, "supervisor", "Ержан")
    assert await staff.desks_of(aigerim) == {"abai"}
    assert await staff.desks_of(everyone) == frozenset()  # every desk, as before desks
    abai, national = directory.by_id("abai"), directory.by_id("national")
    assert directory.belongs(await staff.desks_of(aigerim), abai)
    assert not directory.belongs(await staff.desks_of(aigerim), national)
    assert directory.belongs(await staff.desks_of(everyone), national)
    # Adding again without --desk keeps the desks.
    await staff.add(501, "counselor", "Айгерім")
    assert await staff.desks_of(aigerim) == {"abai"}

    citizen = await CitizenService(session).get_or_create(9001)
    cases = CaseService(session)
    case = (
        await cases.open(citizen, lang="kk", route=Route.CRISIS, intent=None, desk_id="national")
    ).case
    await cases.attach_topic(case, 40, 41)
    assert await cases.by_topic(40, national.scope) is not None
    assert await cases.by_topic(40, abai.scope) is None  # topic 40 of another group
    assert [c.id for c in await cases.queue(abai.scope)] == []
    moves = DeskCaseService(session)
    assert await moves.move(case, "abai", actor=None, why="region")
    assert case.desk_id == "abai"
    assert case.topic_id is None  # its topic in the Abai group is made afresh
    # A second mover that read the case in the national desk before the move: refused.
    assert not await CaseRepository(session).move(case.id, "national", "abai")
    assert not await moves.move(case, "abai", actor=None, why="region")  # already there
    assert [c.id for c in await cases.queue(abai.scope)] == [case.id]


async def test_an_unclaimed_urgent_case_is_announced_to_the_fallback_once(
    tmp_path: Path, session: AsyncSession
) -> None:
    directory = DeskDirectory.load(_settings(tmp_path, _desks()), REGIONS)
    assert directory is not None
    citizen = await CitizenService(session).get_or_create(9002)
    case = (
        await CaseService(session).open(
            citizen, lang="ru", route=Route.CRISIS, intent=None, desk_id="abai"
        )
    ).case
    # Monday 12:00 in Almaty: Abai is open; urgent SLA 3 minutes.
    opened = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    case.opened_at = opened
    await session.commit()
    soon = DeskCaseService(session, now=lambda: opened + timedelta(minutes=2))
    assert await soon.due_fallback(directory) == []
    late = DeskCaseService(session, now=lambda: opened + timedelta(minutes=4))
    assert [c.id for c in await late.due_fallback(directory)] == [case.id]
    assert await late.mark_fallback_announced(case)
    assert not await late.mark_fallback_announced(case)
    assert await late.due_fallback(directory) == []
    assert directory.in_reach(case, directory.fallback)  # announced: the fallback may take it


async def test_a_case_is_transferred_only_to_staff_of_its_desk(session: AsyncSession) -> None:
    staff = StaffService(session)
    abai_counselor = await staff.add(511, "counselor", "Айгерім", desks=["abai"])
    national_counselor = await staff.add(512, "counselor", "Дана", desks=["national"])
    supervisor = await staff.add(513, "supervisor", "Ержан")  # every desk
    citizen = await CitizenService(session).get_or_create(9011)
    cases = CaseService(session)
    case = (
        await cases.open(citizen, lang="ru", route=Route.ESCALATE, intent=None, desk_id="abai")
    ).case
    offered = {m.id for m in await cases.transfer_targets(case)}
    assert offered == {abai_counselor.id, supervisor.id}
    # A forged button naming someone of another desk: refused, the case stays waiting.
    refused = await cases.transfer(case.id, supervisor, national_counselor)
    assert refused.refusal is Refusal.BAD_TARGET
    assert (await cases.get(case.id)).holder_id is None  # type: ignore[union-attr]
    given = await cases.transfer(case.id, supervisor, abai_counselor)
    assert given.refusal is None
    assert (await cases.get(case.id)).holder_id == abai_counselor.id  # type: ignore[union-attr]
