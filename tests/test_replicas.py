"""Two bot processes in webhook mode on PostgreSQL and Redis, for real: the Bot API
emulator delivers every update to a random replica (some twice), with Telegram's
send limits in real time. A whole case: a conversation, the case opened, Take by
two counselors at once on the two replicas, relay both ways with one replica
killed (SIGKILL) in the middle, close and rating. Nothing is lost or doubled, the
emulator refuses no send (the replicas share their limits), and forged webhook
requests are refused.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bench.cluster import Cluster, case_desk_env, forged_statuses, store
from bench.common import wait_until
from bot.db.engine import create_engine, session_factory
from bot.services.staff import StaffService
from devkit.emulator import RateLimits, SentMessage, TelegramEmulator
from tests.conftest import port_open, require

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TOKEN = "123456:replicas"
GROUP = -1009876543210
CITIZEN, AIGERIM, IVAN = 1002, 2001, 2002


class Replicas:
    def __init__(self, emulator: TelegramEmulator, cluster: Cluster) -> None:
        self.emulator = emulator
        self.cluster = cluster

    async def until(self, check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
        recent = [f"{m.chat_id}: {(m.text or '')[:50]}" for m in self.emulator.sent[-10:]]
        return await wait_until(check, timeout, f"{what}; {recent}")

    def to_citizen(self) -> list[SentMessage]:
        return self.emulator.messages_to(CITIZEN, edits=False)

    async def press(self, user: int, message: SentMessage, label: str, chat: int) -> str:
        assert message.message_id is not None
        query = self.emulator.press_button(
            user, message.message_id, message.button(label)["callback_data"], chat_id=chat
        )
        answer = await self.until(
            lambda: next((a for a in self.emulator.callback_answers if a.query_id == query), None),
            f"the answer to {label}",
        )
        return str(answer.text or "")

    async def last_with(self, chat: int, part: str, thread: int | None = None) -> SentMessage:
        def find() -> SentMessage | None:
            sent = self.emulator.messages_to(chat, thread)
            return next((m for m in reversed(sent) if part in str(m.reply_markup)), None)

        found: SentMessage = await self.until(find, f"a message with {part!r}")
        return found


@pytest.fixture
async def replicas() -> AsyncIterator[Replicas]:
    require("PostgreSQL", port_open("127.0.0.1", 5432), "expected on 127.0.0.1:5432, db test")
    require("Redis", port_open("127.0.0.1", 6379), "expected on 127.0.0.1:6379")
    with tempfile.TemporaryDirectory(prefix="kenes-replicas-") as tmp:
        async with store(Path(tmp), shared=True) as where:
            engine = create_engine(where.database_url)
            async with session_factory(engine)() as session:
                await StaffService(session).add(AIGERIM, "counselor", "Айгерим")
                await StaffService(session).add(IVAN, "counselor", "Иван")
            await engine.dispose()
            # Telegram's limits, in real time: a send over them gets 429.
            async with TelegramEmulator(rate_limits=RateLimits()) as emulator:
                emulator.add_bot(TOKEN, bot_id=123456, username="kenes_bot", first_name="Kenes")
                emulator.add_user(CITIZEN, "Pyotr")
                emulator.add_user(AIGERIM, "Aigerim")
                emulator.add_user(IVAN, "Ivan")
                emulator.add_group(GROUP, "counselors", members=[AIGERIM, IVAN])
                emulator.webhook_random = random.Random(5)
                env = case_desk_env(emulator, where, token=TOKEN, group=GROUP)
                cluster = Cluster(emulator, env, Path(tmp), count=2, webhook=True)
                try:
                    await cluster.start_all()
                    yield Replicas(emulator, cluster)
                finally:
                    cluster.kill_all()
                log = cluster.logs()
                assert "ERROR" not in log, log[-3000:]


async def test_a_whole_case_across_two_replicas_with_one_killed(replicas: Replicas) -> None:
    r, emulator = replicas, replicas.emulator
    # The conversation: language, notice, a question; each reply once.
    emulator.send_text(CITIZEN, "/start")
    prompt = await r.last_with(CITIZEN, "Русский")
    await r.press(CITIZEN, prompt, "Русский", CITIZEN)
    notice = await r.last_with(CITIZEN, "Понятно")
    await r.press(CITIZEN, notice, "Понятно", CITIZEN)
    emulator.send_text(CITIZEN, "/human")
    thread = int(await r.until(lambda: next(iter(emulator.forum_topics(GROUP)), None), "a topic"))
    card = await r.last_with(GROUP, "Взять", thread)

    # Take by two counselors at once, one on each replica (in turn, not at random).
    emulator.webhook_random = None
    assert card.message_id is not None
    data = card.button("Взять")["callback_data"]
    queries = [
        emulator.press_button(u, card.message_id, data, chat_id=GROUP) for u in (AIGERIM, IVAN)
    ]
    answers = await r.until(
        lambda: (
            [a for a in emulator.callback_answers if a.query_id in queries]
            if sum(a.query_id in queries for a in emulator.callback_answers) == 2
            else None
        ),
        "both answers to Take",
    )
    texts = sorted(str(a.text) for a in answers)
    assert texts[0] == "Обращение за вами."
    assert texts[1].startswith("Это обращение уже ведёт ")
    emulator.webhook_random = random.Random(6)
    holder = next(a.user_id for a in answers if a.text == "Обращение за вами.")
    await r.until(
        lambda: any("теперь с вами" in (m.text or "") for m in r.to_citizen()), "the joined notice"
    )

    # Relay both ways, a fifth of the updates delivered twice; replica 0 killed midway.
    rng = random.Random(8)
    citizen_sent: list[int] = []
    counselor_sent: list[int] = []
    for i in range(6):
        if i % 2 == 0:
            citizen_sent.append(emulator.send_text(CITIZEN, f"вопрос {i}")["message_id"])
        else:
            sent = emulator.send_text(holder, f"ответ {i}", chat_id=GROUP, message_thread_id=thread)
            counselor_sent.append(sent["message_id"])
        if rng.random() < 0.2:
            emulator.deliver_raw(emulator.updates_offered[-1])
        if i == 2:
            r.cluster.kill(0)
        await asyncio.sleep(rng.uniform(0.05, 0.3))
    await r.cluster.start(0)

    def arrived() -> bool:
        topic = [m.source_message_id for m in emulator.messages_to(GROUP, thread, edits=False)]
        out = [m.source_message_id for m in r.to_citizen()]
        return all(topic.count(m) >= 1 for m in citizen_sent) and all(
            out.count(m) >= 1 for m in counselor_sent
        )

    await r.until(arrived, "every message on the other side", timeout=90)
    await asyncio.sleep(2.0)  # a late double would show now
    topic = [m.source_message_id for m in emulator.messages_to(GROUP, thread, edits=False)]
    out = [m.source_message_id for m in r.to_citizen()]
    assert [topic.count(m) for m in citizen_sent] == [1] * len(citizen_sent)
    assert [out.count(m) for m in counselor_sent] == [1] * len(counselor_sent)
    joined = [m for m in r.to_citizen() if "теперь с вами" in (m.text or "")]
    assert len(joined) == 1

    # Close with an outcome; the citizen rates once.
    card = await r.last_with(GROUP, "Закрыть", thread)
    await r.press(holder, card, "Закрыть", GROUP)
    picker = await r.last_with(GROUP, "очную", thread)
    await r.press(holder, picker, "очную", GROUP)
    rating = await r.until(
        lambda: next((m for m in r.to_citizen() if m.buttons and "5" in (m.text or "")), None),
        "the rating prompt",
    )
    assert (
        await r.press(CITIZEN, rating, rating.buttons[4]["text"], CITIZEN) == "Спасибо за оценку!"
    )
    assert emulator.rejected() == 0, [e.description for e in emulator.errors]

    # Forged webhook requests change nothing (counted once the close's own sends,
    # such as the card's last edit, have all arrived: 1 s without a new one).
    await emulator.wait_quiet(quiet=1.0, timeout=60.0)
    before = len(emulator.sent)
    forged = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "x",
            "chat": {"id": CITIZEN, "type": "private"},
        },
    }
    statuses = await forged_statuses(r.cluster.ports, forged)
    assert statuses == [401] * 4
    await emulator.wait_quiet(quiet=0.5, timeout=60.0)
    assert len(emulator.sent) == before
