"""Bot processes against the Bot API emulator, for the benchmarks and the replica
tests: one process long-polling on a SQLite file, or several webhook replicas
sharing a PostgreSQL database of their own and a Redis key prefix of their own
(the emulator delivers each update to one of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import text

from bench.common import POSTGRES, ROOT, wait_until
from bot.db.engine import create_engine, upgrade
from bot.nlu.server import free_port
from devkit.emulator import TelegramEmulator

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "kenes_bench-secret"
HOOK_PATH = "/telegram/hook"


@dataclass(frozen=True)
class Store:
    """Where the processes keep their state."""

    database_url: str
    redis_url: str | None = None
    redis_prefix: str | None = None

    def env(self) -> dict[str, str]:
        env = {"DATABASE_URL": self.database_url}
        if self.redis_url and self.redis_prefix:
            env |= {"REDIS_URL": self.redis_url, "REDIS_PREFIX": self.redis_prefix}
        return env


@contextlib.asynccontextmanager
async def store(tmp: Path, *, shared: bool) -> AsyncIterator[Store]:
    """A SQLite file in `tmp`; or (`shared`) a new PostgreSQL database and a Redis
    prefix, both removed afterwards."""
    if not shared:
        url = f"sqlite+aiosqlite:///{tmp}/kenes.sqlite3"
        await asyncio.to_thread(upgrade, url)
        yield Store(url)
        return
    name = f"kenes_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    prefix = f"bench-{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield Store(url, REDIS, prefix)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def case_desk_env(
    emulator: TelegramEmulator, where: Store, *, token: str, group: int, **extra: str
) -> dict[str, str]:
    """The environment of a bot with a staff group, open round the clock, no NLU
    server (the safety lexicons and fallbacks answer), against `emulator`."""
    return {
        **os.environ,
        **where.env(),
        "BOT_TOKEN": token,
        "TELEGRAM_API_BASE": emulator.base_url,
        "STAFF_CHAT_ID": str(group),
        "NLU_URL": "http://127.0.0.1:9",
        "NLU_TIMEOUT": "0.2",
        "SEMANTIC_SAFETY": "false",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "OFFICE_DAYS": "mon,tue,wed,thu,fri,sat,sun",
        "OFFICE_HOURS_START": "00:00",
        "OFFICE_HOURS_END": "00:00",
        "WEEKLY_REPORT": "false",
        # A killed replica's updates go to the others after 5 s, not a minute.
        "INBOX_LEASE_SECONDS": "5",
        "INBOX_SWEEP_SECONDS": "1",
        **extra,
    }


async def forged_statuses(ports: list[int], update: dict[str, object]) -> list[int]:
    """POST `update` to each replica's webhook without the secret and with a wrong
    one; the HTTP statuses."""
    statuses = []
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            for port in ports:
                url = f"http://127.0.0.1:{port}{HOOK_PATH}"
                async with http.post(url, json=update, headers=headers) as response:
                    statuses.append(response.status)
    return statuses


@dataclass
class BotProcess:
    """`python -m bot run` with `env`, its output appended to `log`."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--no-nlu-server"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def running(self) -> bool:
        return self.process is not None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    async def interrupt(self, timeout: float = 60.0) -> int:  # noqa: ASYNC109 - Popen.wait in a thread; a cancel scope cannot stop it
        """SIGINT, and wait for the exit without blocking the emulator's event loop
        (a blocked emulator would answer the stopping bot's last calls too late)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(self.process.wait, timeout)
        self.process = None
        return code


@dataclass
class Cluster:
    """`count` bot processes: polling when `webhook` is false (then count is 1),
    webhook replicas behind the emulator otherwise."""

    emulator: TelegramEmulator
    env: dict[str, str]
    tmp: Path
    count: int = 1
    webhook: bool = False
    processes: list[BotProcess] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.webhook and self.count != 1:
            raise ValueError("several processes need webhook mode")
        self.ports = [free_port() for _ in range(self.count)]
        for i, port in enumerate(self.ports):
            env = dict(self.env)
            if self.webhook:
                env |= {
                    "WEBHOOK_URL": f"http://127.0.0.1:{self.ports[0]}{HOOK_PATH}",
                    "WEBHOOK_SECRET": SECRET,
                    "WEBHOOK_PORT": str(port),
                }
            self.processes.append(BotProcess(env, self.tmp / f"bot{i}.log"))
        if self.webhook:
            self.emulator.webhook_targets = [f"http://127.0.0.1:{p}{HOOK_PATH}" for p in self.ports]

    async def start(self, i: int) -> None:
        """Start process `i` and wait until it takes updates."""
        since = len(self.emulator.requests)
        self.processes[i].start()
        if self.webhook:
            await self._healthy(self.ports[i])
            return
        await wait_until(
            lambda: any(r.method == "getUpdates" for r in self.emulator.requests[since:]),
            60.0,
            "the bot to start polling",
        )

    async def start_all(self) -> None:
        for i in range(self.count):
            await self.start(i)

    async def _healthy(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60.0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http:
            while loop.time() < deadline:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise TimeoutError(f"replica on {port} did not start")

    def kill(self, i: int) -> None:
        self.processes[i].kill()

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()

    async def interrupt(self, i: int) -> int:
        return await self.processes[i].interrupt()

    def logs(self) -> str:
        return "\n".join(
            p.log.read_text(errors="replace") for p in self.processes if p.log.exists()
        )
