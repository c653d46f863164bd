"""The sandbox chat: talk to the real bot in a terminal, without Telegram.

The bot runs exactly as in production, long polling a local Bot API emulator
through the same Dispatcher and handlers; this module only plays the
citizen: what you type is sent as your message, and the bot's messages are
printed with their buttons numbered (type the number to press one).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from pydantic import SecretStr

from bot.config import Settings
from bot.nlu.client import NLUClient
from devkit.emulator import TelegramEmulator

SANDBOX_TOKEN = "1000:sandbox-token"
CITIZEN_ID = 4242
# An emulated staff group, so that a crisis or /human opens a real case and the
# citizen sees what the desk says (office hours from the settings, as in
# production: OFFICE_HOURS_START=00:00 OFFICE_HOURS_END=00:00 keeps it open).
STAFF_GROUP_ID = -1000000004242
STAFF_ADMIN_ID = 4243
QUIET_SECONDS = 0.8
LAST_QUIET_SECONDS = 4.0
MAX_WAIT_SECONDS = 20.0


def _buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup:
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]


class SandboxChat:
    def __init__(self, emulator: TelegramEmulator, out: Any = None) -> None:
        self._emulator = emulator
        self._out = out
        self._seen = 0
        self._buttons: list[tuple[int, dict[str, Any]]] = []

    def _print(self, line: str = "") -> None:
        print(line, file=self._out or sys.stdout, flush=True)

    async def show_replies(self, quiet: float = QUIET_SECONDS) -> int:
        """Print the bot's new messages once it has been quiet for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        start = last_change = loop.time()
        while loop.time() - start < MAX_WAIT_SECONDS:
            await asyncio.sleep(0.1)
            mine = self._emulator.messages_to(CITIZEN_ID)
            if len(mine) > self._seen:
                for record in mine[self._seen :]:
                    self._render(record)
                self._seen = len(mine)
                last_change = loop.time()
            elif self._seen and loop.time() - last_change >= quiet:
                break
        return self._seen

    def print_new(self) -> None:
        """Print what arrived since the last look (no await: never twice)."""
        mine = self._emulator.messages_to(CITIZEN_ID)
        for record in mine[self._seen :]:
            self._render(record)
        self._seen = len(mine)

    async def follow(self) -> None:
        """While you type: messages that come later (a counselor, the desk) show up."""
        while True:
            await asyncio.sleep(0.5)
            self.print_new()

    def _render(self, record: Any) -> None:
        self._print()
        for line in (record.text or "").splitlines() or [""]:
            self._print(f"  kenes │ {line}")
        buttons = _buttons(record.reply_markup)
        if buttons:
            self._buttons = []
            for button in buttons:
                number = len(self._buttons) + 1
                if "url" in button:
                    self._print(f"        [{number}] {button['text']} → {button['url']}")
                else:
                    self._print(f"        [{number}] {button['text']}")
                self._buttons.append((record.message_id, button))

    async def say(self, line: str) -> None:
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            message_id, button = self._buttons[int(line) - 1]
            if "callback_data" in button:
                self._emulator.press_button(CITIZEN_ID, message_id, button["callback_data"])
            else:
                self._print(f"        (a link: {button.get('url')})")
                return
        else:
            self._emulator.send_text(CITIZEN_ID, line)
        await self.show_replies()


async def run_sandbox(
    settings: Settings, *, lines: list[str] | None = None, nlu: NLUClient | None = None
) -> None:
    """Run the sandbox; with `lines`, type them and return (tests do)."""
    from bot.app import run_polling

    async with TelegramEmulator() as emulator:
        emulator.add_bot(
            SANDBOX_TOKEN, bot_id=1000, username="kenes_sandbox_bot", first_name="Kenes"
        )
        emulator.add_user(CITIZEN_ID, "Citizen")
        emulator.add_user(STAFF_ADMIN_ID, "Counselor")
        emulator.add_group(
            STAFF_GROUP_ID,
            "Kenes counselors (sandbox)",
            members=[STAFF_ADMIN_ID],
            administrators=[STAFF_ADMIN_ID],
        )
        local = settings.model_copy(
            update={
                "bot_token": SecretStr(SANDBOX_TOKEN),
                "telegram_api_base": emulator.base_url,
                "staff_chat_id": STAFF_GROUP_ID,
                # The weekly report stays off unless WEEKLY_REPORT asks for it.
                "weekly_report": settings.weekly_report
                and "weekly_report" in settings.model_fields_set,
            }
        )
        polling = asyncio.create_task(run_polling(local, nlu=nlu))
        chat = SandboxChat(emulator)
        follower: asyncio.Task[None] | None = None
        try:
            print(
                "Kenes sandbox: you are a citizen writing to the bot. "
                "Type a message; a number presses a button; /quit or Ctrl-D exits.",
                flush=True,
            )
            await chat.say("/start")
            if polling.done():
                polling.result()
            pending = list(lines) if lines is not None else None
            if pending is None:
                follower = asyncio.create_task(chat.follow())
            while True:
                if pending is not None:
                    if not pending:
                        # What the desk sends after a case opens comes once its
                        # topic is set up: wait for it before stopping.
                        await chat.show_replies(quiet=LAST_QUIET_SECONDS)
                        break
                    line = pending.pop(0)
                else:
                    try:
                        line = await asyncio.to_thread(input, "\nyou › ")
                    except EOFError:
                        break
                line = line.strip()
                if line in ("/quit", "/exit"):
                    break
                if polling.done():
                    polling.result()  # the bot stopped: show why instead of waiting
                if line:
                    await chat.say(line)
        finally:
            if follower is not None:
                follower.cancel()
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
