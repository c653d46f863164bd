"""Long polling that loses no update: fetched, written to the inbox, then confirmed.

aiogram's own polling confirms an update (by asking for the next batch) as soon
as it has handed it to a task, before the handler has run; a process that dies
then loses it. Here a batch is written to the inbox (bot.services.inbox) first,
and only then is the next batch asked for, which confirms it. Updates are read
as plain JSON and decoded one by one, so one that aiogram cannot decode is
logged (its id and the error count, never its text) and skipped instead of
stopping getUpdates for every chat. On a stop, what is not handled in time
stays in the inbox and is handled at the next start, in order, before new
updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods.base import TelegramMethod
from aiogram.types import Update
from pydantic import ValidationError
from redis.exceptions import RedisError

from bot import metrics
from bot.services.inbox import Accepted, InboxService, Outcome, chat_key
from bot.telegram.ordering import ChatLocks

logger = logging.getLogger(__name__)

POLL_SECONDS = 25
PURGE_EVERY = 3600.0
# After a stop halts the sending: how long calls already on the wire may take.
HALT_SECONDS = 5.0
# How many handled update ids a process remembers, so as not to handle one twice.
FINISHED_KEPT = 10_000


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, returning the updates as JSON objects, undecoded."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def process_owner() -> str:
    """This process's name in the inbox's claims."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DurablePolling:
    def __init__(  # noqa: PLR0913 - collaborators, injected; options keyword-only
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        inbox: InboxService,
        *,
        allowed_updates: Sequence[str],
        poll_seconds: int = POLL_SECONDS,
        order: ChatLocks | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._bot = bot
        self._inbox = inbox
        self._allowed = list(allowed_updates)
        self._poll_seconds = poll_seconds
        self._order = order
        self.tasks: set[asyncio.Task[None]] = set()
        # The update ids this process is handling now (a sweep leaves them alone).
        self.in_hand: set[int] = set()
        # The update ids being handled now, by whichever task: a backlog never takes
        # one of them again (when a lock expired under a slow holder).
        self.running: set[int] = set()
        # And the last ones it finished (a backlog read just before one finished).
        self._finished: OrderedDict[int, None] = OrderedDict()
        self._last_purge = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Handle what the last run left, then poll until `stop` is set."""
        for left in await self._inbox.take_unfinished(all_of_them=True):
            self.start(left)
        if self.tasks:
            logger.info("%s update(s) left from the last run handled first", len(self.tasks))
        offset: int | None = None
        delay = 1.0
        while not stop.is_set():
            raws = await self._fetch(offset, stop)
            if raws is None:  # stopped while waiting: that batch is not confirmed
                return
            if isinstance(raws, BaseException):
                logger.warning(
                    "getUpdates failed (%s); again in %.0f s", type(raws).__name__, delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            if not raws:
                await self._maybe_purge()
                continue
            accepted = await self._accept(raws)
            if accepted is None:  # the database is down: nothing is confirmed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)
                continue
            ids = [raw["update_id"] for raw in raws if isinstance(raw.get("update_id"), int)]
            if len(accepted) < len(raws):
                logger.info("%s update(s) delivered again: skipped", len(raws) - len(accepted))
            # The next getUpdates confirms this batch: it is in the inbox now.
            offset = max(ids) + 1 if ids else offset
            for item in accepted:
                self.start(item)

    async def _accept(self, raws: list[dict[str, Any]]) -> list[Accepted] | None:
        failure: Exception | None = None
        try:
            return await self._inbox.accept(raws)
        except Exception as exc:  # the type only: the payload holds citizens' text
            failure = exc
        logger.error("the inbox cannot take updates (%s); not confirmed", type(failure).__name__)
        return None

    async def _fetch(
        self, offset: int | None, stop: asyncio.Event
    ) -> list[dict[str, Any]] | BaseException | None:
        method = GetRawUpdates(
            offset=offset, timeout=self._poll_seconds, allowed_updates=self._allowed
        )
        timeout = int(self._bot.session.timeout + self._poll_seconds)
        fetch = asyncio.ensure_future(self._bot(method, request_timeout=timeout))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(BaseException):
                await fetch
            return None
        exc = fetch.exception()
        return exc if exc is not None else fetch.result()

    def start(self, accepted: Accepted) -> None:
        """Hand the update to a task, in arrival order. In one process ChatOrder keeps
        each chat's order from the order the tasks start in; with `order` (several
        replicas) the conversation's lock does."""
        if accepted.update_id in self.in_hand:
            return
        key = chat_key(accepted.payload) if self._order is not None else None
        work = self._process(accepted) if key is None else self._process_in_order(key, accepted)
        self.in_hand.add(accepted.update_id)
        task = self._spawn(work)
        task.add_done_callback(lambda _: self.in_hand.discard(accepted.update_id))

    async def _process_in_order(self, key: str, accepted: Accepted) -> None:
        """Holding the conversation's lock, handle its unhandled updates up to this one
        (some may have come to another replica); none when another replica did."""
        assert self._order is not None
        try:
            lock = await self._order.acquire(key)
        except (RedisError, OSError) as exc:
            logger.warning("no conversation lock (%s): handled as it came", type(exc).__name__)
            await self._process(accepted)
            return
        try:
            for item in await self._inbox.take_chat_backlog(
                key, accepted.update_id, skip=self.running
            ):
                await self._process(item)
        finally:
            await lock.release()

    async def _process(self, accepted: Accepted) -> None:
        """Decode and handle one update; one that cannot be decoded is logged (its id and
        the error count, never its text) and marked so."""
        uid = accepted.update_id
        if uid in self.running or uid in self._finished:
            return
        self.running.add(uid)
        try:
            await self._decode_and_handle(accepted)
        finally:
            self.running.discard(uid)
        self._finished[uid] = None
        if len(self._finished) > FINISHED_KEPT:
            self._finished.popitem(last=False)

    async def _decode_and_handle(self, accepted: Accepted) -> None:
        try:
            update = Update.model_validate(accepted.payload, context={"bot": self._bot})
        except ValidationError as exc:
            logger.warning(
                "update %s skipped: it cannot be decoded (%s error(s))",
                accepted.update_id,
                exc.error_count(),
            )
            metrics.UPDATES.labels(metrics.update_kind(accepted.payload), Outcome.UNDECODABLE).inc()
            await self._inbox.finish(accepted.update_id, Outcome.UNDECODABLE)
            return
        await self._handle(accepted, update)

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _handle(self, accepted: Accepted, update: Update) -> None:
        update_id = accepted.update_id
        outcome = Outcome.HANDLED
        failure: Exception | None = None
        try:
            await self._dispatcher.feed_update(self._bot, update)
        except Exception as exc:  # logged by type; handled once, not retried
            failure = exc
        if failure is not None:
            outcome = Outcome.FAILED
            logger.error("update %s failed: %s", update_id, type(failure).__name__)
        kind = update.event_type
        metrics.UPDATES.labels(kind, outcome).inc()
        metrics.UPDATE_SECONDS.labels(kind).observe(time.monotonic() - accepted.received)
        # A cancelled handler (a stop) never gets here: it stays in the inbox.
        await self._inbox.finish(update_id, outcome)

    async def sweep(self, stop: asyncio.Event, every: float = 30.0) -> None:
        """Webhook mode: every `every` seconds take over updates another replica
        accepted and did not finish within its lease (it died), and forget old ids."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            with contextlib.suppress(Exception):
                for left in await self._inbox.take_unfinished(
                    all_of_them=False, in_hand=self.in_hand
                ):
                    self.start(left)
            await self._maybe_purge()

    async def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        with contextlib.suppress(Exception):
            await self._inbox.purge()

    async def drain(self, timeout: float, *, halt: Callable[[], None] | None = None) -> int:  # noqa: ASYNC109 - past the timeout it halts the sends, not just cancels
        """Wait up to `timeout` for the updates in hand; then `halt` the sending (calls
        waiting for their turn give up, calls on the wire finish, for up to
        HALT_SECONDS) and stop the rest. What was stopped stays in the inbox for the
        next start. Returns how many were left."""
        pending = set(self.tasks)
        late: set[asyncio.Task[None]] = set()
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
        left = len(late)
        if late and halt is not None:
            halt()
            _, late = await asyncio.wait(late, timeout=HALT_SECONDS)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._inbox.release()
        if left:
            logger.warning(
                "%s update(s) not handled in %.0f s: kept in the inbox for the next start",
                left,
                timeout,
            )
        return left
