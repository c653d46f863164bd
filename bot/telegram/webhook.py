"""The webhook: Telegram POSTs each update; it is written to the inbox, then 200.

The reply is sent only once the update is durably accepted (bot.services.inbox),
so a replica that dies before that makes Telegram deliver it again, possibly to
another replica; a redelivery of an update some replica already accepted is
answered 200 and not handled again. A request without the right
X-Telegram-Bot-Api-Secret-Token header gets 401 and touches nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.services.inbox import InboxService
from bot.telegram.polling import DurablePolling

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_handler(
    poller: DurablePolling, inbox: InboxService, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401)
        try:
            raw = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400)
        failure: Exception | None = None
        try:
            accepted = await inbox.accept([raw])
        except Exception as exc:  # the type only: the payload holds citizens' text
            failure = exc
            accepted = []
        if failure is not None:
            logger.error("the inbox cannot take an update (%s)", type(failure).__name__)
            return web.Response(status=503)  # Telegram delivers it again
        for item in accepted:
            poller.start(item)
        return web.Response(status=200)

    return receive
