"""A local Telegram Bot API server for tests, benchmarks and the sandbox chat.

`TelegramEmulator` is an aiohttp server on 127.0.0.1 speaking the Bot API wire
format (`{base}/bot{token}/{method}`, `{base}/file/bot{token}/{path}`), so the
real bot runs against it unchanged through
`AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))`.
It rejects what Telegram rejects, with Telegram's status codes and
descriptions (malformed HTML, over-long texts, bad buttons, unknown chats,
flood limits with `retry_after`), so a bot that passes here does not fail
in production for those reasons.

Tests play the users through a plain Python control API (`send_text`,
`press_button`, ...) and read what the bot did from `sent`, `requests`,
`errors` and `callback_answers`, or wait for it with `wait_for`. The control
API must be called from the event loop the emulator runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import random
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from devkit.emulator import settings as emulator_settings
from devkit.emulator.files import (
    CAPTIONED_KINDS,
    DICE_EMOJI,
    FILE_KINDS,
    MEDIA_KINDS,
    FileStore,
    build_other,
)
from devkit.emulator.limits import Clock, FloodControl, RateLimits
from devkit.emulator.params import Handler, Params, Upload, read_params
from devkit.emulator.state import (
    DEFAULT_UPDATE_TYPES,
    UPDATE_TYPES,
    ApiCall,
    BotState,
    CallbackAnswer,
    CallbackQuery,
    Chat,
    JsonDict,
    SentMessage,
    Topic,
    User,
)
from devkit.emulator.text import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    ApiError,
    bad_request,
    check_reply_markup,
    forbidden,
    parse_formatted,
    utf16_len,
)

__all__ = [
    "ApiCall",
    "CallbackAnswer",
    "RateLimits",
    "SentMessage",
    "TelegramEmulator",
]

_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_TOPIC_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_SERVICE_KEYS = frozenset(
    {
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "new_chat_members",
        "left_chat_member",
        "pinned_message",
        "group_chat_created",
        "supergroup_chat_created",
    }
)
_META_KEYS = frozenset(
    {
        "message_id",
        "from",
        "chat",
        "date",
        "edit_date",
        "reply_to_message",
        "message_thread_id",
        "is_topic_message",
        "reply_markup",
        "forward_origin",
        "has_protected_content",
        "link_preview_options",
    }
)
_MAX_POLL_SECONDS = 50
_MESSAGE_DELETE_SECONDS = 48 * 3600


def _is_counted(method: str) -> bool:
    """Whether Telegram's flood limits apply: calls that put a message in a chat."""
    if method == "sendChatAction":
        return False
    return method.startswith(("send", "copyMessage", "forwardMessage", "editMessage"))


def _without_reply(message: JsonDict) -> JsonDict:
    # Telegram never nests reply_to_message more than one level deep.
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _media_kind(message: Mapping[str, Any]) -> str | None:
    for kind in ("animation", *MEDIA_KINDS):
        if kind in message:
            return kind
    return None


def _file_id(message: Mapping[str, Any], kind: str | None) -> str | None:
    if kind not in FILE_KINDS:
        return None
    media = message[kind]
    if isinstance(media, list):
        return str(media[-1]["file_id"])
    return str(media["file_id"])


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


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


class TelegramEmulator:
    """A Bot API server plus the users and chats around the bot.

    Use `async with TelegramEmulator() as emulator:` (or `await start()` and
    `await stop()`); `base_url` is then the address to give aiogram's
    `TelegramAPIServer.from_base`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        strict_html: bool = True,
        callback_query_ttl: float = 900.0,
    ) -> None:
        """`strict_html` also rejects a bare '&' that starts no entity.

        Telegram itself lets such an '&' through; rejecting it catches text
        that was never escaped, which would break on the first '<'.
        """
        self.host = host
        self.port = port
        self.rate_limits = rate_limits if rate_limits is not None else RateLimits()
        self.strict_html = strict_html
        self.callback_query_ttl = callback_query_ttl
        self.clock = Clock(self.rate_limits.time_scale)
        self.files = FileStore()
        self.sent: list[SentMessage] = []
        self.requests: list[ApiCall] = []
        # Every update offered to the bot, in order (for redelivering one).
        self.updates_offered: list[JsonDict] = []
        self.errors: list[ApiCall] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._bots: dict[str, BotState] = {}
        self._default_bot: BotState | None = None
        self._sent_event = asyncio.Event()
        self._cursors: dict[int | None, int] = {}
        self._mark = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._methods: dict[str, tuple[str, Handler]] = {}
        self._register_methods()
        self._webhooks: asyncio.Task[None] | None = None
        # (update_id, HTTP status or 0 for a connection error) of each webhook delivery.
        self.webhook_deliveries: list[tuple[int, int]] = []
        # Webhook targets in turn (several replicas behind one URL): each delivery
        # goes to the next; empty: the URL given to setWebhook.
        self.webhook_targets: list[str] = []
        # Set: each delivery goes to a target drawn from it instead of the next in turn.
        self.webhook_random: random.Random | None = None
        # (emulated time, chat id) of every send that counts against the flood limits.
        self.counted_sends: list[tuple[float, int]] = []

    # --- lifecycle ----------------------------------------------------------

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

    # --- world setup --------------------------------------------------------

    def add_bot(
        self,
        token: str,
        *,
        bot_id: int | None = None,
        username: str = "kenes_test_bot",
        first_name: str = "Kenes",
    ) -> JsonDict:
        """Register a bot token; the first bot added receives the users' updates."""
        if bot_id is None:
            prefix = token.split(":", 1)[0]
            if not prefix.isdigit():
                raise ValueError("token must look like '<bot id>:<secret>' or pass bot_id")
            bot_id = int(prefix)
        bot = BotState(
            token=token,
            id=bot_id,
            username=username,
            first_name=first_name,
            flood=FloodControl(self.rate_limits, self.clock),
        )
        self._bots[token] = bot
        if self._default_bot is None:
            self._default_bot = bot
        return bot.as_user()

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> JsonDict:
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = User(user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        return user.as_user()

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        is_forum: bool = True,
        members: Iterable[int] = (),
        administrators: Iterable[int] = (),
        username: str | None = None,
    ) -> JsonDict:
        """A supergroup (a forum by default) in which the bot is an administrator."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative, e.g. -1001234567890")
        # Message 1 of a supergroup is its creation (and the General topic's id).
        chat = Chat(
            chat_id,
            "supergroup",
            title=title,
            is_forum=is_forum,
            username=username,
            next_message_id=2,
        )
        for user_id in members:
            chat.members[self._user(user_id).id] = "member"
        for user_id in administrators:
            chat.members[self._user(user_id).id] = "administrator"
        self._chats[chat_id] = chat
        return chat.as_chat()

    def revoke_bot_right(self, chat_id: int, right: str) -> None:
        """Take one administrator right (e.g. "can_delete_messages") from the bot
        in a group: the methods that need it fail as Telegram's do."""
        self._group(chat_id).bot_revoked.add(right)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """A forum topic deleted by an administrator, with all its messages."""
        chat = self._group(chat_id)
        del chat.topics[thread_id]
        for message_id, message in list(chat.messages.items()):
            if message.get("message_thread_id") == thread_id:
                del chat.messages[message_id]

    def add_topic(self, chat_id: int, name: str, *, icon_color: int = 7322096) -> int:
        """A forum topic created by someone else; returns its message_thread_id."""
        chat = self._group(chat_id)
        return self._create_topic(chat, self._bot(), name, icon_color, None).thread_id

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403 from now on."""
        self._set_blocked(user_id, blocked=True)

    def unblock_bot(self, user_id: int) -> None:
        self._set_blocked(user_id, blocked=False)

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (flood buckets refill, queries expire)."""
        self.clock.advance(seconds)

    # --- users acting -------------------------------------------------------

    def send_text(
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

    def send_media(
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

    # --- reading what the bot did ---------------------------------------------

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
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> list[SentMessage]:
        """Wait for `count` new records to a chat id (or matching a predicate).

        "New" means after the last user input into that chat (send_text,
        press_button, ...) or after the records an earlier wait_for on the
        same chat returned, whichever is later; `since` gives an index into
        `sent` instead. Raises TimeoutError listing what was sent.
        """
        if callable(what):
            predicate = what
            key: int | None = None
        elif what is None:
            key = None

            def predicate(_: SentMessage) -> bool:
                return True
        else:
            chat_id = int(what)
            key = chat_id

            def predicate(record: SentMessage) -> bool:
                return record.chat_id == chat_id

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

    # --- internals: world ------------------------------------------------------

    def _bot(self) -> BotState:
        if self._default_bot is None:
            raise RuntimeError("call add_bot() first")
        return self._default_bot

    def _user(self, user_id: int) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}: call add_user() first")
        return user

    def _group(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.private:
            raise ValueError(f"unknown group {chat_id}: call add_group() first")
        return chat

    def _private_chat(self, user: User) -> Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = Chat(user.id, "private", user=user)
            self._chats[user.id] = chat
        return chat

    def _set_blocked(self, user_id: int, *, blocked: bool) -> None:
        user = self._user(user_id)
        if user.blocked == blocked:
            return
        user.blocked = blocked
        bot = self._bot()
        chat = self._private_chat(user)
        kicked: JsonDict = {"status": "kicked", "user": bot.as_user(), "until_date": 0}
        member: JsonDict = {"status": "member", "user": bot.as_user()}
        self._enqueue(
            "my_chat_member",
            {
                "chat": chat.as_chat(),
                "from": user.as_user(),
                "date": self.clock.unix(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )

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

    def _mark_input(self, chat_id: int) -> None:
        self._cursors[chat_id] = len(self.sent)
        self._cursors.pop(None, None)
        self._mark = len(self.sent)

    def _enqueue(self, kind: str, payload: JsonDict) -> None:
        bot = self._bot()
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.updates.append(update)
        self.updates_offered.append(copy.deepcopy(update))
        bot.next_update_id += 1
        bot.notify()

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

    def deliver_raw(self, update: JsonDict) -> int:
        """Offer `update` as it is: again (a redelivery keeps its update_id), or in a
        shape a client may not decode. Without an update_id it gets the next one."""
        bot = self._bot()
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = bot.next_update_id
            bot.next_update_id += 1
        bot.updates.append(update)
        self.updates_offered.append(copy.deepcopy(update))
        bot.notify()
        return int(update["update_id"])

    def _store_message(
        self,
        chat: Chat,
        sender: JsonDict,
        *,
        thread: int | None,
        reply_to: JsonDict | None,
        content: JsonDict,
    ) -> JsonDict:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: JsonDict = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.as_chat(),
            "date": self.clock.unix(),
        }
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
            if reply_to is None:
                # In a topic, a message that replies to nothing replies to the
                # topic's creation message, as in real forums.
                reply_to = chat.messages.get(thread)
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(copy.deepcopy(reply_to))
        message.update(content)
        chat.messages[message_id] = message
        return message

    def _create_topic(
        self, chat: Chat, bot: BotState, name: str, icon_color: int, emoji: str | None
    ) -> Topic:
        created: JsonDict = {"name": name, "icon_color": icon_color}
        if emoji:
            created["icon_custom_emoji_id"] = emoji
        message = self._store_message(
            chat,
            bot.as_user(),
            thread=None,
            reply_to=None,
            content={"forum_topic_created": created},
        )
        thread_id = int(message["message_id"])
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        topic = Topic(thread_id, name, icon_color, emoji)
        chat.topics[thread_id] = topic
        return topic

    def _record(
        self,
        method: str,
        chat: Chat,
        message: JsonDict,
        params: Params,
        *,
        markup: JsonDict | None,
        reply_to: int | None = None,
        source: tuple[int, int] | None = None,
    ) -> None:
        kind = _media_kind(message)
        text_key = "text" if "text" in message else "caption"
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=chat.id,
                message_id=int(message["message_id"]),
                message_thread_id=message.get("message_thread_id"),
                text=message.get(text_key),
                raw_text=params.text("text") if params.present("text") else params.text("caption"),
                parse_mode=params.text("parse_mode"),
                entities=copy.deepcopy(
                    message.get("entities" if text_key == "text" else "caption_entities", [])
                ),
                reply_markup=copy.deepcopy(markup),
                media_kind=kind,
                file_id=_file_id(message, kind),
                reply_to_message_id=reply_to,
                source_chat_id=source[0] if source else None,
                source_message_id=source[1] if source else None,
                params=params.as_dict(),
                time=self.clock.now(),
            )
        )
        self._sent_event.set()
        self._sent_event = asyncio.Event()

    # --- internals: HTTP ---------------------------------------------------------

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

    def _register_methods(self) -> None:
        handlers: dict[str, Handler] = {
            **emulator_settings.methods(),
            "logOut": lambda bot, _: True,
            "close": lambda bot, _: True,
            "getUpdates": self._get_updates,
            "setChatMenuButton": self._set_chat_menu_button,
            "sendMessage": self._send_message,
            "sendChatAction": self._send_chat_action,
            "copyMessage": lambda bot, p: {
                "message_id": self._copy(bot, p, forward=False)["message_id"]
            },
            "forwardMessage": lambda bot, p: self._copy(bot, p, forward=True),
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendLocation": self._send_location,
            "sendContact": self._send_contact,
            "sendDice": self._send_dice,
            "sendPoll": self._send_poll,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": lambda bot, p: self._set_topic_closed(bot, p, closed=True),
            "reopenForumTopic": lambda bot, p: self._set_topic_closed(bot, p, closed=False),
            "deleteForumTopic": self._delete_forum_topic,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "leaveChat": self._leave_chat,
            "getFile": self._get_file,
        }
        for kind in FILE_KINDS:
            name = "send" + "".join(part.capitalize() for part in kind.split("_"))
            handlers[name] = self._media_sender(kind)
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # --- internals: common request checks -------------------------------------------

    def _chat(self, params: Params, name: str = "chat_id", *, sending: bool = False) -> Chat:
        raw = params.raw(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        chat: Chat | None = None
        if isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            chat = next(
                (
                    candidate
                    for candidate in self._chats.values()
                    if (candidate.username or "").lower() == wanted
                ),
                None,
            )
        else:
            try:
                chat = self._chats.get(int(raw))
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
            if chat is None and sending and int(raw) in self._users:
                raise forbidden("bot can't initiate conversation with a user")
        if chat is None:
            raise bad_request("chat not found")
        if sending:
            if chat.user is not None and chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.private and not chat.bot_member:
                raise forbidden("bot is not a member of the supergroup chat")
        return chat

    def _thread(self, chat: Chat, params: Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if not chat.is_forum or thread_id is None or thread_id == 1:
            # Outside forums (and for the General topic) there is no thread.
            return None
        return self._open_topic(chat, thread_id)

    @staticmethod
    def _open_topic(chat: Chat, thread_id: int) -> int:
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        if topic.closed:
            raise bad_request("TOPIC_CLOSED")
        return thread_id

    def _reply(
        self, chat: Chat, params: Params, thread: int | None
    ) -> tuple[JsonDict | None, int | None]:
        """The message replied to (if any) and the thread the new message goes to."""
        reply_parameters = params.structured(
            "reply_parameters", "can't parse reply parameters JSON object"
        )
        allow_missing = params.flag("allow_sending_without_reply")
        reply_chat = chat
        if reply_parameters is not None:
            if not isinstance(reply_parameters, dict):
                raise bad_request("can't parse reply parameters JSON object")
            message_id = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply", allow_missing))
            if reply_parameters.get("chat_id") not in (None, chat.id):
                reply_chat = self._chat(Params({"chat_id": reply_parameters["chat_id"]}, {}))
        else:
            message_id = params.integer("reply_to_message_id")
        if message_id is None:
            return None, thread
        target = reply_chat.messages.get(int(message_id))
        if target is None:
            if allow_missing:
                return None, thread
            raise bad_request("message to be replied not found")
        if reply_chat is chat and chat.is_forum and thread is None:
            target_thread = target.get("message_thread_id")
            if target_thread is not None:
                thread = self._open_topic(chat, int(target_thread))
        return target, thread

    def _formatted(
        self, params: Params, field: str, entities_field: str, *, limit: int
    ) -> tuple[str | None, list[JsonDict]]:
        raw = params.text(field)
        if raw is None or raw == "":
            return None, []
        entities = params.structured(entities_field, "can't parse entities JSON object")
        if entities is not None and not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        plain, found = parse_formatted(
            raw, params.text("parse_mode"), entities, strict_ampersand=self.strict_html
        )
        if not plain:
            return None, []
        if utf16_len(plain) > limit:
            raise bad_request(
                "message is too long" if field == "text" else "message caption is too long"
            )
        return plain, found

    def _message_text(self, params: Params) -> tuple[str, list[JsonDict]]:
        text, entities = self._formatted(params, "text", "entities", limit=TEXT_LIMIT)
        if text is None:
            raise bad_request("message text is empty")
        return text, entities

    @staticmethod
    def _markup(params: Params) -> JsonDict | None:
        markup = params.structured("reply_markup", "can't parse reply keyboard markup JSON object")
        return check_reply_markup(markup)

    def _deliver(
        self,
        method: str,
        bot: BotState,
        params: Params,
        content: JsonDict,
        *,
        chat: Chat | None = None,
        source: tuple[int, int] | None = None,
    ) -> JsonDict:
        """The common tail of every send: thread, reply, markup, store, record."""
        chat = chat or self._chat(params, sending=True)
        thread = self._thread(chat, params)
        markup = self._markup(params)
        reply, thread = self._reply(chat, params, thread)
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        if params.flag("protect_content"):
            content["has_protected_content"] = True
        message = self._store_message(
            chat, bot.as_user(), thread=thread, reply_to=reply, content=content
        )
        self._record(
            method,
            chat,
            message,
            params,
            markup=markup,
            reply_to=int(reply["message_id"]) if reply is not None else None,
            source=source,
        )
        return message

    def _own_message(
        self, bot: BotState, params: Params, *, sending: bool = True
    ) -> tuple[Chat, JsonDict]:
        if params.present("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params, sending=sending)
        message_id = params.integer("message_id", missing="message identifier is not specified")
        message = chat.messages.get(int(message_id or 0))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != bot.id:
            raise bad_request("message can't be edited")
        return chat, message

    # --- methods: updates and bot settings -------------------------------------------

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

    def _set_chat_menu_button(self, bot: BotState, params: Params) -> bool:
        chat_id = params.integer("chat_id")
        if chat_id is not None:
            self._chat(params)
        button = params.structured("menu_button", "can't parse menu button JSON object")
        if button is not None and (not isinstance(button, dict) or "type" not in button):
            raise bad_request("can't parse menu button JSON object")
        bot.menu_buttons[chat_id] = button or {"type": "default"}
        return True

    # --- methods: messages ------------------------------------------------------

    def _send_message(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        text, entities = self._message_text(params)
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._deliver("sendMessage", bot, params, content, chat=chat)

    def _send_chat_action(self, bot: BotState, params: Params) -> bool:
        chat = self._chat(params, sending=True)
        self._thread(chat, params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _input_file(self, params: Params, kind: str) -> Any:
        raw = params.raw(kind)
        upload: Upload | None = None
        if raw is None or raw == "":
            upload = params.files.get(kind)
            if upload is None:
                raise bad_request(f"there is no {kind.replace('_', ' ')} in the request")
        elif isinstance(raw, str) and raw.startswith("attach://"):
            upload = params.files.get(raw.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if upload is not None:
            name, data, mime_type = upload
            return self.files.create(kind, data=data, file_name=name, mime_type=mime_type)
        file_id = str(raw)
        if file_id.lower().startswith(("http://", "https://")):
            return self.files.create(kind)
        try:
            media = self.files.reuse(file_id, kind)
        except ValueError:
            raise bad_request("type of file mismatch") from None
        if media is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return media

    def _media_sender(self, kind: str) -> Handler:
        method = "send" + "".join(part.capitalize() for part in kind.split("_"))

        def send(bot: BotState, params: Params) -> JsonDict:
            chat = self._chat(params, sending=True)
            media = self._input_file(params, kind)
            content: JsonDict = {kind: media}
            if kind == "animation":
                content["document"] = {
                    key: media[key]
                    for key in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
                    if key in media
                }
            if kind in CAPTIONED_KINDS:
                caption, entities = self._formatted(
                    params, "caption", "caption_entities", limit=CAPTION_LIMIT
                )
                if caption:
                    content["caption"] = caption
                    if entities:
                        content["caption_entities"] = entities
            if kind == "sticker" and params.present("emoji"):
                media["emoji"] = params.text("emoji")
            return self._deliver(method, bot, params, content, chat=chat)

        return send

    def _send_location(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        latitude, longitude = params.number("latitude"), params.number("longitude")
        if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
            raise bad_request("wrong latitude/longitude specified")
        content = {"location": build_other("location", latitude=latitude, longitude=longitude)}
        return self._deliver("sendLocation", bot, params, content, chat=chat)

    def _send_contact(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        if not params.present("phone_number"):
            raise bad_request("phone number is empty")
        if not params.present("first_name"):
            raise bad_request("first name is empty")
        values = {
            key: params.text(key)
            for key in ("phone_number", "first_name", "last_name", "vcard")
            if params.present(key)
        }
        content = {"contact": build_other("contact", **values)}
        return self._deliver("sendContact", bot, params, content, chat=chat)

    def _send_dice(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        emoji = params.text("emoji") or "🎲"
        if emoji not in DICE_EMOJI:
            raise bad_request("wrong dice emoji")
        content = {"dice": build_other("dice", emoji=emoji)}
        return self._deliver("sendDice", bot, params, content, chat=chat)

    def _send_poll(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params, sending=True)
        question = params.text("question") or ""
        if not question.strip():
            raise bad_request("poll question must be non-empty")
        options = params.structured("options", "can't parse options JSON object")
        if not isinstance(options, list) or not 2 <= len(options) <= 12:
            raise bad_request("poll must have 2-12 options")
        poll = build_other(
            "poll",
            question=question,
            options=options,
            is_anonymous=params.flag("is_anonymous") if params.present("is_anonymous") else True,
            type=params.text("type") or "regular",
            allows_multiple_answers=params.flag("allows_multiple_answers"),
        )
        return self._deliver("sendPoll", bot, params, {"poll": poll}, chat=chat)

    def _copy(self, bot: BotState, params: Params, *, forward: bool) -> JsonDict:
        verb = "forward" if forward else "copy"
        source_chat = self._chat(params, "from_chat_id")
        message_id = params.integer("message_id", missing="message identifier is not specified")
        source = source_chat.messages.get(int(message_id or 0))
        if source is None:
            raise bad_request(f"message to {verb} not found")
        if _SERVICE_KEYS.intersection(source) or source.get("has_protected_content"):
            raise bad_request(f"message can't be {'forwarded' if forward else 'copied'}")
        chat = self._chat(params, sending=True)
        content = {
            key: copy.deepcopy(value) for key, value in source.items() if key not in _META_KEYS
        }
        if forward:
            content["forward_origin"] = copy.deepcopy(source.get("forward_origin")) or {
                "type": "user",
                "sender_user": source["from"],
                "date": source["date"],
            }
        elif params.raw("caption") is not None and _media_kind(source) in CAPTIONED_KINDS:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            caption, entities = self._formatted(
                params, "caption", "caption_entities", limit=CAPTION_LIMIT
            )
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
        method = "forwardMessage" if forward else "copyMessage"
        return self._deliver(
            method,
            bot,
            params,
            content,
            chat=chat,
            source=(source_chat.id, int(source["message_id"])),
        )

    def _edit_message_text(self, bot: BotState, params: Params) -> JsonDict:
        chat, message = self._own_message(bot, params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._message_text(params)
        markup = self._markup(params)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise bad_request(_NOT_MODIFIED)
        message["text"] = text
        self._set_optional(message, "entities", entities)
        return self._finish_edit("editMessageText", chat, message, params, inline)

    def _edit_message_caption(self, bot: BotState, params: Params) -> JsonDict:
        chat, message = self._own_message(bot, params)
        if _media_kind(message) not in CAPTIONED_KINDS:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(
            params, "caption", "caption_entities", limit=CAPTION_LIMIT
        )
        markup = self._markup(params)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if (
            message.get("caption") == caption
            and message.get("caption_entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise bad_request(_NOT_MODIFIED)
        self._set_optional(message, "caption", caption)
        self._set_optional(message, "caption_entities", entities)
        return self._finish_edit("editMessageCaption", chat, message, params, inline)

    def _edit_message_reply_markup(self, bot: BotState, params: Params) -> JsonDict:
        chat, message = self._own_message(bot, params)
        markup = self._markup(params)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if message.get("reply_markup") == inline:
            raise bad_request(_NOT_MODIFIED)
        return self._finish_edit("editMessageReplyMarkup", chat, message, params, inline)

    @staticmethod
    def _set_optional(message: JsonDict, key: str, value: Any) -> None:
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _finish_edit(
        self, method: str, chat: Chat, message: JsonDict, params: Params, inline: JsonDict | None
    ) -> JsonDict:
        # An edit without reply_markup removes the keyboard, as on Telegram.
        self._set_optional(message, "reply_markup", inline)
        message["edit_date"] = self.clock.unix()
        self._record(method, chat, message, params, markup=inline)
        return message

    def _delete_message(self, bot: BotState, params: Params) -> bool:
        chat = self._chat(params)
        message_id = params.integer("message_id", missing="message identifier is not specified")
        self._delete_one(chat, int(message_id or 0))
        return True

    def _delete_one(self, chat: Chat, message_id: int) -> None:
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        if self.clock.unix() - int(message["date"]) > _MESSAGE_DELETE_SECONDS:
            raise bad_request("message can't be deleted for everyone")
        del chat.messages[message_id]
        self.deleted.append((chat.id, message_id))

    def _delete_messages(self, bot: BotState, params: Params) -> bool:
        chat = self._chat(params)
        message_ids = params.structured("message_ids", "can't parse message identifiers")
        if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in message_ids:
            with contextlib.suppress(ApiError):
                self._delete_one(chat, int(message_id))
        return True

    def _answer_callback_query(self, bot: BotState, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        query = bot.queries.get(query_id)
        if (
            query is None
            or query.answered
            or self.clock.now() - query.created > self.callback_query_ttl
        ):
            raise bad_request(_QUERY_INVALID)
        text = params.text("text")
        if text and utf16_len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                user_id=query.user_id,
                chat_id=query.chat_id,
                message_id=query.message_id,
                data=query.data,
                text=text,
                show_alert=params.flag("show_alert"),
                url=params.text("url"),
                cache_time=params.integer("cache_time"),
                time=self.clock.now(),
            )
        )
        return True

    # --- methods: forums and chats ---------------------------------------------------

    def _forum(self, params: Params) -> Chat:
        chat = self._chat(params, sending=True)
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        return chat

    def _topic(self, chat: Chat, params: Params) -> Topic:
        thread_id = params.integer("message_thread_id", missing="message thread not found")
        topic = chat.topics.get(int(thread_id or 0))
        if topic is None:
            raise bad_request("TOPIC_ID_INVALID")
        return topic

    def _create_forum_topic(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._forum(params)
        name = params.text("name") or ""
        if not name.strip():
            raise bad_request("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise bad_request("TOPIC_TITLE_TOO_LONG")
        color = params.integer("icon_color") or 7322096
        if color not in _TOPIC_COLORS:
            raise bad_request("TOPIC_ICON_COLOR_INVALID")
        topic = self._create_topic(chat, bot, name, color, params.text("icon_custom_emoji_id"))
        return topic.as_topic()

    def _topic_service_message(
        self, chat: Chat, bot: BotState, topic: Topic, content: JsonDict
    ) -> None:
        self._store_message(
            chat, bot.as_user(), thread=topic.thread_id, reply_to=None, content=content
        )

    def _edit_forum_topic(self, bot: BotState, params: Params) -> bool:
        chat = self._forum(params)
        topic = self._topic(chat, params)
        name = params.text("name")
        emoji = params.text("icon_custom_emoji_id")
        if name is not None and not name.strip():
            raise bad_request("TOPIC_TITLE_EMPTY")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == (topic.icon_custom_emoji_id or "")
        ):
            raise bad_request("TOPIC_NOT_MODIFIED")
        edited: JsonDict = {}
        if name is not None:
            topic.name = edited["name"] = name
        if emoji is not None:
            topic.icon_custom_emoji_id = emoji or None
            edited["icon_custom_emoji_id"] = emoji
        self._topic_service_message(chat, bot, topic, {"forum_topic_edited": edited})
        return True

    def _set_topic_closed(self, bot: BotState, params: Params, *, closed: bool) -> bool:
        chat = self._forum(params)
        topic = self._topic(chat, params)
        if topic.closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        event = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._topic_service_message(chat, bot, topic, {event: {}})
        return True

    def _delete_forum_topic(self, bot: BotState, params: Params) -> bool:
        chat = self._forum(params)
        topic = self._topic(chat, params)
        if "can_delete_messages" in chat.bot_revoked:
            raise bad_request("CHAT_ADMIN_REQUIRED")
        self.delete_topic(chat.id, topic.thread_id)
        return True

    def _get_chat(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params)
        info = chat.as_chat() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat.user is not None:
            return info
        return info | {"permissions": {"can_send_messages": True}}

    def _get_chat_member(self, bot: BotState, params: Params) -> JsonDict:
        chat = self._chat(params)
        user_id = params.integer("user_id", missing="user not found")
        if user_id == bot.id:
            if chat.private:
                return {"status": "member", "user": bot.as_user()}
            if not chat.bot_member:
                return {"status": "left", "user": bot.as_user()}
            member = self._administrator(bot.as_user())
            member.update(dict.fromkeys(chat.bot_revoked, False))
            return member
        user = self._users.get(int(user_id or 0))
        if user is None:
            raise bad_request("user not found")
        if chat.private:
            status = "member" if user.id == chat.id else "left"
        else:
            status = chat.members.get(user.id, "left")
        if status == "administrator":
            return self._administrator(user.as_user())
        return {"status": status, "user": user.as_user()}

    @staticmethod
    def _administrator(user: JsonDict) -> JsonDict:
        rights = (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_send_welcome_messages",
            "can_pin_messages",
            "can_manage_topics",
        )
        member: JsonDict = {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
        }
        member.update(dict.fromkeys(rights, True))
        return member

    def _leave_chat(self, bot: BotState, params: Params) -> bool:
        chat = self._chat(params)
        if chat.private:
            raise bad_request("chat member status can't be changed in private chats")
        chat.bot_member = False
        return True

    def _get_file(self, bot: BotState, params: Params) -> JsonDict:
        stored = self.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": self.files.file_path(stored),
        }
