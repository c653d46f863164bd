"""FSM storage: in memory by default, Redis when several replicas run."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage

from bot.app import create_storage
from bot.config import Settings
from tests.conftest import REDIS_URL, port_open, require


async def test_memory_by_default(settings: Settings) -> None:
    storage = create_storage(settings)
    assert isinstance(storage, MemoryStorage)
    await storage.close()


async def test_redis_when_configured(settings: Settings) -> None:
    require("Redis", port_open("127.0.0.1", 6379), "expected on 127.0.0.1:6379")
    storage = create_storage(settings.model_copy(update={"redis_url": REDIS_URL}))
    assert isinstance(storage, RedisStorage)
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    try:
        await storage.set_state(key, "waiting")
        await storage.set_data(key, {"n": 1})
        assert await storage.get_state(key) == "waiting"
        assert await storage.get_data(key) == {"n": 1}
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        assert await storage.get_state(key) is None
    finally:
        await storage.close()
