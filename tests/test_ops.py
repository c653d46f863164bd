"""GET /healthz, /readyz and /metrics on the operations port, while the bot polls."""

from __future__ import annotations

import re

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from bot.nlu.server import free_port
from tests.fakes import KeywordNLU
from tests.harness import button, running_bot

RU_USER = 1002


async def _nlu_status_server() -> tuple[web.AppRunner, str]:
    async def status(_: web.Request) -> web.Response:
        return web.json_response({"model_file": "stub.tar.gz"})

    app = web.Application()
    app.router.add_get("/status", status)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def _get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


@pytest.mark.usefixtures("migrated_engine")
async def test_health_readiness_and_metrics(settings: Settings) -> None:
    nlu_runner, nlu_url = await _nlu_status_server()
    port = free_port()
    local = settings.model_copy(update={"ops_port": port, "nlu_url": nlu_url})
    try:
        async with running_bot(local, nlu=KeywordNLU()) as h:
            assert await _get(port, "/healthz") == (200, '{"status": "alive"}')
            status, body = await _get(port, "/readyz")
            assert status == 200, body
            assert '"database": "ok"' in body
            assert '"nlu": "ok"' in body

            [prompt] = await h.say(RU_USER, "/start")
            [notice] = await h.press(RU_USER, prompt, button(prompt, "Русский")["callback_data"])
            await h.press(RU_USER, notice, button(notice, "Понятно")["callback_data"], count=2)
            await h.say(RU_USER, "закон о религии")
            status, text = await _get(port, "/metrics")
            assert status == 200
            assert 'kenes_updates_total{kind="message",outcome="handled"}' in text
            assert 'kenes_updates_total{kind="callback_query",outcome="handled"}' in text
            assert 'kenes_routes_total{nlu="up",route="faq"}' in text
            assert "kenes_update_seconds_bucket" in text
            assert 'kenes_cases_waiting{priority="urgent"} 0.0' in text
            assert "kenes_inbox_unfinished 0.0" in text
            # Aggregates only: no text, no Telegram id.
            assert "закон" not in text
            # (A label is where an id would leak; a sample's value may hold the digits.)
            labels = " ".join(re.findall(r"\{([^}]*)\}", text))
            assert labels
            assert str(RU_USER) not in labels

            await nlu_runner.cleanup()  # the NLU server goes away
            status, body = await _get(port, "/readyz")
            assert status == 503
            assert '"nlu": "down' in body
            assert '"database": "ok"' in body
    finally:
        await nlu_runner.cleanup()
