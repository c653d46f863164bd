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
    .venv/bin/python -m bench.handoff --desks 3 [--cases 150]
    .venv/bin/python -m bench.handoff --compare

With `--desks N` the bot has N desks (a content/desks.yml in a copy of the
content, N staff groups, the citizens' regions spread over them). `--compare`
runs, in one go, 1 desk with 50 open cases and 3 desks with 150, and prints
both side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, percentile, stub_nlu, wait_until
from bot.db.engine import create_engine, session_factory, upgrade
from bot.db.models import Citizen
from bot.services.staff import StaffService
from devkit.emulator import RateLimits, TelegramEmulator

TOKEN = "778:handoff-bench-token"
GROUP = -1009876543210
COUNSELOR = 9001
FIRST_CITIZEN = 60_000
REGIONS = ["almaty", "atyrau", "astana", "shymkent", "abai", "akmola"]


def groups_for(desks: int) -> list[int]:
    return [GROUP - i for i in range(desks)]


def write_desks(content: Path, desks: int) -> None:
    """content/desks.yml with `desks` desks (region i in desk i % desks; the
    last desk is the fallback)."""
    entries = []
    for i, chat_id in enumerate(groups_for(desks)):
        regions = [r for j, r in enumerate(REGIONS) if j % desks == i]
        entries.append(
            {
                "id": f"desk{i}",
                "name": {"kk": f"Desk {i}", "ru": f"Desk {i}"},
                "chat_id": chat_id,
                "regions": regions,
                "fallback": i == desks - 1,
            }
        )
    (content / "desks.yml").write_text(yaml.safe_dump({"desks": entries}), encoding="utf-8")


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

    def __init__(self, emulator: TelegramEmulator, groups: list[int]) -> None:
        self.emulator = emulator
        self.groups = set(groups)
        self._index = 0

    async def one(self, citizen: int, text: str) -> float:
        started = self.emulator.clock.now()
        sent = self.emulator.send_text(citizen, text)
        message_id = sent["message_id"]

        def copied() -> Any:
            for record in self.emulator.sent[self._index :]:
                if (
                    record.method == "copyMessage"
                    and record.chat_id in self.groups
                    and record.source_chat_id == citizen
                    and record.source_message_id == message_id
                ):
                    return record
            return None

        record = await wait_until(copied, 30.0, "a copy in the topic")
        return float(record.time - started)


async def open_cases(emulator: TelegramEmulator, citizens: list[int], groups: list[int]) -> None:
    for citizen in citizens:
        emulator.send_text(citizen, "/human")
    await wait_until(
        lambda: sum(len(emulator.forum_topics(g)) for g in groups) >= len(citizens),
        120.0,
        "all topics",
    )
    cards = await wait_until(
        lambda: (
            found
            if len(
                found := [
                    m
                    for g in groups
                    for m in emulator.messages_to(g)
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
        emulator.press_button(
            COUNSELOR, card.message_id or 0, take["callback_data"], chat_id=card.chat_id
        )
    await wait_until(
        lambda: len(emulator.callback_answers) >= len(citizens), 120.0, "every case taken"
    )


async def run(args: argparse.Namespace) -> list[str]:  # noqa: PLR0915 - one benchmark run, read top to bottom
    runner, nlu_url = await stub_nlu("greet")
    groups = groups_for(args.desks)
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/handoff.sqlite3"
        await asyncio.to_thread(upgrade, database_url)
        content = Path(tmp) / "content"
        extra_env: dict[str, str] = {}
        if args.desks > 1:
            shutil.copytree(ROOT / "content", content)
            write_desks(content, args.desks)
            extra_env["CONTENT_DIR"] = str(content)
        engine = create_engine(database_url)
        async with session_factory(engine)() as session:
            await StaffService(session).add(COUNSELOR, "counselor", "Айгерім")
            for i in range(args.cases):  # regions spread over the desks
                session.add(
                    Citizen(telegram_id=FIRST_CITIZEN + i, region=REGIONS[i % len(REGIONS)])
                )
            await session.commit()
        await engine.dispose()
        async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emulator:
            emulator.add_bot(TOKEN, bot_id=778, username="kenes_bench_bot", first_name="Kenes")
            emulator.add_user(COUNSELOR, "Counselor")
            citizens = [FIRST_CITIZEN + i for i in range(args.cases)]
            for i, citizen in enumerate(citizens):
                emulator.add_user(citizen, f"Citizen {i}", language_code="kk" if i % 2 else "ru")
            for chat_id in groups:
                emulator.add_group(chat_id, "Kenes counselors", members=[COUNSELOR])
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
                **extra_env,
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
                await open_cases(emulator, citizens, groups)
                relay = Relay(emulator, groups)
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

    lines = [
        f"{args.desks} desk(s), {args.cases} open cases, each held by a counselor; stub NLU; SQLite"
    ]
    for label, values, extra in (
        ("one message at a time", sequential, ""),
        (
            f"{len(citizens)} citizens at once, think {args.think} s",
            concurrent,
            f", {len(concurrent) / elapsed:.1f} msg/s",
        ),
    ):
        p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
        lines.append(
            f"  {label}: {len(values)} messages{extra}; message in -> copy in the topic: "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(values) * 1000:.1f} ms"
        )
    lines.append(f"  rejected Bot API calls: {len(rejected)} {rejected[:3] if rejected else ''}")
    return lines


async def compare(args: argparse.Namespace) -> None:
    """1 desk with 50 open cases, then 3 desks with 150, in one run."""
    outputs = []
    for desks, cases in ((1, 50), (3, 150)):
        outputs.append(
            await run(argparse.Namespace(**{**vars(args), "desks": desks, "cases": cases}))
        )
    for lines in outputs:
        print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.handoff", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--cases", type=int, default=50, help="open cases (citizens)")
    parser.add_argument("--messages", type=int, default=300, help="messages per run")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between messages")
    parser.add_argument("--desks", type=int, default=1, help="desks (staff groups)")
    parser.add_argument(
        "--compare", action="store_true", help="1 desk / 50 cases beside 3 desks / 150 cases"
    )
    args = parser.parse_args()
    if args.compare:
        asyncio.run(compare(args))
        return
    print("\n".join(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
