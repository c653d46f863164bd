"""The users' side of the emulator: what a citizen or counselor does (writes, sends
media, edits, presses a button) and what they see of the bot (the messages it
sent, waiting for them or for a quiet period, the limits it met).

Call it from the event loop the emulator runs on."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import random
import re
from collections.abc import Callable
from typing import Any

from bot.telegram.text_limits import utf16_len
from devkit.emulator.core import EmulatorCore
from devkit.emulator.files import CAPTIONED_KINDS, FILE_KINDS, MEDIA_KINDS, build_other
from devkit.emulator.state import CallbackQuery, JsonDict, SentMessage

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")

_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")

_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")


def _auto_entities(text: str) -> list[JsonDict]:
    """Entities Telegram's clients mark by themselves: commands, links, mentions."""
    found: list[JsonDict] = []
    for kind, pattern in (("bot_command", _COMMAND), ("url", _URL), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    found.sort(key=lambda entity: entity["offset"])
    return found


def _matching(what: int | Callable[[SentMessage], bool] | None) -> Callable[[SentMessage], bool]:
    """The records a wait is about: to a chat id, matching a predicate, or all."""
    if callable(what):
        return what
    if what is None:
        return lambda _: True
    chat_id = int(what)
    return lambda record: record.chat_id == chat_id


class Users(EmulatorCore):
    """The users acting, and what they see the bot do."""

    def send_text(  # noqa: PLR0913 - the Bot API message fields, keyword-only
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JsonDict] | None = None,
    ) -> JsonDict:
        """The user writes `text`; returns the incoming message."""
        content: JsonDict = {"text": text}
        found = entities if entities is not None else _auto_entities(text)
        if found:
            content["entities"] = found
        return self._incoming(user_id, chat_id, message_thread_id, reply_to_message_id, content)

    def send_media(  # noqa: PLR0913 - the Bot API message fields, keyword-only
        self,
        user_id: int,
        kind: str,
        *,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
        **fields: Any,
    ) -> JsonDict:
        """The user sends a sticker, photo, voice, ... (`kind` as in Message fields).

        `fields` override defaults: e.g. latitude=..., emoji=..., file_name=....
        """
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}")
        content: JsonDict = {}
        if kind in FILE_KINDS:
            media = self.files.create(
                kind,
                file_name=fields.pop("file_name", None),
                mime_type=fields.pop("mime_type", None),
                extra=fields or None,
            )
            content[kind] = media
            if kind == "animation":
                content["document"] = {
                    key: media[key]
                    for key in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
                }
        else:
            content[kind] = build_other(kind, **fields)
        if caption:
            if kind not in CAPTIONED_KINDS:
                raise ValueError(f"a {kind} has no caption")
            content["caption"] = caption
            found = _auto_entities(caption)
            if found:
                content["caption_entities"] = found
        return self._incoming(user_id, chat_id, message_thread_id, reply_to_message_id, content)

    def edit_text(
        self, user_id: int, message_id: int, new_text: str, *, chat_id: int | None = None
    ) -> JsonDict:
        """The user edits their message; the bot gets an edited_message update."""
        chat = self._chats.get(chat_id if chat_id is not None else user_id)
        message = chat.messages.get(message_id) if chat else None
        if chat is None or message is None or message["from"]["id"] != user_id:
            raise ValueError(f"user {user_id} has no message {message_id} in that chat")
        if "text" not in message:
            raise ValueError("only text messages can be edited with edit_text")
        message["text"] = new_text
        found = _auto_entities(new_text)
        if found:
            message["entities"] = found
        else:
            message.pop("entities", None)
        message["edit_date"] = self.clock.unix()
        self._enqueue("edited_message", copy.deepcopy(message))
        self._mark_input(chat.id)
        return copy.deepcopy(message)

    def press_button(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """The user presses an inline button (the data may be anything, even forged).

        Returns the callback query id the bot must answer.
        """
        user = self._user(user_id)
        chat = self._chats.get(chat_id if chat_id is not None else user_id)
        if chat is None:
            raise ValueError(f"no chat {chat_id if chat_id is not None else user_id}")
        message = chat.messages.get(message_id)
        shown = (
            copy.deepcopy(message)
            if message is not None
            # A deleted message reaches the bot as an InaccessibleMessage.
            else {"chat": chat.as_chat(), "message_id": message_id, "date": 0}
        )
        query_id = str(random.randint(10**17, 10**19))
        bot = self._bot()
        bot.queries[query_id] = CallbackQuery(
            query_id, user.id, chat.id, message_id, callback_data, self.clock.now()
        )
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.as_user(),
                "message": shown,
                "chat_instance": str((chat.id * 2654435761 + bot.id) % 10**19),
                "data": callback_data,
            },
        )
        self._mark_input(chat.id)
        return query_id

    def _incoming(
        self,
        user_id: int,
        chat_id: int | None,
        thread_id: int | None,
        reply_to_message_id: int | None,
        content: JsonDict,
    ) -> JsonDict:
        user = self._user(user_id)
        if chat_id is None or chat_id == user_id:
            user.started = True
            chat = self._private_chat(user)
            thread_id = None
        else:
            chat = self._group(chat_id)
            chat.members.setdefault(user_id, "member")
        reply = None
        if reply_to_message_id is not None:
            reply = chat.messages.get(reply_to_message_id)
            if reply is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
            if thread_id is None and chat.is_forum:
                thread_id = reply.get("message_thread_id")
        if thread_id is not None:
            topic = chat.topics.get(thread_id)
            if topic is None:
                raise ValueError(f"no topic {thread_id} in chat {chat.id}")
        message = self._store_message(
            chat, user.as_user(), thread=thread_id, reply_to=reply, content=content
        )
        self._enqueue("message", copy.deepcopy(message))
        self._mark_input(chat.id)
        return copy.deepcopy(message)

    def messages_to(
        self, chat_id: int, thread_id: int | None = None, *, edits: bool = True
    ) -> list[SentMessage]:
        """Messages the bot sent (and, unless edits=False, edited) in a chat or topic."""
        return [
            record
            for record in self.sent
            if record.chat_id == chat_id
            and (thread_id is None or record.message_thread_id == thread_id)
            and (edits or not record.is_edit)
        ]

    def message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The current state of a message as Telegram stores it (None if deleted)."""
        chat = self._chats.get(chat_id)
        found = chat.messages.get(message_id) if chat else None
        return copy.deepcopy(found) if found is not None else None

    def forum_topics(self, chat_id: int) -> dict[int, JsonDict]:
        chat = self._group(chat_id)
        return {
            thread_id: {**topic.as_topic(), "is_closed": topic.closed}
            for thread_id, topic in chat.topics.items()
        }

    def bot_commands(
        self, language_code: str = "", scope: JsonDict | None = None
    ) -> list[JsonDict]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return copy.deepcopy(self._bot().commands.get(key, []))

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by the bot."""
        return copy.deepcopy(self._bot().updates)

    async def wait_for(
        self,
        what: int | Callable[[SentMessage], bool] | None = None,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
        *,
        since: int | None = None,
    ) -> list[SentMessage]:
        """Wait for `count` new records to a chat id (or matching a predicate).

        "New" means after the last user input into that chat (send_text,
        press_button, ...) or after the records an earlier wait_for on the
        same chat returned, whichever is later; `since` gives an index into
        `sent` instead. Raises TimeoutError listing what was sent.
        """
        predicate = _matching(what)
        key = None if callable(what) or what is None else int(what)
        start = since if since is not None else self._cursors.get(key, self._mark)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matches = [
                (index, record)
                for index, record in enumerate(self.sent[start:], start)
                if predicate(record)
            ]
            if len(matches) >= count:
                chosen = matches[:count]
                self._cursors[key] = chosen[-1][0] + 1
                return [record for _, record in chosen]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_report(what, count, timeout, start, len(matches)))
            event = self._sent_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_quiet(
        self,
        what: int | Callable[[SentMessage], bool] | None = None,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
        *,
        since: int | None = None,
    ) -> list[SentMessage]:
        """Wait until the bot has sent nothing, to any chat, for `quiet` seconds;
        return the records since `since` (an index into `sent`; by default the
        last user input) to a chat id (or matching a predicate, or all).

        For "nothing else arrives": a late send is still seen, since the wait
        goes on while the bot is busy. Raises TimeoutError listing what was sent
        if the bot is not quiet within `timeout`.
        """
        predicate = _matching(what)
        start = since if since is not None else self._mark
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen, last = len(self.sent), loop.time()
        while True:
            now = loop.time()
            if now - last >= quiet:
                return [record for record in self.sent[start:] if predicate(record)]
            if now >= deadline:
                found = sum(1 for record in self.sent[start:] if predicate(record))
                report = self._timeout_report(what, found, timeout, start, found)
                raise TimeoutError(
                    f"the bot was not quiet for {quiet:g}s within {timeout:g}s.\n"
                    + report.split("\n", 1)[1]
                )
            event = self._sent_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(last + quiet, deadline) - now)
            if len(self.sent) != seen:
                seen, last = len(self.sent), loop.time()

    def clear(self) -> None:
        """Forget the records (sent, requests, errors, answers); the world stays."""
        self.sent.clear()
        self.requests.clear()
        self.errors.clear()
        self.callback_answers.clear()
        self.deleted.clear()
        self._cursors.clear()
        self._mark = 0

    def reset_limits(self) -> None:
        for bot in self._bots.values():
            bot.flood.reset()

    def _timeout_report(
        self, what: object, count: int, timeout: float, start: int, found: int
    ) -> str:
        target = "matching the predicate" if callable(what) else f"to chat {what}"
        lines = [
            f"waited {timeout:g}s for {count} message(s) {target}, got {found}.",
            f"The bot sent {len(self.sent) - start} record(s) since index {start}:",
        ]
        for record in self.sent[start:][-20:]:
            text = (record.text or "").replace("\n", " ")
            kind = f" [{record.media_kind}]" if record.media_kind else ""
            lines.append(
                f"  {record.method} chat={record.chat_id} thread={record.message_thread_id} "
                f"id={record.message_id}{kind}: {text[:80]!r}"
            )
        if self.errors:
            lines.append("Rejected calls:")
            lines.extend(
                f"  {call.method} -> {call.status} {call.description}" for call in self.errors[-10:]
            )
        return "\n".join(lines)

    def busiest(self, seconds: float, *, chat_id: int | None = None) -> int:
        """The most sends (to `chat_id`, or to any chat) within any `seconds` of
        emulated time: what Telegram's limits are about."""
        stamps = sorted(t for t, chat in self.counted_sends if chat_id in (None, chat))
        most, first = 0, 0
        for last, stamp in enumerate(stamps):
            while stamp - stamps[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def rejected(self) -> int:
        """How many calls were refused with 429 Too Many Requests."""
        return sum(1 for call in self.errors if call.status == 429)
