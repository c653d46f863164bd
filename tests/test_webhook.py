"""Webhook mode: the Bot API emulator POSTs updates to one or two bot replicas.

Each update is accepted by exactly one replica (written to the shared inbox
before the 200), so round-robin delivery with redeliveries and duplicates
still gives one reply per message; a request without the secret gets 401.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import run_webhook
from bot.config import Settings
from bot.nlu.server import free_port
from devkit.emulator import RateLimits, TelegramEmulator
from tests.fakes import KeywordNLU
from tests.harness import BOT_ID, BOT_TOKEN, button

RU_USER = 1002
SECRET = "kenes_Test-secret_42"


async def _replies(emulator: TelegramEmulator, before: int, count: int) -> list[str]:
    for _ in range(400):
        sent = emulator.messages_to(RU_USER)[before:]
        if len(sent) >= count:
            return [m.text or "" for m in sent]
        await asyncio.sleep(0.025)
    raise TimeoutError([m.text for m in emulator.messages_to(RU_USER)[before:]])


@contextlib.asynccontextmanager
async def replicas(
    settings: Settings, count: int
) -> AsyncIterator[tuple[TelegramEmulator, list[int]]]:
    # Two replicas still keep their send limits each to itself (no shared limiter
    # yet): the emulator does not count them here, so a 429 does not fail the test.
    emulator = TelegramEmulator(rate_limits=RateLimits.unlimited() if count > 1 else None)
    async with emulator:
        emulator.add_bot(BOT_TOKEN, bot_id=BOT_ID, username="kenes_test_bot", first_name="Kenes")
        emulator.add_user(RU_USER, "Ivan")
        ports = [free_port() for _ in range(count)]
        tasks = []
        for port in ports:
            local = settings.model_copy(
                update={
                    "bot_token": SecretStr(BOT_TOKEN),
                    "telegram_api_base": emulator.base_url,
                    "webhook_url": f"http://127.0.0.1:{ports[0]}/telegram/hook",
                    "webhook_secret": SecretStr(SECRET),
                    "webhook_port": port,
                }
            )
            tasks.append(asyncio.create_task(run_webhook(local, nlu=KeywordNLU())))
        emulator.webhook_targets = [f"http://127.0.0.1:{p}/telegram/hook" for p in ports]
        for _ in range(400):
            if sum(r.method == "setWebhook" for r in emulator.requests) >= count:
                break
            for task in tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.025)
        try:
            yield emulator, ports
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            assert not emulator.errors, emulator.errors


async def _start(emulator: TelegramEmulator) -> None:
    emulator.send_text(RU_USER, "/start")
    [prompt_text] = await _replies(emulator, 0, 1)
    assert "Выберите язык" in prompt_text
    prompt = emulator.messages_to(RU_USER)[0]
    assert prompt.message_id is not None
    emulator.press_button(RU_USER, prompt.message_id, button(prompt, "Русский")["callback_data"])
    await _replies(emulator, 1, 1)
    notice = emulator.messages_to(RU_USER)[-1]
    assert notice.message_id is not None
    emulator.press_button(RU_USER, notice.message_id, button(notice, "Понятно")["callback_data"])
    await _replies(emulator, 2, 2)


@pytest.mark.usefixtures("migrated_engine")
async def test_one_replica_answers_and_refuses_forged_requests(settings: Settings) -> None:
    async with replicas(settings, 1) as (emulator, [port]):
        hook = emulator.requests[-1]
        assert hook.method == "setWebhook"
        await _start(emulator)
        before = len(emulator.messages_to(RU_USER))
        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "закон",
                "chat": {"id": RU_USER, "type": "private"},
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(
                    f"http://127.0.0.1:{port}/telegram/hook", json=forged, headers=headers
                ) as response:
                    assert response.status == 401
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
        emulator.send_text(RU_USER, "закон о религии")
        [answer] = await _replies(emulator, before, 1)
        assert "483-IV" in answer
        await emulator.wait_quiet()
        assert len(emulator.messages_to(RU_USER)) == before + 1  # the forged one did nothing
        assert all(status in (200, 0) for _, status in emulator.webhook_deliveries)


@pytest.mark.usefixtures("migrated_engine")
async def test_two_replicas_round_robin_with_duplicates_answer_once(settings: Settings) -> None:
    async with replicas(settings, 2) as (emulator, _):
        await _start(emulator)
        before = len(emulator.messages_to(RU_USER))
        for i in range(6):
            emulator.send_text(RU_USER, f"закон {i}")
            raw = emulator.updates_offered[-1]
            emulator.deliver_raw(raw)  # Telegram delivers it again, to the other replica
        texts = await _replies(emulator, before, 6)
        await emulator.wait_quiet(quiet=0.5)
        texts = [m.text or "" for m in emulator.messages_to(RU_USER)[before:]]
        assert len(texts) == 6, texts
        assert all("483-IV" in t for t in texts)
        delivered = {uid for uid, status in emulator.webhook_deliveries if status == 200}
        assert len(delivered) >= 6
