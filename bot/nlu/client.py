"""The NLU client: a small class behind a Protocol, talking to Rasa over HTTP.

Rasa runs as its own service (`POST /model/parse`). The client has a timeout,
bounded retries and a short circuit breaker: after a failure it answers
`NLUUnavailable` at once for a few seconds instead of making every citizen wait
for the timeout, then tries again by itself, so the bot recovers without a
restart when the server is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from bot import metrics

logger = logging.getLogger(__name__)


class NLUUnavailable(Exception):
    """The NLU server did not answer in time or answered with an error."""


@dataclass(frozen=True, slots=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Parse:
    """What the NLU made of one message."""

    intent: str | None
    confidence: float
    ranking: tuple[IntentScore, ...] = ()
    entities: tuple[dict[str, Any], ...] = ()
    model: str | None = field(default=None)


class NLUClient(Protocol):
    async def parse(self, text: str) -> Parse: ...

    async def close(self) -> None: ...


class RasaNLUClient:
    """`NLUClient` for a Rasa server's HTTP API."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        retries: int = 1,
        cooldown: float = 5.0,
    ) -> None:
        self._url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._cooldown = cooldown
        self._down_until = 0.0
        self._session: aiohttp.ClientSession | None = None
        self._model: str | None = None
        self._model_checked = 0.0

    @property
    def url(self) -> str:
        return self._url

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def parse(self, text: str) -> Parse:
        if time.monotonic() < self._down_until:
            raise NLUUnavailable("the NLU server failed recently; waiting before the next try")
        last_error: Exception | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(0.1 * 2**attempt)
            started = time.monotonic()
            try:
                data = await self._post_parse(text)
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                last_error = exc
                continue
            metrics.NLU_SECONDS.observe(time.monotonic() - started)
            self._down_until = 0.0
            return await self._to_parse(data)
        self._down_until = time.monotonic() + self._cooldown
        metrics.NLU_ERRORS.inc()
        logger.warning("NLU server unavailable: %s", type(last_error).__name__)
        raise NLUUnavailable(str(last_error)) from last_error

    async def _post_parse(self, text: str) -> dict[str, Any]:
        async with self._http().post(f"{self._url}/model/parse", json={"text": text}) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(
                    resp.request_info, resp.history, status=resp.status
                )
            data: dict[str, Any] = await resp.json()
            return data

    async def _to_parse(self, data: dict[str, Any]) -> Parse:
        intent = data.get("intent") or {}
        ranking = tuple(
            IntentScore(str(item["name"]), float(item.get("confidence") or 0.0))
            for item in data.get("intent_ranking") or ()
            if item.get("name")
        )
        entities = tuple(
            {"entity": e.get("entity"), "value": e.get("value")} for e in data.get("entities") or ()
        )
        return Parse(
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            ranking=ranking,
            entities=entities,
            model=await self.model_version(),
        )

    async def model_version(self) -> str | None:
        """The file name of the model in service, refreshed at most once a minute."""
        now = time.monotonic()
        if now - self._model_checked < 60:
            return self._model
        self._model_checked = now
        try:
            async with self._http().get(f"{self._url}/status") as resp:
                if resp.status == 200:
                    status: dict[str, Any] = await resp.json()
                    model_file = str(status.get("model_file") or "")
                    self._model = model_file.rsplit("/", 1)[-1] or None
        except (TimeoutError, aiohttp.ClientError, ValueError):
            pass
        return self._model

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
