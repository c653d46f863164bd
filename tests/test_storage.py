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
    from bot.app import create_redis

    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_prefix": "test-fsm"})
    storage = create_storage(shared, create_redis(shared))
    assert isinstance(storage, RedisStorage)
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    try:
        await storage.set_state(key, "waiting")
        await storage.set_data(key, {"n": 1})
        assert await storage.get_state(key) == "waiting"
        assert await storage.get_data(key) == {"n": 1}
        assert isinstance(storage, RedisStorage)
        assert await storage.redis.exists("test-fsm:fsm:2:2:state") == 1  # REDIS_PREFIX
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        assert await storage.get_state(key) is None
    finally:
        await storage.close()


async def test_redis_fsm_reads_as_empty_while_redis_is_down(settings: Settings) -> None:
    """Every update reads the FSM first: an unreachable Redis must not fail them all."""
    from redis.asyncio import Redis

    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    storage = create_storage(down, Redis.from_url("redis://127.0.0.1:9/0"))
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    try:
        assert await storage.get_state(key) is None
        assert await storage.get_data(key) == {}
    finally:
        await storage.close()
