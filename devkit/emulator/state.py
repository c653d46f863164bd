"""The emulated Telegram world and the records tests read.

Users, chats (private chats and forum supergroups with their topics), the
messages in each chat, and per-bot state (update queue, webhook, commands).
`SentMessage`, `ApiCall` and `CallbackAnswer` are what a test inspects to
see what the bot did.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from devkit.emulator.limits import FloodControl

JsonDict = dict[str, Any]

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# What Telegram delivers when allowed_updates was never set (or set to []).
DEFAULT_UPDATE_TYPES = frozenset(UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


@dataclass
class SentMessage:
    """One message the bot sent or edited (`method` tells which)."""

    method: str
    chat_id: int
    message_id: int | None
    message_thread_id: int | None = None
    text: str | None = None
    """Plain text (or caption) after entity parsing, as the user sees it."""
    raw_text: str | None = None
    """The text (or caption) exactly as the bot sent it, markup included."""
    parse_mode: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None
    media_kind: str | None = None
    file_id: str | None = None
    reply_to_message_id: int | None = None
    source_chat_id: int | None = None
    source_message_id: int | None = None
    params: JsonDict = field(default_factory=dict)
    time: float = 0.0
    """Emulator clock (seconds) when the call was accepted."""

    @property
    def is_edit(self) -> bool:
        return self.method.startswith("editMessage")

    @property
    def buttons(self) -> list[JsonDict]:
        """The inline keyboard's buttons, row by row flattened."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def button(self, text: str) -> JsonDict:
        """The inline button whose text contains `text` (KeyError if none)."""
        for candidate in self.buttons:
            if text in candidate.get("text", ""):
                return candidate
        raise KeyError(f"no button with {text!r} in {[b.get('text') for b in self.buttons]}")


@dataclass
class ApiCall:
    """One Bot API request: what was asked and how the emulator answered."""

    method: str
    params: JsonDict
    status: int
    description: str | None
    time: float


@dataclass
class CallbackAnswer:
    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = False
    blocked: bool = False

    def as_user(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False

    def as_topic(self) -> JsonDict:
        topic: JsonDict = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    user: User | None = None
    is_forum: bool = False
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, JsonDict] = field(default_factory=dict)
    next_message_id: int = 1
    bot_member: bool = True
    # Administrator rights taken from the bot in this group (revoke_bot_right).
    bot_revoked: set[str] = field(default_factory=set)

    @property
    def private(self) -> bool:
        return self.type == "private"

    def as_chat(self) -> JsonDict:
        if self.user is not None:
            chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                chat["last_name"] = self.user.last_name
            if self.user.username:
                chat["username"] = self.user.username
            return chat
        chat = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float
    answered: bool = False


@dataclass
class BotState:
    token: str
    id: int
    username: str
    first_name: str
    flood: FloodControl
    updates: list[JsonDict] = field(default_factory=list)
    next_update_id: int = 100_000_001
    allowed_updates: list[str] | None = None
    webhook: JsonDict | None = None
    commands: dict[tuple[str, str], list[JsonDict]] = field(default_factory=dict)
    menu_buttons: dict[int | None, JsonDict] = field(default_factory=dict)
    settings: JsonDict = field(default_factory=dict)
    queries: dict[str, CallbackQuery] = field(default_factory=dict)
    poll_generation: int = 0
    event: asyncio.Event = field(default_factory=asyncio.Event)

    def as_user(self) -> JsonDict:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def notify(self) -> None:
        """Wake every long poll waiting on this bot."""
        self.event.set()
        self.event = asyncio.Event()
