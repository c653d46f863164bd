"""Kill the bot at random moments while a citizen and a counselor write in a case,
and count what arrived: once, twice or never.

The bot runs as its own process (`python -m bot run`), polling the Bot API
emulator run here, on a SQLite file. A citizen opens a case, a counselor takes
it; then for each round both write a few messages, the bot is killed with
SIGKILL at a random moment (or, in the last round, stopped with SIGINT 2 s
after a burst of 20 citizen messages held back by the staff group's send
limit) and started again. At the end every message is looked up on the other
side. It prints numbers; it asserts nothing (tests/test_restarts.py does).

    .venv/bin/python bench/restarts.py [--rounds 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import wait_until  # noqa: E402

from bot.db.engine import create_engine, session_factory, upgrade  # noqa: E402
from bot.devtools.emulator_limits import RateLimits  # noqa: E402
from bot.devtools.telegram_emulator import TelegramEmulator  # noqa: E402
from bot.services.staff import StaffService  # noqa: E402

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


class BotProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--no-nlu-server"],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    async def interrupt(self, timeout: float = 60.0) -> int:
        """SIGINT, and wait for the exit without blocking the emulator's event loop
        (a blocked emulator would answer the stopping bot's last calls too late)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(self.process.wait, timeout)
        self.process = None
        return code


async def _polling(emulator: TelegramEmulator, since: int) -> None:
    """Wait until a (new) bot process asks for updates."""
    await wait_until(
        lambda: any(r.method == "getUpdates" for r in emulator.requests[since:]),
        60.0,
        "the bot to start polling",
    )


def _button(message: Any, part: str) -> str:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if part in button.get("text", ""):
                return str(button["callback_data"])
    raise LookupError(part)


async def run(
    rounds: int = 30, seed: int = 1, *, scale: float = 4.0, keep_log: Path | None = None
) -> Tally:
    """`rounds` SIGKILLs and one graceful stop; `scale` speeds the bot's send limits."""
    rng = random.Random(seed)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="kenes-restarts-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/kenes.sqlite3"
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        async with session_factory(engine)() as session:
            await StaffService(session).add(COUNSELOR, "counselor", "Иван")
        await engine.dispose()
        emulator = TelegramEmulator(rate_limits=RateLimits.unlimited())
        async with emulator:
            emulator.add_bot(TOKEN, bot_id=BOT_ID, username="kenes_bench_bot", first_name="Kenes")
            emulator.add_user(CITIZEN, "Pyotr")
            emulator.add_user(COUNSELOR, "Ivan")
            emulator.add_group(GROUP, "counselors", members=[COUNSELOR])
            env = {
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": emulator.base_url,
                "STAFF_CHAT_ID": str(GROUP),
                "DATABASE_URL": url,
                "NLU_URL": "http://127.0.0.1:9",
                "NLU_TIMEOUT": "0.2",
                "SEMANTIC_SAFETY": "false",
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
                "RATE_LIMIT_SCALE": str(scale),
                "OFFICE_DAYS": "mon,tue,wed,thu,fri,sat,sun",
                "OFFICE_HOURS_START": "00:00",
                "OFFICE_HOURS_END": "00:00",
                "CASE_INACTIVITY_MINUTES": "600",
                "WEEKLY_REPORT": "false",
            }
            bot = BotProcess(env, Path(tmp) / "bot.log")
            since = len(emulator.requests)
            bot.start()
            try:
                await _polling(emulator, since)
                thread = await _open_and_take(emulator)
                citizen_sent: list[int] = []
                counselor_sent: list[int] = []
                for round_ in range(rounds):
                    for i in range(rng.randint(2, 6)):
                        who = rng.random()
                        if who < 0.5:
                            m = emulator.send_text(CITIZEN, f"гражданин {round_}.{i}")
                            citizen_sent.append(m["message_id"])
                        else:
                            m = emulator.send_text(
                                COUNSELOR,
                                f"консультант {round_}.{i}",
                                chat_id=GROUP,
                                message_thread_id=thread,
                            )
                            counselor_sent.append(m["message_id"])
                        await asyncio.sleep(rng.uniform(0.0, 0.3))
                    await asyncio.sleep(rng.uniform(0.0, 1.5))
                    bot.kill()
                    tally.kills += 1
                    since = len(emulator.requests)
                    bot.start()
                    await _polling(emulator, since)
                # A burst held back by the staff group's limit, then SIGINT 2 s later.
                burst = [emulator.send_text(CITIZEN, f"поток {i}")["message_id"] for i in range(20)]
                citizen_sent += burst
                print(f"burst before the graceful stop: messages {burst[0]}..{burst[-1]}")
                await asyncio.sleep(2.0)
                tally.graceful_exit_codes.append(await bot.interrupt())
                tally.graceful_stops += 1
                since = len(emulator.requests)
                bot.start()
                await _polling(emulator, since)
                await _settle(emulator, thread, citizen_sent, counselor_sent)
            finally:
                bot.kill()
                if keep_log is not None:
                    await asyncio.to_thread(shutil.copyfile, Path(tmp) / "bot.log", keep_log)
            topic = emulator.messages_to(GROUP, thread, edits=False)
            to_citizen = emulator.messages_to(CITIZEN, edits=False)
            for mid in citizen_sent:
                copies = [m for m in topic if m.source_message_id == mid]
                tally.citizen_to_topic[mid] = len(copies)
                if len(copies) != 1:
                    tally.odd.append(f"citizen message {mid} x{len(copies)}")
            for mid in counselor_sent:
                copies = [m for m in to_citizen if m.source_message_id == mid]
                tally.counselor_to_citizen[mid] = len(copies)
                if len(copies) != 1:
                    tally.odd.append(f"counselor message {mid} x{len(copies)}")
    return tally


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=4.0, help="send limits sped up by")
    parser.add_argument("--keep-log", type=Path, help="copy the bot's log here")
    args = parser.parse_args()
    started = time.monotonic()
    tally = asyncio.run(run(args.rounds, args.seed, scale=args.scale, keep_log=args.keep_log))
    print(tally.report())
    print(f"{time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
