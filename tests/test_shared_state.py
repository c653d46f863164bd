"""What several replicas share in Redis: the conversation memory of the safety
net, flood control, the outgoing send limits and each conversation's order.

Every test uses a Redis key prefix of its own on the real Redis of this
machine; two objects built on two clients stand for two replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from redis.asyncio import Redis

from bot.app import REDIS_CONNECTIONS, create_redis
from bot.config import Settings
from bot.db.engine import session_factory
from bot.services.flood import Flood, RedisFloodCounter
from bot.services.inbox import Accepted, InboxService, chat_key
from bot.services.memory import RedisConversationMemory
from bot.telegram.limits import RateLimiter, SharedBuckets, SharedLimits
from bot.telegram.ordering import ChatLocks
from bot.telegram.polling import DurablePolling
from devkit.emulator import RateLimits, TelegramEmulator
from tests.conftest import REDIS_URL, port_open, require

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_pair() -> AsyncIterator[tuple[Redis, Redis, str]]:
    """Two clients (two replicas) and a key prefix of this test's own."""
    require("Redis", port_open("127.0.0.1", 6379), "expected on 127.0.0.1:6379")
    one, two = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    try:
        yield one, two, prefix
    finally:
        keys = [key async for key in one.scan_iter(f"*{prefix}*")]
        if keys:
            await one.delete(*keys)
        await one.aclose()
        await two.aclose()


async def test_conversation_memory_is_shared_and_short(
    redis_pair: tuple[Redis, Redis, str],
) -> None:
    one, two, prefix = redis_pair
    a = RedisConversationMemory(one, prefix=prefix)
    b = RedisConversationMemory(two, prefix=prefix)
    await a.remember(7, "брат уехал")
    await b.remember(7, "к братьям")
    assert await a.recent(7) == ["брат уехал", "к братьям"]
    assert await b.recent(8) == []
    for i in range(6):
        await b.remember(7, f"m{i}")
    assert await a.recent(7) == [f"m{i}" for i in range(1, 6)]  # the last five
    key = f"{prefix}:memory:7"
    assert 0 < await one.ttl(key) <= 601  # gone with the window, even untouched
    # The language streak counts across replicas and resets on the chosen language.
    assert await a.note_language(7, other=True) == 1
    assert await b.note_language(7, other=True) == 2
    assert await a.note_language(7, other=False) == 0
    await b.forget(7)
    assert await a.recent(7) == []
    assert await one.exists(key, f"{prefix}:language-streak:7") == 0


async def test_memory_window_drops_old_messages(redis_pair: tuple[Redis, Redis, str]) -> None:
    one, _, prefix = redis_pair
    memory = RedisConversationMemory(one, window_seconds=1, prefix=prefix)
    await memory.remember(9, "old")
    await asyncio.sleep(1.1)
    await memory.remember(9, "new")
    assert await memory.recent(9) == ["new"]


async def test_flood_is_counted_across_replicas(redis_pair: tuple[Redis, Redis, str]) -> None:
    one, two, prefix = redis_pair
    a = RedisFloodCounter(one, burst=6, per_seconds=10, prefix=prefix)
    b = RedisFloodCounter(two, burst=6, per_seconds=10, prefix=prefix)
    seen = [await (a if i % 2 else b).note(5) for i in range(9)]
    assert seen[:6] == [Flood(False, False)] * 6
    assert seen[6] == Flood(True, True)  # the first of the flood is answered, once
    assert seen[7:] == [Flood(True, False)] * 2
    assert await a.note(6) == Flood(False, False)  # another person is not flooding


async def _sender(emulator: TelegramEmulator, buckets: SharedBuckets) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    session.middleware(RateLimiter(buckets=buckets))
    return Bot("42:shared", session=session)


async def test_two_replicas_keep_telegrams_limits_together(
    redis_pair: tuple[Redis, Redis, str],
) -> None:
    """Two replicas sending at once: the emulator (Telegram's limits, real time) sees
    no more than 30 a second and refuses nothing; the limiter queues instead."""
    one, two, prefix = redis_pair
    async with TelegramEmulator(rate_limits=RateLimits()) as emulator:
        emulator.add_bot("42:shared", bot_id=42)
        citizens = list(range(100, 160))
        for user in citizens:
            emulator.add_user(user, f"c{user}")
            emulator.send_text(user, "hi")
        bots = [
            await _sender(emulator, SharedBuckets(one, prefix=prefix)),
            await _sender(emulator, SharedBuckets(two, prefix=prefix)),
        ]
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            # 60 chats, one message each, half from each replica; and 6 to one chat.
            sends = [bots[i % 2].send_message(user, "ответ") for i, user in enumerate(citizens)]
            sends += [bots[i % 2].send_message(citizens[0], f"ещё {i}") for i in range(6)]
            await asyncio.gather(*sends)
            elapsed = loop.time() - started
        finally:
            for bot in bots:
                await bot.session.close()
        assert emulator.rejected() == 0, [e.description for e in emulator.errors]
        assert len(emulator.counted_sends) == 66
        # Counted on arrival, so a request's own delay may bunch two of the limiter's
        # windows together; Telegram's buckets (the emulator's) take that, as above.
        assert emulator.busiest(3.0, chat_id=citizens[0]) <= 6
        assert elapsed >= 5.5  # one chat's 7 at 3 in any 3 s: at 0, 3 and 6 s


async def test_hundreds_waiting_for_their_send_slot_keep_the_shared_limits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The replica's own client under load: far more sends waiting at once than it
    has connections. Each waits for a free connection; none makes the replica drop
    to its own limits (bench/replicas.py met 429s from exactly that)."""
    require("Redis", port_open("127.0.0.1", 6379), "expected on 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    redis = create_redis(Settings(_env_file=None, redis_url=REDIS_URL))
    assert redis is not None
    buckets = SharedBuckets(redis, SharedLimits(scale=40.0), prefix=prefix)
    halted = asyncio.Event()
    waiting = REDIS_CONNECTIONS * 6
    try:
        with caplog.at_level("WARNING"):
            await asyncio.wait_for(
                asyncio.gather(*(buckets.acquire(1000 + i, halted) for i in range(waiting))),
                60,
            )
    finally:
        keys = [key async for key in redis.scan_iter(f"*{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    assert [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []


async def test_replicas_that_keep_their_own_limits_meet_429s() -> None:
    """The control for the test above: each replica pacing itself alone sends one
    chat more than Telegram takes."""
    async with TelegramEmulator(rate_limits=RateLimits()) as emulator:
        emulator.add_bot("42:shared", bot_id=42)
        emulator.add_user(7, "Citizen")
        emulator.send_text(7, "hi")
        bots = []
        for _ in range(2):
            session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
            session.middleware(RateLimiter())
            bots.append(Bot("42:shared", session=session))
        try:
            await asyncio.gather(*(bots[i % 2].send_message(7, f"m{i}") for i in range(7)))
        finally:
            for bot in bots:
                await bot.session.close()
    assert emulator.rejected() >= 1
    assert len(emulator.messages_to(7)) == 7  # retried after retry_after


async def test_without_redis_a_replica_keeps_its_own_limits() -> None:
    """Redis unreachable: the send still goes out, paced by the replica alone."""
    gone = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    async with TelegramEmulator(rate_limits=RateLimits()) as emulator:
        emulator.add_bot("42:shared", bot_id=42)
        emulator.add_user(7, "Citizen")
        emulator.send_text(7, "hi")
        bot = await _sender(emulator, SharedBuckets(gone, prefix="unused"))
        try:
            await asyncio.gather(*(bot.send_message(7, f"m{i}") for i in range(3)))
        finally:
            await bot.session.close()
            await gone.aclose()
    assert len(emulator.messages_to(7)) == 3
    assert emulator.rejected() == 0


def _update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "text": text,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "C"},
        },
    }


@pytest.mark.usefixtures("migrated_engine")
async def test_a_conversation_is_handled_in_order_across_replicas(
    redis_pair: tuple[Redis, Redis, str], settings: Settings
) -> None:
    """Each update of two chats goes to a random one of two replicas, some twice; the
    handlers take random time. Each chat's messages are handled once, in order."""
    from bot.db.engine import create_engine

    one, two, prefix = redis_pair
    handled: list[tuple[int, str]] = []
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    rng = random.Random(3)

    def dispatcher() -> Dispatcher:
        dp = Dispatcher()

        @dp.message()
        async def record(message: Message) -> None:
            await asyncio.sleep(rng.uniform(0, 0.15))
            handled.append((message.chat.id, message.text or ""))

        return dp

    bot = Bot("42:order")
    replicas = []
    for client, name in ((one, "a"), (two, "b")):
        inbox = InboxService(sessions, f"replica-{name}")
        poller = DurablePolling(
            dispatcher(),
            bot,
            inbox,
            allowed_updates=["message"],
            order=ChatLocks(client, prefix=prefix),
        )
        replicas.append((inbox, poller))
    try:
        raws = [_update(1000 + i, 500 + i % 2, f"m{i}") for i in range(30)]
        for raw in raws:
            for _ in range(2 if rng.random() < 0.2 else 1):  # a redelivery, maybe elsewhere
                inbox, poller = rng.choice(replicas)
                for accepted in await inbox.accept([raw]):
                    poller.start(accepted)
            await asyncio.sleep(rng.uniform(0, 0.005))
        for _ in range(500):
            if len(handled) >= 30 and not any(p.tasks for _, p in replicas):
                break
            await asyncio.sleep(0.02)
    finally:
        await bot.session.close()
        await engine.dispose()
    for chat in (500, 501):
        texts = [text for c, text in handled if c == chat]
        assert texts == [f"m{i}" for i in range(30) if 500 + i % 2 == chat]
    assert chat_key(raws[0]) == "p:500"


@pytest.mark.usefixtures("migrated_engine")
async def test_a_crisis_is_answered_while_redis_is_down(settings: Settings) -> None:
    """REDIS_URL set but Redis unreachable: the FSM, memory, flood control, order and
    limits all degrade to this process; the numbers and the answer still come."""
    from tests.fakes import KeywordNLU
    from tests.harness import running_bot

    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    async with running_bot(down, nlu=KeywordNLU()) as bot:
        numbers, answer = await bot.say(1002, "жить не хочу", count=2, timeout=30)
        assert "112" in (numbers.text or "")
        assert answer.text
        [reply] = await bot.say(1002, "закон о религии", timeout=30)
        assert reply.text


async def test_a_conversation_lock_outlives_its_holder_only_briefly(
    redis_pair: tuple[Redis, Redis, str],
) -> None:
    """A live holder keeps the lock past its expiry; a dead one (it stopped extending
    it) frees it within the expiry."""
    one, two, prefix = redis_pair
    a, b = ChatLocks(one, prefix=prefix, expiry=0.6), ChatLocks(two, prefix=prefix, expiry=0.6)
    held = await a.acquire("p:1")
    waiter = asyncio.create_task(b.acquire("p:1"))
    await asyncio.sleep(1.5)  # more than twice the expiry: the holder extends it
    assert not waiter.done()
    await held.release()
    second = await asyncio.wait_for(waiter, 1.0)
    second._keeper.cancel()  # the holder dies: nobody extends the lock any more
    loop = asyncio.get_running_loop()
    started = loop.time()
    third = await asyncio.wait_for(a.acquire("p:1"), 3.0)
    assert loop.time() - started <= 1.0
    await third.release()


async def test_a_keeper_that_swallows_its_cancellation_still_frees_the_lock(
    redis_pair: tuple[Redis, Redis, str],
) -> None:
    """With the Redis pool saturated a cancelled redis-py call sometimes returns as if
    nothing happened; the keeper extending a held lock must stop all the same, or the
    conversation's next message waits for ever."""
    one, two, prefix = redis_pair
    a, b = ChatLocks(one, prefix=prefix, expiry=0.6), ChatLocks(two, prefix=prefix, expiry=0.6)
    held = await a.acquire("p:7")
    extending = asyncio.Event()

    async def stubborn_reacquire() -> bool:
        extending.set()
        with contextlib.suppress(asyncio.CancelledError):  # as the pool sometimes does
            await asyncio.sleep(0.5)
        return True

    held._lock.reacquire = stubborn_reacquire  # type: ignore[method-assign,assignment]
    await asyncio.wait_for(extending.wait(), 2.0)  # the keeper's call is in flight
    await asyncio.wait_for(held.release(), 3.0)
    again = await asyncio.wait_for(b.acquire("p:7"), 1.0)
    await again.release()
    await asyncio.sleep(0.3)
    assert held._keeper.done()


@pytest.mark.usefixtures("migrated_engine")
async def test_an_update_is_handled_once_when_its_lock_expires_under_a_slow_holder(
    redis_pair: tuple[Redis, Redis, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder of a conversation's lock stops extending it (its Redis calls wait
    behind others) while it handles a slow message; the next message's task gets the
    lock and reads the backlog, which still holds the slow one. Each is handled once."""
    from bot.db.engine import create_engine
    from bot.telegram import ordering

    async def no_extension(self: ordering.HeldLock, expiry: float) -> None:
        await self._stopped.wait()

    monkeypatch.setattr(ordering.HeldLock, "_keep", no_extension)
    one, _, prefix = redis_pair
    handled: list[str] = []
    engine = create_engine(settings.database_url)
    dp = Dispatcher()

    @dp.message()
    async def record(message: Message) -> None:
        if message.text == "slow":
            await asyncio.sleep(1.0)  # beyond the lock's expiry of 0.3 s
        handled.append(message.text or "")

    bot = Bot("42:order")
    inbox = InboxService(session_factory(engine), "replica-a")
    poller = DurablePolling(
        dp, bot, inbox, allowed_updates=["message"], order=ChatLocks(one, prefix=prefix, expiry=0.3)
    )
    try:
        for raw in (_update(3000, 700, "slow"), _update(3001, 700, "quick")):
            for accepted in await inbox.accept([raw]):
                poller.start(accepted)
            await asyncio.sleep(0.1)
        for _ in range(200):
            if not poller.tasks:
                break
            await asyncio.sleep(0.02)
        assert await inbox.take_unfinished(all_of_them=True) == []
        # A backlog read just before an update finished hands it over once more.
        await poller._process(Accepted(3001, _update(3001, 700, "quick")))
    finally:
        await bot.session.close()
        await engine.dispose()
    assert sorted(handled) == ["quick", "slow"]
