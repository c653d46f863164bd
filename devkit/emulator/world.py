"""The world around the bot, as tests set it up: bots, users, groups and topics,
blocking, the clock, and updates offered as they are (redeliveries)."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from devkit.emulator.core import EmulatorCore
from devkit.emulator.limits import FloodControl
from devkit.emulator.state import BotState, Chat, JsonDict, User


class World(EmulatorCore):
    """Setting up the bots, users and chats, and changing them from outside."""

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

    def add_group(  # noqa: PLR0913 - the Bot API chat fields, keyword-only
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
        self._remove_topic(self._group(chat_id), thread_id)

    def add_topic(self, chat_id: int, name: str, *, icon_color: int = 7322096) -> int:
        """A forum topic created by someone else; returns its message_thread_id."""
        chat = self._group(chat_id)
        return self._create_topic(chat, self._bot(), name, icon_color, None).thread_id

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403 from now on."""
        self._set_blocked(user_id, blocked=True)

    def unblock_bot(self, user_id: int) -> None:
        self._set_blocked(user_id, blocked=False)

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

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (flood buckets refill, queries expire)."""
        self.clock.advance(seconds)

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
