"""Updates are accepted durably before Telegram is told, and handled once.

The bot polls the Bot API emulator as in production. A stop that cannot finish
keeps what it holds in the inbox for the next start; a process that dies keeps
it too (the claim of the dead process is taken over); a redelivered update_id
gives no second reply or copy; an update aiogram cannot decode is skipped and
the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

import bot.app
from bot.config import Settings
from bot.db.engine import create_engine, session_factory
from bot.db.models import InboxUpdate
from bot.services.inbox import InboxService
from tests.fakes import KeywordNLU
from tests.harness import Harness, button, running_bot
from tests.test_handoff_e2e import IVAN, RU_CITIZEN, desk_bot

RU_USER = 1002


@pytest.fixture
def nlu() -> KeywordNLU:
    return KeywordNLU()


@pytest.fixture
async def harness(
    settings: Settings, migrated_engine: object, nlu: KeywordNLU
) -> AsyncIterator[Harness]:
    async with running_bot(settings, nlu=nlu) as running:
        yield running


async def inbox_rows(settings: Settings) -> list[InboxUpdate]:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            result = await session.execute(select(InboxUpdate).order_by(InboxUpdate.update_id))
            return list(result.scalars())
    finally:
        await engine.dispose()


async def start_russian(h: Harness) -> None:
    [prompt] = await h.say(RU_USER, "/start")
    [notice] = await h.press(RU_USER, prompt, button(prompt, "Русский")["callback_data"])
    await h.press(RU_USER, notice, button(notice, "Понятно")["callback_data"], count=2)


async def test_an_update_is_in_the_inbox_before_it_is_handled(
    harness: Harness, nlu: KeywordNLU, settings: Settings
) -> None:
    await start_russian(harness)
    nlu.hold = asyncio.Event()
    calls = nlu.calls
    harness.emulator.send_text(RU_USER, "закон о религии")
    await harness.until(lambda: nlu.calls > calls, what="the update in hand")
    rows = await inbox_rows(harness.settings)
    held = rows[-1]
    assert held.done_at is None
    assert held.payload is not None
    assert "закон о религии" in held.payload
    assert held.claimed_by is not None
    nlu.hold.set()

    async def handled() -> bool:
        return (await inbox_rows(harness.settings))[-1].done_at is not None

    await harness.until(handled, what="the update marked handled")
    row = (await inbox_rows(harness.settings))[-1]
    assert row.outcome == "handled"
    assert row.payload is None  # the citizen's text does not stay in the inbox


async def test_a_stop_keeps_what_it_could_not_finish_for_the_next_start(
    harness: Harness, nlu: KeywordNLU, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_russian(harness)
    monkeypatch.setattr(bot.app, "DRAIN_SECONDS", 0.5)
    nlu.hold = asyncio.Event()
    before = len(harness.emulator.messages_to(RU_USER))
    calls = nlu.calls
    harness.emulator.send_text(RU_USER, "закон о религии")
    await harness.until(lambda: nlu.calls > calls, what="the update in hand")
    await harness.stop()  # the handler is still waiting: cut off after 0.5 s
    assert harness.emulator.messages_to(RU_USER)[before:] == []
    [left] = [r for r in await inbox_rows(harness.settings) if r.done_at is None]
    assert left.claimed_by is None  # released for the next start
    nlu.hold = None
    await harness.start()
    [reply] = await harness.replies(RU_USER, before)
    assert "483-IV" in (reply.text or "")
    await harness.emulator.wait_quiet(quiet=0.5)
    assert len(harness.emulator.messages_to(RU_USER)[before:]) == 1


async def test_a_dead_process_claim_is_taken_over_at_the_next_start(
    harness: Harness, settings: Settings
) -> None:
    """A process killed mid-update leaves its claim; the next start handles it once."""
    await start_russian(harness)
    await harness.stop()
    before = len(harness.emulator.messages_to(RU_USER))
    sent = harness.emulator.send_text(RU_USER, "закон о религии")
    raw = harness.emulator.updates_offered[-1]
    assert raw["message"]["message_id"] == sent["message_id"]
    # What a process that fetched the update and then died leaves behind.
    engine = create_engine(harness.settings.database_url)
    try:
        accepted = await InboxService(session_factory(engine), "dead:1").accept([raw])
        assert [a.update_id for a in accepted] == [raw["update_id"]]
    finally:
        await engine.dispose()
    await harness.start()  # Telegram offers it again too: the inbox knows it
    [reply] = await harness.replies(RU_USER, before)
    assert "483-IV" in (reply.text or "")
    await harness.emulator.wait_quiet(quiet=0.5)
    assert len(harness.emulator.messages_to(RU_USER)[before:]) == 1
    row = next(r for r in await inbox_rows(harness.settings) if r.update_id == raw["update_id"])
    assert row.outcome == "handled"
    assert row.attempts == 2


async def test_a_redelivered_update_gets_no_second_reply(harness: Harness) -> None:
    await start_russian(harness)
    before = len(harness.emulator.messages_to(RU_USER))
    await harness.say(RU_USER, "закон о религии")
    raw = harness.emulator.updates_offered[-1]
    harness.emulator.deliver_raw(raw)  # the same update_id again
    harness.emulator.deliver_raw(raw)
    await harness.say(RU_USER, "спасибо")  # a later update is still handled
    await harness.emulator.wait_quiet(quiet=0.5)
    texts = [m.text or "" for m in harness.emulator.messages_to(RU_USER)[before:]]
    assert len(texts) == 2, texts
    assert "483-IV" in texts[0]


async def test_an_undecodable_update_is_skipped_and_the_others_go_on(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await start_russian(harness)
    # A message without its chat and date: aiogram's Update cannot be built from it.
    bad = harness.emulator.deliver_raw({"message": {"message_id": 5, "text": "секретный текст"}})
    [reply] = await harness.say(RU_USER, "закон о религии")
    assert "483-IV" in (reply.text or "")

    async def skipped() -> InboxUpdate | None:
        rows = [r for r in await inbox_rows(harness.settings) if r.update_id == bad]
        return rows[0] if rows and rows[0].done_at is not None else None

    row = await harness.until(skipped, what="the undecodable update skipped")
    assert row.outcome == "undecodable"
    assert row.payload is None
    assert f"update {bad} skipped" in caplog.text
    assert "секретный текст" not in caplog.text


async def test_a_stop_under_load_loses_no_citizen_message(
    settings: Settings, migrated_engine: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 quick messages in a case behind the staff group's real send limit (about 20 a
    minute); a stop 2 s later. After the restart every one is in the topic, once, in order."""
    monkeypatch.setattr(bot.app, "DRAIN_SECONDS", 1.0)
    async with desk_bot(settings) as desk:
        thread = await desk.open_case(RU_CITIZEN, "ru")
        await desk.take(IVAN, thread, RU_CITIZEN)
        await desk.h.stop()
        desk.h.settings = desk.h.settings.model_copy(update={"rate_limit_scale": 1.0})
        await desk.h.start()
        words = [f"сообщение {i}" for i in range(20)]
        sent = [desk.emulator.send_text(RU_CITIZEN, word) for word in words]
        ids = {s["message_id"] for s in sent}
        await asyncio.sleep(2.0)
        await desk.h.stop()
        copied = [m for m in desk.topic(thread) if m.source_message_id in ids]
        assert len(copied) < 20  # the limit held some back at the stop
        kept = [r for r in await inbox_rows(desk.h.settings) if r.done_at is None]
        assert kept, "what the stop could not send stays in the inbox"
        desk.h.settings = desk.h.settings.model_copy(update={"rate_limit_scale": 1000.0})
        await desk.h.start()

        def all_there() -> list[str] | None:
            texts = [m.text or "" for m in desk.topic(thread) if m.source_message_id in ids]
            return texts if len(texts) >= 20 else None

        texts = await desk.until(all_there, what="all 20 messages in the topic")
        await desk.emulator.wait_quiet(quiet=0.5)
        texts = [m.text or "" for m in desk.topic(thread) if m.source_message_id in ids]
        assert texts == words  # each once, in order
        assert [r for r in await inbox_rows(desk.h.settings) if r.done_at is None] == []
