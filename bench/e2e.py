"""End-to-end benchmark: simulated citizens -> Bot API emulator -> the bot -> NLU.

The bot runs as its own process (`python -m bot run`), long polling a local Bot
API emulator that enforces Telegram's limits; N simulated citizens write to it
and the benchmark measures, per message, the time from the update being
available to the bot's reply arriving at the emulator. It runs twice: once
with the real Rasa server and once with a stub NLU (a constant HTTP answer),
and measures raw Rasa `POST /model/parse` latency in the same run. With the
real Rasa server it runs twice more: the bot's safety net with the lexicons
alone (SEMANTIC_SAFETY=false, the bot before the sentence encoder) and with
the semantic layer, and reports the bot's resident memory in each. It prints
numbers; it asserts nothing.

    .venv/bin/python -m bench.e2e [--citizens 20] [--seconds 20] [--think 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp

from bench.common import ROOT, percentile, rss_mb, stub_nlu
from bot.nlu.client import RasaNLUClient
from bot.nlu.server import free_port, start_server
from devkit.emulator import TelegramEmulator

TOKEN = "777:bench-token"
MESSAGES = [
    "какой закон регулирует религию",
    "дін туралы заң қандай",
    "где консультационный центр",
    "кенес беру орталыгы кайда",
    "как распознать секту",
    "балаларды радикалды контенттен қалай қорғаймын",
    "можно ли репостить религиозные видео",
    "сәлеметсіз бе",
    "спасибо",
    "как проверить мечеть зарегистрирована ли",
]


async def run_citizens(
    emulator: TelegramEmulator, citizens: int, seconds: float, think: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def citizen(user_id: int) -> None:
        rng = random.Random(user_id)
        await asyncio.sleep(rng.random() * think)
        while loop.time() < deadline:
            before = len(emulator.messages_to(user_id))
            started = loop.time()
            emulator.send_text(user_id, rng.choice(MESSAGES))
            while len(emulator.messages_to(user_id)) <= before:
                if loop.time() - started > 30:
                    return
                await asyncio.sleep(0.002)
            latencies.append(loop.time() - started)
            await asyncio.sleep(think * (0.5 + rng.random()))

    ids = [50_000 + i for i in range(citizens)]
    for user_id in ids:
        emulator.add_user(user_id, f"Citizen {user_id}")
    await asyncio.gather(*(citizen(u) for u in ids))
    return latencies, len(latencies)


async def one_run(  # noqa: PLR0913 - one benchmark run's parameters, each a CLI option
    label: str, nlu_url: str, citizens: int, seconds: float, think: float, *, semantic: bool = True
) -> dict[str, Any]:
    async with TelegramEmulator() as emulator:
        emulator.add_bot(TOKEN, bot_id=777, username="kenes_bench_bot", first_name="Kenes")
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": emulator.base_url,
                "NLU_URL": nlu_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
                "LOG_LEVEL": "WARNING",
                # The safety net's semantic layer (sentence encoder) on or off.
                "SEMANTIC_SAFETY": "true" if semantic else "false",
            }
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--no-nlu-server",
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
            )
            try:
                for _ in range(400):
                    if any(r.method == "deleteWebhook" for r in emulator.requests):
                        break
                    await asyncio.sleep(0.05)
                idle_rss = rss_mb(bot.pid)
                started = time.perf_counter()
                latencies, count = await run_citizens(emulator, citizens, seconds, think)
                elapsed = time.perf_counter() - started
                busy_rss = rss_mb(bot.pid)
            finally:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), 15)
            rejected = list(emulator.errors)
    return {
        "label": label,
        "messages": count,
        "rate": count / elapsed,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rss_idle": idle_rss,
        "rss_busy": busy_rss,
        "rejected": len(rejected),
    }


async def raw_parse(url: str, n: int = 300) -> dict[str, float]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:
        for i in range(n):
            text = MESSAGES[i % len(MESSAGES)]
            started = time.perf_counter()
            async with http.post(f"{url}/model/parse", json={"text": text}) as resp:
                await resp.json()
            latencies.append(time.perf_counter() - started)
    return {
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rate": n / sum(latencies),
    }


async def client_parse(url: str, n: int = 300) -> dict[str, float]:
    """The same, through the bot's own NLU client (retries, breaker, model lookup)."""
    client = RasaNLUClient(url, timeout=10)
    latencies: list[float] = []
    try:
        for i in range(n):
            started = time.perf_counter()
            await client.parse(MESSAGES[i % len(MESSAGES)])
            latencies.append(time.perf_counter() - started)
    finally:
        await client.close()
    return {
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rate": n / sum(latencies),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.e2e", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between messages")
    args = parser.parse_args()

    runner, stub_url = await stub_nlu("law_religious_activity")
    results = [await one_run("stub NLU", stub_url, args.citizens, args.seconds, args.think)]
    await runner.cleanup()

    server = await asyncio.to_thread(start_server, free_port())
    try:
        raw = await raw_parse(server.url)
        via_client = await client_parse(server.url)
        results.append(
            await one_run(
                "real Rasa, lexicons only",
                server.url,
                args.citizens,
                args.seconds,
                args.think,
                semantic=False,
            )
        )
        results.append(
            await one_run(
                "real Rasa, lexicons + encoder",
                server.url,
                args.citizens,
                args.seconds,
                args.think,
            )
        )
    finally:
        server.stop()

    print(f"{args.citizens} citizens, {args.seconds:.0f} s, mean think time {args.think} s")
    print(
        f"raw Rasa POST /model/parse: p50 {raw['p50']:.1f} ms, p99 {raw['p99']:.1f} ms, "
        f"{raw['rate']:.0f} req/s sequential"
    )
    print(
        f"through the bot's NLU client: p50 {via_client['p50']:.1f} ms, "
        f"p99 {via_client['p99']:.1f} ms"
    )
    for r in results:
        print(
            f"{r['label']:>30}: {r['messages']} replies, {r['rate']:.1f} msg/s, "
            f"update->reply p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
            f"bot RSS {r['rss_idle']:.0f} MB idle / {r['rss_busy']:.0f} MB busy, "
            f"rejected calls {r['rejected']}"
        )


if __name__ == "__main__":
    asyncio.run(main())
