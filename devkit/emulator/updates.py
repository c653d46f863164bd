"""How updates reach the bot: getUpdates (long polling) and webhook delivery,
as Telegram does them."""

from __future__ import annotations

import asyncio
import contextlib
import copy

from devkit.emulator.core import EmulatorCore
from devkit.emulator.errors import ApiError, bad_request
from devkit.emulator.params import Params
from devkit.emulator.state import DEFAULT_UPDATE_TYPES, UPDATE_TYPES, BotState, JsonDict

_MAX_POLL_SECONDS = 50


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


class UpdateDelivery(EmulatorCore):
    """getUpdates, and the task that POSTs pending updates to a webhook."""

    async def _deliver_webhooks(self) -> None:
        """As Telegram: POST each pending update to the bot's webhook, in order, with
        its secret token; a reply other than 200 (or none) is retried shortly after."""
        import aiohttp

        turn = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            while not self._closing:
                delivered = False
                for bot in list(self._bots.values()):
                    hook = bot.webhook
                    if hook is None or not bot.updates:
                        continue
                    update = bot.updates[0]
                    targets = self.webhook_targets or [str(hook["url"])]
                    url = (
                        self.webhook_random.choice(targets)
                        if self.webhook_random is not None
                        else targets[turn % len(targets)]
                    )
                    turn += 1
                    headers = {}
                    if hook.get("secret_token"):
                        headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
                    status = 0
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        async with http.post(url, json=update, headers=headers) as response:
                            status = response.status
                    self.webhook_deliveries.append((int(update["update_id"]), status))
                    if status == 200 and bot.updates and bot.updates[0] is update:
                        bot.updates.pop(0)
                        delivered = True
                if not delivered:
                    await asyncio.sleep(0.05)

    async def _get_updates(self, bot: BotState, params: Params) -> list[JsonDict]:
        if bot.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.integer("timeout") or 0, 0), _MAX_POLL_SECONDS)
        allowed = params.structured("allowed_updates", "can't parse allowed updates JSON object")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed updates JSON object")
            bot.allowed_updates = [str(kind) for kind in allowed if kind in UPDATE_TYPES]
        if offset is not None:
            if offset < 0:
                bot.updates = bot.updates[offset:]
            else:
                bot.updates = [update for update in bot.updates if update["update_id"] >= offset]
        # A newer getUpdates ends an older one still waiting, as on Telegram.
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            wanted = set(bot.allowed_updates) if bot.allowed_updates else DEFAULT_UPDATE_TYPES
            bot.updates = [update for update in bot.updates if _update_type(update) in wanted]
            remaining = deadline - loop.time()
            if bot.updates or remaining <= 0 or self._closing:
                return copy.deepcopy(bot.updates[:limit])
            event = bot.event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if bot.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
