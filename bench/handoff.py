"""Relay overhead of the case desk: a citizen's message in, its copy in the topic.

The bot runs as its own process (`python -m bot run`), long polling a local
Bot API emulator, with a staff forum group and a stub NLU. The benchmark opens
N cases (default 50), has a counselor take every one, then measures, per
citizen message, the time from the update being available to the bot's
copyMessage into the case's topic being accepted (both on the emulator's
clock). It runs twice: one message at a time, then every citizen writing at
once with a think time. Telegram's flood limits are lifted on both sides
(RATE_LIMIT_SCALE, an unlimited emulator) so the figures are the bot's own
cost, not the 20-messages-a-minute group limit. It prints numbers; it asserts
nothing.

    .venv/bin/python -m bench.handoff [--cases 50] [--messages 300] [--think 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
from typing import Any

from bench.common import ROOT, percentile, stub_nlu, wait_until
from bot.db.engine import create_engine, session_factory, upgrade
from bot.services.staff import StaffService
from devkit.emulator import RateLimits, TelegramEmulator

TOKEN = "778:handoff-bench-token"
GROUP = -1009876543210
COUNSELOR = 9001
FIRST_CITIZEN = 60_000
WORDS = [
    "мой сын ушёл в какую-то группу",
    "ұлым бір топқа кіріп кетті",
    "не знаю, что делать",
    "не істерімді білмеймін",
    "спасибо, что слушаете",
    "рахмет",
]


class Relay:
    """Sends a citizen's message and times its copy into the staff group."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self._index = 0

    async def one(self, citizen: int, text: str) -> float:
        started = self.emulator.clock.now()
        sent = self.emulator.send_text(citizen, text)
        message_id = sent["message_id"]

        def copied() -> Any:
            for record in self.emulator.sent[self._index :]:
                if (
                    record.method == "copyMessage"
                    and record.chat_id == GROUP
                    and record.source_chat_id == citizen
                    and record.source_message_id == message_id
                ):
                    return record
            return None

        record = await wait_until(copied, 30.0, "a copy in the topic")
        return float(record.time - started)


async def open_cases(emulator: TelegramEmulator, citizens: list[int]) -> None:
    for citizen in citizens:
        emulator.send_text(citizen, "/human")
    await wait_until(
        lambda: len(emulator.forum_topics(GROUP)) >= len(citizens), 120.0, "all topics"
    )
    cards = await wait_until(
        lambda: (
            found
            if len(
                found := [
                    m
                    for m in emulator.messages_to(GROUP)
                    if m.method == "sendMessage" and m.buttons and m.message_thread_id
                ]
            )
            >= len(citizens)
            else None
        ),
        120.0,
        "all case cards",
    )
    for card in cards:
        take = next(b for b in card.buttons if b["text"].startswith("✋"))
        emulator.press_button(COUNSELOR, card.message_id or 0, take["callback_data"], chat_id=GROUP)
    await wait_until(
        lambda: len(emulator.callback_answers) >= len(citizens), 120.0, "every case taken"
    )


async def run(args: argparse.Namespace) -> None:
    runner, nlu_url = await stub_nlu("greet")
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/handoff.sqlite3"
        await asyncio.to_thread(upgrade, database_url)
        engine = create_engine(database_url)
        async with session_factory(engine)() as session:
            await StaffService(session).add(COUNSELOR, "counselor", "Айгерім")
        await engine.dispose()
        async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emulator:
            emulator.add_bot(TOKEN, bot_id=778, username="kenes_bench_bot", first_name="Kenes")
            emulator.add_user(COUNSELOR, "Counselor")
            citizens = [FIRST_CITIZEN + i for i in range(args.cases)]
            for i, citizen in enumerate(citizens):
                emulator.add_user(citizen, f"Citizen {i}", language_code="kk" if i % 2 else "ru")
            emulator.add_group(GROUP, "Kenes counselors", members=[COUNSELOR])
            env = {
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": emulator.base_url,
                "NLU_URL": nlu_url,
                "DATABASE_URL": database_url,
                "STAFF_CHAT_ID": str(GROUP),
                "RATE_LIMIT_SCALE": "100000",
                "OFFICE_DAYS": "mon,tue,wed,thu,fri,sat,sun",
                "OFFICE_HOURS_START": "00:00",
                "OFFICE_HOURS_END": "00:00",
                "LOG_LEVEL": "WARNING",
            }
            bot = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measuring
                [sys.executable, "-m", "bot", "run", "--no-nlu-server"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
            try:
                await wait_until(
                    lambda: any(r.method == "getUpdates" for r in emulator.requests),
                    60.0,
                    "the bot polling",
                )
                await open_cases(emulator, citizens)
                relay = Relay(emulator)
                rng = random.Random(7)
                for _ in range(20):  # warm-up: connections, caches
                    await relay.one(rng.choice(citizens), rng.choice(WORDS))
                sequential = [
                    await relay.one(rng.choice(citizens), rng.choice(WORDS))
                    for _ in range(args.messages)
                ]
                concurrent: list[float] = []
                per_citizen = max(1, args.messages // len(citizens))

                async def citizen_writes(citizen: int) -> None:
                    own = random.Random(citizen)
                    await asyncio.sleep(own.random() * args.think)
                    for _ in range(per_citizen):
                        concurrent.append(await relay.one(citizen, own.choice(WORDS)))
                        await asyncio.sleep(args.think * (0.5 + own.random()))

                started = emulator.clock.now()
                await asyncio.gather(*(citizen_writes(c) for c in citizens))
                elapsed = emulator.clock.now() - started
            finally:
                bot.terminate()
                bot.wait(15)
            rejected = [(e.method, e.description) for e in emulator.errors]
    await runner.cleanup()

    print(f"{args.cases} open cases, each held by a counselor; stub NLU; SQLite")
    for label, values, extra in (
        ("one message at a time", sequential, ""),
        (
            f"{len(citizens)} citizens at once, think {args.think} s",
            concurrent,
            f", {len(concurrent) / elapsed:.1f} msg/s",
        ),
    ):
        p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
        print(
            f"{label}: {len(values)} messages{extra}; message in -> copy in the topic: "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(values) * 1000:.1f} ms"
        )
    print(f"rejected Bot API calls: {len(rejected)} {rejected[:3] if rejected else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.handoff", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--cases", type=int, default=50, help="open cases (citizens)")
    parser.add_argument("--messages", type=int, default=300, help="messages per run")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between messages")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
