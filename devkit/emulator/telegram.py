"""The Telegram Bot API emulator: a local server for tests, benchmarks and the sandbox.

`TelegramEmulator` is an aiohttp server on 127.0.0.1 speaking the Bot API wire
format (`{base}/bot{token}/{method}`, `{base}/file/bot{token}/{path}`), so the
real bot runs against it unchanged through
`AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))`.
It rejects what Telegram rejects, with Telegram's status codes and
descriptions (malformed HTML, over-long texts, bad buttons, unknown chats,
flood limits with `retry_after`), so a bot that passes here does not fail
in production for those reasons.

Tests play the users through a plain Python control API (`send_text`,
`press_button`, ... in users.py; `add_user`, `add_group`, ... in world.py) and
read what the bot did from `sent`, `requests`, `errors` and `callback_answers`,
or wait for it with `wait_for` and `wait_quiet`. The control API must be called
from the event loop the emulator runs on.

Where each part lives: server.py (the HTTP server and dispatch), updates.py
(getUpdates, webhook delivery), messages.py, media.py, callbacks.py,
forums.py, chats.py and settings.py (the Bot API methods by group), core.py
(the shared state and request checks), text.py (formatted text and text
limits), markdown.py (the Markdown parse modes; HTML's is
bot/telegram_html.py), markup.py (keyboard rules), errors.py (the errors it
answers with), limits.py (flood limits), state.py (the world's records),
params.py (request parameters), files.py (stored files).
"""

from __future__ import annotations

from devkit.emulator import settings
from devkit.emulator.callbacks import CallbackMethods
from devkit.emulator.chats import ChatMethods
from devkit.emulator.files import FILE_KINDS
from devkit.emulator.forums import ForumMethods
from devkit.emulator.media import MediaMethods
from devkit.emulator.messages import MessageMethods
from devkit.emulator.params import Handler
from devkit.emulator.server import Server
from devkit.emulator.users import Users
from devkit.emulator.world import World


class TelegramEmulator(
    Users, World, MessageMethods, MediaMethods, CallbackMethods, ForumMethods, ChatMethods, Server
):
    """A Bot API server plus the users and chats around the bot.

    Use `async with TelegramEmulator() as emulator:` (or `await start()` and
    `await stop()`); `base_url` is then the address to give aiogram's
    `TelegramAPIServer.from_base`.
    """

    def _handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {
            **settings.methods(),
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
        return handlers
