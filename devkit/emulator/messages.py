"""Bot API methods on messages: sendMessage, sendChatAction, copyMessage,
forwardMessage, editMessageText/Caption/ReplyMarkup, deleteMessage(s)."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from devkit.emulator.core import EmulatorCore
from devkit.emulator.errors import ApiError, bad_request
from devkit.emulator.files import CAPTIONED_KINDS, media_kind
from devkit.emulator.params import Params
from devkit.emulator.state import BotState, Chat, JsonDict
from devkit.emulator.text import CAPTION_LIMIT

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

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

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

_MESSAGE_DELETE_SECONDS = 48 * 3600


class MessageMethods(EmulatorCore):
    """Sending, copying, editing and deleting messages."""

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
        elif params.raw("caption") is not None and media_kind(source) in CAPTIONED_KINDS:
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
        if media_kind(message) not in CAPTIONED_KINDS:
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
