"""The FSM in Redis for several replicas, readable while Redis is down.

aiogram reads the FSM state of every update before any handler runs; with a
plain RedisStorage an unreachable Redis would fail every update, crises
included. Reading degrades to "no state" instead (the bot keeps no
conversation in the FSM today; what a handler writes still needs Redis).
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class SharedFSMStorage(RedisStorage):
    async def get_state(self, key: StorageKey) -> str | None:
        try:
            return await super().get_state(key)
        except (RedisError, OSError) as exc:
            logger.warning("FSM state unavailable (%s): read as none", type(exc).__name__)
            return None

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            return await super().get_data(key)
        except (RedisError, OSError) as exc:
            logger.warning("FSM data unavailable (%s): read as empty", type(exc).__name__)
            return {}
