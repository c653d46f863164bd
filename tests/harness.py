"""End-to-end harness: the real bot, long polling a local Bot API emulator.

`running_bot` starts the bot exactly as production does (`run_polling`), but
against the emulator and with the NLU client the test chooses (a fake, or the
real Rasa server). Tests play citizens and counselors through the emulator
and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import SecretStr

from bot.app import run_polling
from bot.config import Settings
from bot.nlu.client import NLUClient
from devkit.emulator import RateLimits, TelegramEmulator

BOT_TOKEN = "123456:e2e-test-token"
BOT_ID = 123456


class Harness:
    def __init__(
        self, emulator: TelegramEmulator, settings: Settings, nlu: NLUClient | None
    ) -> None:
        self.emulator = emulator
        self.settings = settings
        self.nlu = nlu
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(run_polling(self.settings, nlu=self.nlu))
        # Ready once the bot has asked for updates.
        for _ in range(200):
            if any(r.method == "deleteWebhook" for r in self.emulator.requests):
                return
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)
        raise TimeoutError("the bot did not start polling")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def restart(self) -> None:
        await self.stop()
        self.emulator.requests.clear()
        await self.start()

    async def say(
        self,
        user_id: int,
        text: str,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
        **kwargs: Any,
    ) -> list[Any]:
        """Send `text` as `user_id` and return the bot's next `count` messages to that chat."""
        chat_id = kwargs.get("chat_id") or user_id
        before = len(self.emulator.messages_to(chat_id))
        self.emulator.send_text(user_id, text, **kwargs)
        return await self.replies(chat_id, before, count=count, timeout=timeout)

    async def press(
        self,
        user_id: int,
        message: Any,
        callback_data: str,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
    ) -> list[Any]:
        before = len(self.emulator.messages_to(user_id))
        self.emulator.press_button(user_id, message.message_id, callback_data)
        return await self.replies(user_id, before, count=count, timeout=timeout)

    async def replies(
        self,
        chat_id: int,
        before: int,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
    ) -> list[Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            sent = self.emulator.messages_to(chat_id)[before:]
            if len(sent) >= count:
                return list(sent[:count]) if count else list(sent)
            if self._task is not None and self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)
        sent = self.emulator.messages_to(chat_id)[before:]
        raise TimeoutError(
            f"expected {count} message(s) to {chat_id}, got {[m.text for m in sent]}"
        )

    async def until(
        self,
        check: Callable[[], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
        what: str = "condition",
        trace: Callable[[], Any] | None = None,
    ) -> Any:
        """Poll `check` (plain or async) until it returns something true, and return that."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if self._task is not None and self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)
        sent = f"; sent: {trace()}" if trace else ""
        raise TimeoutError(f"timed out waiting for {what}{sent}")

    async def quiet(self, chat_id: int, before: int, seconds: float = 0.5) -> list[Any]:
        """Everything sent to `chat_id` after `before`, once the bot has sent
        nothing (to any chat) for `seconds`."""
        await self.emulator.wait_quiet(quiet=seconds, timeout=seconds + 30.0)
        return list(self.emulator.messages_to(chat_id)[before:])


def buttons(record: Any) -> list[dict[str, Any]]:
    markup = record.reply_markup or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(record: Any, text_part: str) -> dict[str, Any]:
    for candidate in buttons(record):
        if text_part in candidate["text"]:
            return candidate
    raise AssertionError(f"no button with {text_part!r} in {[b['text'] for b in buttons(record)]}")


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    nlu: NLUClient | None,
    limits: RateLimits | None = None,
    users: tuple[tuple[int, str], ...] = ((1001, "Aigerim"), (1002, "Ivan")),
) -> AsyncIterator[Harness]:
    emulator = TelegramEmulator(rate_limits=limits)
    async with emulator:
        emulator.add_bot(BOT_TOKEN, bot_id=BOT_ID, username="kenes_test_bot", first_name="Kenes")
        for user_id, name in users:
            emulator.add_user(user_id, name)
        local = settings.model_copy(
            update={"bot_token": SecretStr(BOT_TOKEN), "telegram_api_base": emulator.base_url}
        )
        harness = Harness(emulator, local, nlu)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()
