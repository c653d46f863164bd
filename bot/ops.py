"""The operations endpoints: GET /healthz, /readyz and /metrics.

They listen on OPS_HOST:OPS_PORT (off when OPS_PORT is unset). /healthz says
the process is alive; /readyz checks the database, Redis (when REDIS_URL is
set) and the NLU server, and says which is down (503); /metrics is the
Prometheus text format (bot/metrics.py), with the cases waiting and the
unhandled updates read from the database at each scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.config import Settings
from bot.db.repositories.ops import OpsRepository
from bot.domain import CaseStatus, Priority

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


async def _check(probe: Coroutine[Any, Any, None]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_SECONDS)
    except Exception as exc:  # the type only; details may name hosts and users
        return f"down ({type(exc).__name__})"
    return "ok"


def build_ops_app(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], shared: Redis | None = None
) -> web.Application:
    async def database() -> None:
        async with sessions() as session:
            await OpsRepository(session).ping()

    async def redis() -> None:
        if shared is not None:
            await shared.ping()
            return
        from redis.asyncio import Redis

        client = Redis.from_url(str(settings.redis_url))
        try:
            await client.ping()
        finally:
            await client.aclose()

    async def nlu() -> None:
        timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(f"{settings.nlu_url.rstrip('/')}/status") as response,
        ):
            if response.status != 200:
                raise aiohttp.ClientResponseError(
                    response.request_info, response.history, status=response.status
                )

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(_: web.Request) -> web.Response:
        checks = {"database": database(), "nlu": nlu()}
        if settings.redis_url:
            checks["redis"] = redis()
        names = list(checks)
        results = await asyncio.gather(*(_check(probe) for probe in checks.values()))
        report = dict(zip(names, results, strict=True))
        ready = all(value == "ok" for value in report.values())
        return web.json_response({"ready": ready, "checks": report}, status=200 if ready else 503)

    async def scrape(_: web.Request) -> web.Response:
        with contextlib.suppress(Exception):
            async with sessions() as session:
                repo = OpsRepository(session)
                waiting = await repo.waiting_by_priority(CaseStatus.WAITING.value)
                for priority in Priority:
                    metrics.CASES_WAITING.labels(priority.name.lower()).set(
                        waiting.get(int(priority), 0)
                    )
                metrics.INBOX_UNFINISHED.set(await repo.inbox_unfinished())
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
    return app


@contextlib.asynccontextmanager
async def ops_server(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], shared: Redis | None = None
) -> AsyncIterator[int | None]:
    """Serve the endpoints while the bot runs; yields the port (None when off)."""
    if settings.ops_port is None:
        yield None
        return
    runner = web.AppRunner(build_ops_app(settings, sessions, shared), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.ops_host, settings.ops_port)
    await site.start()
    port = settings.ops_port
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        port = int(sock.getsockname()[1])
    logger.info("operations endpoints on %s:%s", settings.ops_host, port)
    try:
        yield port
    finally:
        await runner.cleanup()
