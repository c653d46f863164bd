"""The emulator's aiohttp server: its lifecycle, and the dispatch of each request
(`{base}/bot{token}/{method}`, `{base}/file/bot{token}/{path}`) to the method's
handler, with Telegram's flood limits and error payloads."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable
from types import TracebackType
from typing import Self

from aiohttp import web

from devkit.emulator.errors import ApiError
from devkit.emulator.params import Params, read_params
from devkit.emulator.state import ApiCall, BotState, JsonDict
from devkit.emulator.updates import UpdateDelivery

_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")

_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


def _is_counted(method: str) -> bool:
    """Whether Telegram's flood limits apply: calls that put a message in a chat."""
    if method == "sendChatAction":
        return False
    return method.startswith(("send", "copyMessage", "forwardMessage", "editMessage"))


class Server(UpdateDelivery):
    """Start and stop the server; answer each request as the Bot API does."""

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._base_url = f"http://{self.host}:{address[1]}"
        self._webhooks = asyncio.create_task(self._deliver_webhooks())

    async def stop(self) -> None:
        self._closing = True
        for bot in self._bots.values():
            bot.notify()
        if self._webhooks is not None:
            self._webhooks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhooks
            self._webhooks = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._base_url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not running: use `async with` or await start()")
        return self._base_url

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        file_match = _FILE_PATH.match(request.path)
        if file_match is not None:
            return self._download(file_match["token"], file_match["path"])
        match = _API_PATH.match(request.path)
        if match is None:
            return self._error_response(ApiError(404, "Not Found"))
        token, method = match["token"], match["method"]
        started = self.clock.now()
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._error_response(error)
        status, payload = await self._call(token, method, params)
        call = ApiCall(
            method=self._methods.get(method.lower(), (method, None))[0],
            params=params.as_dict(),
            status=status,
            description=payload.get("description"),
            time=started,
        )
        self.requests.append(call)
        if status != 200:
            self.errors.append(call)
        return web.Response(
            status=status,
            text=json.dumps(payload, ensure_ascii=False),
            content_type="application/json",
        )

    async def _call(self, token: str, method: str, params: Params) -> tuple[int, JsonDict]:
        bot = self._bots.get(token)
        if bot is None:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        entry = self._methods.get(method.lower())
        if entry is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        name, handler = entry
        try:
            target = self._flood_target(params) if _is_counted(name) else None
            if target is not None:
                self._check_flood(bot, *target)
            result = handler(bot, params)
            if isinstance(result, Awaitable):
                result = await result
            if target is not None:
                bot.flood.consume(*target)
                self.counted_sends.append((self.clock.now(), target[0]))
        except ApiError as error:
            payload: JsonDict = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                payload["parameters"] = error.parameters
            return error.status, payload
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _check_flood(bot: BotState, chat_id: int, private: bool) -> None:
        wait = bot.flood.retry_after(chat_id, private)
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _flood_target(self, params: Params) -> tuple[int, bool] | None:
        raw = params.raw("chat_id")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            return None
        chat = self._chats.get(chat_id)
        if chat is None:
            return None
        return chat.id, chat.private

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        payload = {"ok": False, "error_code": error.status, "description": error.description}
        return web.Response(
            status=error.status, text=json.dumps(payload), content_type="application/json"
        )

    def _download(self, token: str, path: str) -> web.Response:
        data = self.files.content(path) if token in self._bots else None
        if data is None:
            return self._error_response(ApiError(404, "Not Found"))
        return web.Response(body=data, content_type="application/octet-stream")
