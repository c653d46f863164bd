"""What the benchmarks share: the checkout's root, the PostgreSQL server to measure on,
percentiles, resident memory and a stub NLU server."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.nlu.server import free_port

ROOT = Path(__file__).resolve().parents[1]
# The server the PostgreSQL benchmarks create their databases on (as the tests do).
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def percentile(values: list[float], q: float) -> float:
    """The `q`th percentile (nearest rank) of `values`; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    """The resident memory of process `pid` in MB (Linux: /proc/PID/status); NaN if unknown."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def stub_nlu(intent: str) -> tuple[web.AppRunner, str]:
    """An HTTP NLU that answers `intent` at once: the bot's own cost without Rasa."""

    async def parse(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response(
            {
                "intent": {"name": intent, "confidence": 0.95},
                "intent_ranking": [{"name": intent, "confidence": 0.95}],
                "entities": [],
            }
        )

    async def status(_: web.Request) -> web.Response:
        return web.json_response({"model_file": "stub.tar.gz"})

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    app.router.add_get("/status", status)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def wait_until(check: Any, timeout: float, what: str) -> Any:  # noqa: ASYNC109 - a poll deadline whose TimeoutError names `what`
    """Poll `check` until it returns something true, and return that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise TimeoutError(what)
