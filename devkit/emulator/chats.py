"""Bot API methods on chats and their members: getChat, getChatMember, leaveChat,
setChatMenuButton."""

from __future__ import annotations

from devkit.emulator.core import EmulatorCore
from devkit.emulator.errors import bad_request
from devkit.emulator.params import Params
from devkit.emulator.state import BotState, JsonDict


class ChatMethods(EmulatorCore):
    """What the bot asks about a chat and its members, and what it sets on one."""

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

    def _set_chat_menu_button(self, bot: BotState, params: Params) -> bool:
        chat_id = params.integer("chat_id")
        if chat_id is not None:
            self._chat(params)
        button = params.structured("menu_button", "can't parse menu button JSON object")
        if button is not None and (not isinstance(button, dict) or "type" not in button):
            raise bad_request("can't parse menu button JSON object")
        bot.menu_buttons[chat_id] = button or {"type": "default"}
        return True
