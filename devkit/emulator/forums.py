"""Bot API methods on forum topics: create, edit, close, reopen and delete, each with
the service message Telegram posts in the topic."""

from __future__ import annotations

from devkit.emulator.core import EmulatorCore
from devkit.emulator.errors import bad_request
from devkit.emulator.params import Params
from devkit.emulator.state import BotState, Chat, JsonDict, Topic

_TOPIC_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})


class ForumMethods(EmulatorCore):
    """createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic, deleteForumTopic."""

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
        self._remove_topic(chat, topic.thread_id)
        return True
