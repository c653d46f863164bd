"""Several desks end to end, with the Bot API emulator: two staff groups
(Almaty, and the national fallback desk). A citizen of Almaty lands in the
Almaty group, one with no region in the national group; a counselor of the
national desk is refused in the Almaty group's topic."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.db.engine import create_engine, session_factory
from bot.db.models import Citizen
from bot.services.staff import StaffService
from tests.test_handoff_e2e import (
    AIGERIM,
    GROUP,
    IVAN,
    KK_CITIZEN,
    RU_CITIZEN,
    Desk,
    desk_bot,
)

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = -1001000000003


def _content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    desks = {
        "desks": [
            {
                "id": "almaty",
                "name": {"kk": "Алматы", "ru": "Алматы"},
                "chat_id": GROUP,
                "regions": ["almaty"],
            },
            {
                "id": "national",
                "name": {"kk": "Республикалық", "ru": "Республиканский"},
                "chat_id": NATIONAL,
                "regions": ["astana"],
                "fallback": True,
            },
        ]
    }
    (content / "desks.yml").write_text(yaml.safe_dump(desks, allow_unicode=True))
    return content


@pytest.fixture
async def desks(
    settings: Settings, migrated_engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[Desk]:
    async with desk_bot(settings, content_dir=_content(tmp_path)) as running:
        running.emulator.add_group(NATIONAL, "Kenes national", members=[IVAN], administrators=[])
        engine = create_engine(running.h.settings.database_url)
        async with session_factory(engine)() as session:
            staff = StaffService(session)
            await staff.add(AIGERIM, "counselor", "Айгерім", desks=["almaty"])
            await staff.add(IVAN, "counselor", "Иван", desks=["national"])
        await engine.dispose()
        yield running


async def _set_region(desk: Desk, telegram_id: int, region: str) -> None:
    engine = create_engine(desk.h.settings.database_url)
    async with session_factory(engine)() as session:
        await session.execute(
            update(Citizen).where(Citizen.telegram_id == telegram_id).values(region=region)
        )
        await session.commit()
    await engine.dispose()


async def test_an_almaty_citizen_lands_in_the_almaty_group(desks: Desk) -> None:
    await desks.choose(KK_CITIZEN, "kk")
    await _set_region(desks, KK_CITIZEN, "almaty")
    thread = await desks.open_case(KK_CITIZEN, "kk", again=True)
    assert desks.emulator.forum_topics(GROUP)[thread]["name"].startswith("#0001")
    assert desks.emulator.forum_topics(NATIONAL) == {}
    case = await desks.case(id=1)
    assert case.desk_id == "almaty"
    # Иван belongs to the national desk only: refused in the Almaty group's topic.
    base = len(desks.to_citizen(KK_CITIZEN))
    desks.write(IVAN, thread, "Сәлеметсіз бе")
    await desks.until(
        lambda: any("только консультанты" in (m.text or "") for m in desks.topic(thread)),
        what="the refusal in the topic",
    )
    assert len(desks.to_citizen(KK_CITIZEN)) == base


async def test_a_citizen_with_no_region_lands_in_the_fallback_group(desks: Desk) -> None:
    await desks.choose(RU_CITIZEN, "ru")
    await desks.h.say(RU_CITIZEN, "закон о религии")
    await desks.h.say(RU_CITIZEN, "/human")
    thread = await desks.until(
        lambda: next(iter(desks.emulator.forum_topics(NATIONAL)), None), what="a national topic"
    )
    assert thread is not None
    assert desks.emulator.forum_topics(GROUP) == {}
    case = await desks.case(id=1)
    assert case.desk_id == "national"


async def test_the_queue_shows_the_cases_of_ones_own_desks(desks: Desk) -> None:
    await desks.choose(KK_CITIZEN, "kk")
    await _set_region(desks, KK_CITIZEN, "almaty")
    await desks.open_case(KK_CITIZEN, "kk", again=True)
    [almaty] = await desks.h.say(AIGERIM, "/queue", chat_id=GROUP)
    assert "#0001" in (almaty.text or "")
    [national] = await desks.h.say(IVAN, "/queue", chat_id=NATIONAL)
    assert "#0001" not in (national.text or "")
