"""Throughput of one and of two webhook replicas above Telegram's 30 messages a second.

Each run starts the bot as webhook replicas (`python -m bot run`) on a PostgreSQL
database and a Redis prefix of their own, behind the Bot API emulator, which
enforces Telegram's limits in real time and delivers each update to a random
replica. Citizens who have chosen their language already write at a fixed rate
(open loop, each citizen at most once every few seconds) to a stub NLU that
answers at once. Measured: replies per second, update-to-reply p50/p99, the
sends the emulator refused with 429 (the shared limiter should queue instead:
none), and each replica's resident memory. It prints numbers; it asserts nothing.

    .venv/bin/python -m bench.replicas [--rate 40] [--seconds 15] [--citizens 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.cluster import Cluster, store
from bench.common import percentile, rss_mb, stub_nlu
from bot.db.engine import create_engine, session_factory
from bot.services.citizens import CitizenService
from devkit.emulator import RateLimits, TelegramEmulator

TOKEN = "555:replicas-bench"
FIRST_CITIZEN = 70_000


async def _seed(database_url: str, citizens: list[int]) -> None:
    """Citizens who chose Russian and read the notice: each message gets one reply."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            service = CitizenService(session)
            for user in citizens:
                await service.choose_language(user, "ru")
                await service.accept_notice(user)
    finally:
        await engine.dispose()


async def one_run(  # noqa: PLR0913 - one benchmark run's parameters, each a CLI option
    replicas: int, rate: float, seconds: float, citizens: int, nlu_url: str, *, semantic: bool
) -> dict[str, Any]:
    users = [FIRST_CITIZEN + i for i in range(citizens)]
    with tempfile.TemporaryDirectory(prefix="kenes-replicas-") as tmp:
        async with store(Path(tmp), shared=True) as where:
            await _seed(where.database_url, users)
            async with TelegramEmulator(rate_limits=RateLimits()) as emulator:
                emulator.add_bot(TOKEN, bot_id=555, username="kenes_bench_bot", first_name="K")
                for user in users:
                    emulator.add_user(user, f"c{user}")
                emulator.webhook_random = random.Random(replicas)
                env = {
                    **os.environ,
                    **where.env(),
                    "BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE": emulator.base_url,
                    "NLU_URL": nlu_url,
                    "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
                    "SEMANTIC_SAFETY": "true" if semantic else "false",
                    "WEEKLY_REPORT": "false",
                }
                cluster = Cluster(emulator, env, Path(tmp), count=replicas, webhook=True)
                try:
                    await cluster.start_all()
                    idle = [rss_mb(p.process.pid) for p in cluster.processes if p.process]
                    result = await _load(emulator, users, rate, seconds)
                    busy = [rss_mb(p.process.pid) for p in cluster.processes if p.process]
                finally:
                    cluster.kill_all()
                result |= {
                    "replicas": replicas,
                    "rss_idle": idle,
                    "rss_busy": busy,
                    "rejected": emulator.rejected(),
                }
                return result


async def _load(
    emulator: TelegramEmulator, users: list[int], rate: float, seconds: float
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    sent_at: dict[int, list[float]] = defaultdict(list)
    replied_at: dict[int, list[float]] = defaultdict(list)
    total = int(rate * seconds)
    all_in = asyncio.Event()

    async def watch() -> None:
        seen = 0
        while seen < total:
            now = loop.time()
            for message in emulator.sent[seen:]:
                replied_at[int(message.chat_id)].append(now)
            seen = len(emulator.sent)
            await asyncio.sleep(0.005)
        all_in.set()

    watcher = asyncio.create_task(watch())
    started = loop.time()
    for i in range(total):
        await asyncio.sleep(max(0.0, started + i / rate - loop.time()))
        user = users[i % len(users)]
        sent_at[user].append(loop.time())
        emulator.send_text(user, "какой закон регулирует религию")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), 120)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    latencies: list[float] = []
    last = started
    for user, sends in sent_at.items():
        for sent, replied in zip(sends, replied_at.get(user, []), strict=False):
            latencies.append(replied - sent)
            last = max(last, replied)
    return {
        "sent": total,
        "replies": len(latencies),
        "offered_rate": rate,
        "reply_rate": len(latencies) / (last - started) if last > started else 0.0,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.replicas", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rate", type=float, default=40.0, help="citizens' messages a second")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--replicas", default="1,2", help="the replica counts to run")
    parser.add_argument("--semantic", action="store_true", help="with the sentence encoder")
    args = parser.parse_args()
    runner, nlu_url = await stub_nlu("law_religious_activity")
    try:
        for count in (int(n) for n in args.replicas.split(",")):
            began = time.monotonic()
            r = await one_run(
                count, args.rate, args.seconds, args.citizens, nlu_url, semantic=args.semantic
            )
            print(
                f"{r['replicas']} replica(s): {r['sent']} messages offered at "
                f"{r['offered_rate']:.0f}/s, {r['replies']} replies at {r['reply_rate']:.1f}/s, "
                f"update-to-reply p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms, "
                f"{r['rejected']} refused (429); RSS idle "
                f"{', '.join(f'{m:.0f}' for m in r['rss_idle'])} MB, busy "
                f"{', '.join(f'{m:.0f}' for m in r['rss_busy'])} MB "
                f"({time.monotonic() - began:.0f} s)"
            )
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
