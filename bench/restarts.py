"""Kill the bot at random moments while a citizen and a counselor write in a case,
and count what arrived: once, twice or never.

The bot runs as its own process (`python -m bot run`), polling the Bot API
emulator run here, on a SQLite file; or, with `--replicas 2`, as two webhook
replicas on a PostgreSQL database and Redis of their own, the emulator
delivering each update to a random replica (and some twice). A citizen opens a
case, a counselor takes it; then for each round both write a few messages, the
bot (one random replica) is killed with SIGKILL at a random moment (or, in the
last round, stopped with SIGINT 2 s after a burst of 20 citizen messages held
back by the staff group's send limit) and started again. At the end every
message is looked up on the other side. It prints numbers; it asserts nothing
(tests/test_restarts.py does).

    .venv/bin/python -m bench.restarts [--rounds 30] [--seed 1] [--replicas 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.cluster import Cluster, case_desk_env, store
from bench.common import wait_until
from bot.db.engine import create_engine, session_factory
from bot.services.staff import StaffService
from devkit.emulator import RateLimits, TelegramEmulator

TOKEN = "123456:restart-bench"
BOT_ID = 123456
GROUP = -1009876543210
CITIZEN, COUNSELOR = 1002, 2002


@dataclass
class Tally:
    """How often each message sent on one side reached the other."""

    citizen_to_topic: Counter[int] = field(default_factory=Counter)
    counselor_to_citizen: Counter[int] = field(default_factory=Counter)
    kills: int = 0
    graceful_stops: int = 0
    graceful_exit_codes: list[int] = field(default_factory=list)
    # The (synthetic) texts that did not arrive exactly once, to tell the rounds apart.
    odd: list[str] = field(default_factory=list)
    # When each SIGKILL or SIGINT hit (emulator clock), to tell a copy that was on
    # the wire when its replica died from a double with no kill near it.
    stops: list[float] = field(default_factory=list)

    def describe(self, what: str, times: list[float]) -> str:
        """`what` with its copies' times and the stop nearest before each later copy."""
        line = f"{what} x{len(times)} at " + ", ".join(f"{t:.2f} s" for t in times)
        for later in sorted(times)[1:]:
            before = [t for t in self.stops if t <= later]
            if before:
                gap = later - before[-1]
                line += f"; a replica stopped {gap:.2f} s before the copy at {later:.2f} s"
        return line

    @staticmethod
    def _line(name: str, counts: Counter[int]) -> str:
        once = sum(1 for n in counts.values() if n == 1)
        twice = sum(1 for n in counts.values() if n > 1)
        lost = sum(1 for n in counts.values() if n == 0)
        return f"{name}: {len(counts)} sent, {once} once, {twice} more than once, {lost} lost"

    def lost_or_doubled(self) -> int:
        both = [*self.citizen_to_topic.values(), *self.counselor_to_citizen.values()]
        return sum(1 for n in both if n != 1)

    def report(self) -> str:
        return "\n".join(
            [
                f"{self.kills} SIGKILLs, {self.graceful_stops} graceful stop(s) under load "
                f"(exit codes {self.graceful_exit_codes})",
                self._line("citizen -> topic", self.citizen_to_topic),
                self._line("counselor -> citizen", self.counselor_to_citizen),
                *(f"  not exactly once: {text}" for text in self.odd),
            ]
        )


def _button(message: Any, part: str) -> str:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if part in button.get("text", ""):
                return str(button["callback_data"])
    raise LookupError(part)


async def run(
    rounds: int = 30,
    seed: int = 1,
    *,
    scale: float = 4.0,
    replicas: int = 1,
    keep_log: Path | None = None,
) -> Tally:
    """`rounds` SIGKILLs and one graceful stop; `scale` speeds the bot's send limits;
    `replicas` > 1: webhook replicas on PostgreSQL and Redis."""
    rng = random.Random(seed)
    tally = Tally()
    webhook = replicas > 1
    with tempfile.TemporaryDirectory(prefix="kenes-restarts-") as tmp:
        async with store(Path(tmp), shared=webhook) as where:
            engine = create_engine(where.database_url)
            async with session_factory(engine)() as session:
                await StaffService(session).add(COUNSELOR, "counselor", "Иван")
            await engine.dispose()
            emulator = TelegramEmulator(rate_limits=RateLimits.unlimited())
            async with emulator:
                emulator.add_bot(TOKEN, bot_id=BOT_ID, username="kenes_bench_bot", first_name="K")
                emulator.add_user(CITIZEN, "Pyotr")
                emulator.add_user(COUNSELOR, "Ivan")
                emulator.add_group(GROUP, "counselors", members=[COUNSELOR])
                if webhook:
                    emulator.webhook_random = random.Random(seed)
                env = case_desk_env(
                    emulator,
                    where,
                    token=TOKEN,
                    group=GROUP,
                    RATE_LIMIT_SCALE=str(scale),
                    CASE_INACTIVITY_MINUTES="600",
                )
                cluster = Cluster(emulator, env, Path(tmp), count=replicas, webhook=webhook)
                try:
                    await cluster.start_all()
                    await _rounds(emulator, cluster, tally, rng, rounds)
                finally:
                    cluster.kill_all()
                    if keep_log is not None:
                        await asyncio.to_thread(keep_log.write_text, cluster.logs())
    return tally


async def _rounds(
    emulator: TelegramEmulator, cluster: Cluster, tally: Tally, rng: random.Random, rounds: int
) -> None:
    thread = await _open_and_take(emulator)
    citizen_sent: list[int] = []
    counselor_sent: list[int] = []
    for round_ in range(rounds):
        for i in range(rng.randint(2, 6)):
            if rng.random() < 0.5:
                m = emulator.send_text(CITIZEN, f"гражданин {round_}.{i}")
                citizen_sent.append(m["message_id"])
            else:
                m = emulator.send_text(
                    COUNSELOR, f"консультант {round_}.{i}", chat_id=GROUP, message_thread_id=thread
                )
                counselor_sent.append(m["message_id"])
            if cluster.webhook and rng.random() < 0.2:
                emulator.deliver_raw(emulator.updates_offered[-1])  # delivered twice
            await asyncio.sleep(rng.uniform(0.0, 0.3))
        await asyncio.sleep(rng.uniform(0.0, 1.5))
        victim = rng.randrange(cluster.count)
        tally.stops.append(emulator.clock.now())
        cluster.kill(victim)
        tally.kills += 1
        await cluster.start(victim)
    # A burst held back by the staff group's limit, then SIGINT 2 s later.
    burst = [emulator.send_text(CITIZEN, f"поток {i}")["message_id"] for i in range(20)]
    citizen_sent += burst
    print(f"burst before the graceful stop: messages {burst[0]}..{burst[-1]}")
    await asyncio.sleep(2.0)
    victim = rng.randrange(cluster.count)
    tally.stops.append(emulator.clock.now())
    tally.graceful_exit_codes.append(await cluster.interrupt(victim))
    tally.graceful_stops += 1
    await cluster.start(victim)
    await _settle(emulator, thread, citizen_sent, counselor_sent)
    topic = emulator.messages_to(GROUP, thread, edits=False)
    to_citizen = emulator.messages_to(CITIZEN, edits=False)
    for mid in citizen_sent:
        copies = [m for m in topic if m.source_message_id == mid]
        tally.citizen_to_topic[mid] = len(copies)
        if len(copies) != 1:
            tally.odd.append(tally.describe(f"citizen message {mid}", [m.time for m in copies]))
    for mid in counselor_sent:
        copies = [m for m in to_citizen if m.source_message_id == mid]
        tally.counselor_to_citizen[mid] = len(copies)
        if len(copies) != 1:
            tally.odd.append(tally.describe(f"counselor message {mid}", [m.time for m in copies]))


async def _open_and_take(emulator: TelegramEmulator) -> int:
    emulator.send_text(CITIZEN, "/start")
    prompt = await wait_until(lambda: emulator.messages_to(CITIZEN), 30.0, "the language prompt")
    emulator.press_button(CITIZEN, prompt[-1].message_id, _button(prompt[-1], "Русский"))
    notice = await wait_until(
        lambda: next(
            (m for m in emulator.messages_to(CITIZEN) if "Понятно" in str(m.reply_markup)), None
        ),
        30.0,
        "the privacy notice",
    )
    emulator.press_button(CITIZEN, notice.message_id, _button(notice, "Понятно"))
    await asyncio.sleep(1.0)
    emulator.send_text(CITIZEN, "/human")
    thread = await wait_until(
        lambda: next(iter(emulator.forum_topics(GROUP)), None), 30.0, "the case's topic"
    )
    card = await wait_until(
        lambda: next(
            (m for m in emulator.messages_to(GROUP, thread) if "Взять" in str(m.reply_markup)),
            None,
        ),
        30.0,
        "the case card",
    )
    emulator.press_button(COUNSELOR, card.message_id, _button(card, "Взять"), chat_id=GROUP)
    await wait_until(
        lambda: any("Иван" in (m.text or "") for m in emulator.messages_to(CITIZEN)),
        30.0,
        "the citizen told who joined",
    )
    return int(thread)


async def _settle(
    emulator: TelegramEmulator, thread: int, citizen: list[int], counselor: list[int]
) -> None:
    """Wait until every message is on the other side, or nothing changed for 10 s."""
    wanted_in, wanted_out = set(citizen), set(counselor)
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 10.0:
        topic = {m.source_message_id for m in emulator.messages_to(GROUP, thread)}
        out = {m.source_message_id for m in emulator.messages_to(CITIZEN)}
        if wanted_in <= topic and wanted_out <= out:
            await asyncio.sleep(1.0)  # a late duplicate would show now
            return
        if len(emulator.sent) != last:
            last, quiet_since = len(emulator.sent), time.monotonic()
        await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.restarts", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=4.0, help="send limits sped up by")
    parser.add_argument(
        "--replicas", type=int, default=1, help="webhook replicas on PostgreSQL and Redis (2+)"
    )
    parser.add_argument("--keep-log", type=Path, help="copy the bot's log here")
    args = parser.parse_args()
    started = time.monotonic()
    tally = asyncio.run(
        run(
            args.rounds,
            args.seed,
            scale=args.scale,
            replicas=args.replicas,
            keep_log=args.keep_log,
        )
    )
    print(tally.report())
    print(f"{time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
