"""The emulator's state and what every Bot API method shares.

`EmulatorCore` holds the world (users, chats, bots), the records tests read
(`sent`, `requests`, `errors`, ...) and the checks common to many methods: the
target chat, thread and reply, formatted text, reply markup, and `_deliver`,
the common tail of every send. The method groups (messages, media, forums,
...) and the users' side are mixins over it; `TelegramEmulator` joins them.
"""

from __future__ import annotations

import asyncio
import copy
import random
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.telegram.text_limits import utf16_len
from devkit.emulator.errors import bad_request, forbidden
from devkit.emulator.files import FILE_KINDS, FileStore, media_kind
from devkit.emulator.limits import Clock, RateLimits
from devkit.emulator.markup import check_reply_markup
from devkit.emulator.params import Handler, Params
from devkit.emulator.state import (
    ApiCall,
    BotState,
    CallbackAnswer,
    Chat,
    JsonDict,
    SentMessage,
    Topic,
    User,
)
from devkit.emulator.text import TEXT_LIMIT, parse_formatted


def _without_reply(message: JsonDict) -> JsonDict:
    # Telegram never nests reply_to_message more than one level deep.
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _file_id(message: Mapping[str, Any], kind: str | None) -> str | None:
    if kind not in FILE_KINDS:
        return None
    media = message[kind]
    if isinstance(media, list):
        return str(media[-1]["file_id"])
    return str(media["file_id"])


class EmulatorCore:
    """The state every part of the emulator shares, and the common request checks."""

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
        self._methods = {
            name.lower(): (name, handler) for name, handler in self._handlers().items()
        }
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

    def _handlers(self) -> dict[str, Handler]:
        """Each Bot API method's name and handler (the emulator's table of methods)."""
        raise NotImplementedError

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

    @staticmethod
    def _remove_topic(chat: Chat, thread_id: int) -> None:
        del chat.topics[thread_id]
        for message_id, message in list(chat.messages.items()):
            if message.get("message_thread_id") == thread_id:
                del chat.messages[message_id]

    def _record(  # noqa: PLR0913 - Bot API parameters, keyword-only
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
        kind = media_kind(message)
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

    def _deliver(  # noqa: PLR0913 - Bot API parameters, keyword-only
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
