"""One replica at a time runs the background jobs.

On PostgreSQL the leader holds a session advisory lock on a connection of its
own; when its process dies the connection closes, PostgreSQL frees the lock,
and another replica takes it at its next try (every LEADER_RETRY_SECONDS). On
SQLite there is one process, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

# The advisory lock's key: "kenes" in ASCII, as one 64-bit number.
LOCK_KEY = 0x6B656E6573
LEADER_RETRY_SECONDS = 30.0


class JobLeadership:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def shared(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    async def try_lead(self) -> bool:
        """True when this process now leads (or already did)."""
        if not self.shared:
            return True
        if self._connection is not None:
            return await self.still_leading()
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_leading(self) -> bool:
        """The lock's connection still answers (else the lock is gone with it)."""
        if not self.shared:
            return True
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception as exc:  # the type only
            logger.warning("lost the jobs' lock connection (%s)", type(exc).__name__)
            await self.release()
            return False
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            await connection.commit()
        with contextlib.suppress(Exception):
            await connection.close()


async def lead_jobs(
    leadership: JobLeadership,
    start: Callable[[], Sequence[asyncio.Task[None]]],
    *,
    retry: float = LEADER_RETRY_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run the jobs `start` makes while this process leads; until cancelled."""
    jobs: Sequence[asyncio.Task[None]] = ()
    try:
        while True:
            leading = False
            with contextlib.suppress(Exception):
                leading = await leadership.try_lead()
            if leading and not jobs:
                logger.info("this replica runs the background jobs")
                jobs = start()
            elif not leading and jobs:
                await _stop(jobs)
                jobs = ()
            await sleep(retry)
    finally:
        await _stop(jobs)
        await leadership.release()


async def _stop(jobs: Sequence[asyncio.Task[None]]) -> None:
    for job in jobs:
        job.cancel()
    for job in jobs:
        with contextlib.suppress(asyncio.CancelledError):
            await job
