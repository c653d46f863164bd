"""Telegram's limits: the bot paces itself, and recovers from a 429."""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.config import Settings
from bot.telegram.limits import Limits, RateLimiter
from devkit.emulator import RateLimits, TelegramEmulator
from tests.fakes import KeywordNLU
from tests.harness import running_bot


async def test_bot_recovers_from_429(settings: Settings, migrated_engine: object) -> None:
    # Stricter than the bot's own pacing (a burst of 1 per chat), so a crisis
    # reply (numbers, then the answer) meets a 429 and must wait and retry.
    strict = RateLimits(private_burst=1, private_per_second=1.0)
    async with running_bot(settings, nlu=KeywordNLU(), limits=strict) as bot:
        numbers, answer = await bot.say(1002, "жить не хочу", count=2, timeout=15)
        assert "112" in (numbers.text or "")
        assert answer.text
        assert any(e.status == 429 for e in bot.emulator.errors)
        assert all(e.status == 429 for e in bot.emulator.errors)


async def test_limiter_spaces_messages_to_one_chat() -> None:
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emulator:
        emulator.add_bot("42:limits", bot_id=42)
        emulator.add_user(7, "Citizen")
        emulator.send_text(7, "hi")
        session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
        session.middleware(RateLimiter(Limits(private_burst=2, private_rate=5.0)))
        bot = Bot("42:limits", session=session)
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await asyncio.gather(*(bot.send_message(7, f"m{i}") for i in range(6)))
            elapsed = loop.time() - started
        finally:
            await session.close()
        # 2 at once, then 4 more at 5 per second: at least 0.8 s.
        assert elapsed >= 0.75
        assert not emulator.errors
        assert len(emulator.messages_to(7)) == 6
