"""Bot-level Bot API methods for the emulator: webhook, commands, menu button,
name and descriptions. They touch only the bot's own settings, never chats."""

from __future__ import annotations

import copy
import json
import re

from devkit.emulator.errors import bad_request
from devkit.emulator.params import Handler, Params
from devkit.emulator.state import BotState, JsonDict

_BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def get_me(bot: BotState, params: Params) -> JsonDict:
    return bot.as_user() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def set_webhook(bot: BotState, params: Params) -> bool:
    url = params.text("url") or ""
    if not url:
        bot.webhook = None
        return True
    # Telegram wants HTTPS; this stand-in also takes plain HTTP to the loopback.
    local = url.lower().startswith(("http://127.0.0.1", "http://localhost"))
    if not url.lower().startswith("https://") and not local:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = params.structured("allowed_updates", "can't parse allowed updates JSON object")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(kind) for kind in allowed]
    bot.webhook = {
        "url": url,
        "max_connections": params.integer("max_connections") or 40,
        "secret_token": params.text("secret_token"),
    }
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    return True


def delete_webhook(bot: BotState, params: Params) -> bool:
    bot.webhook = None
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    return True


def get_webhook_info(bot: BotState, params: Params) -> JsonDict:
    info: JsonDict = {
        "url": bot.webhook["url"] if bot.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook:
        info["max_connections"] = bot.webhook["max_connections"]
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    return info


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.structured("scope", "can't parse BotCommandScope JSON object")
    if scope is not None and not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    language = params.text("language_code") or ""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language


def set_my_commands(bot: BotState, params: Params) -> bool:
    commands = params.structured("commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many bot commands specified")
    stored = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse commands JSON object")
        name = str(command.get("command", ""))
        description = str(command.get("description", ""))
        if not _BOT_COMMAND_NAME.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description.strip() or len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        stored.append({"command": name, "description": description})
    bot.commands[_commands_key(params)] = stored
    return True


def get_my_commands(bot: BotState, params: Params) -> list[JsonDict]:
    return copy.deepcopy(bot.commands.get(_commands_key(params), []))


def delete_my_commands(bot: BotState, params: Params) -> bool:
    bot.commands.pop(_commands_key(params), None)
    return True


def get_chat_menu_button(bot: BotState, params: Params) -> JsonDict:
    chat_id = params.integer("chat_id")
    stored = bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None)
    return copy.deepcopy(stored) if stored else {"type": "commands"}


def store_setting(name: str) -> Handler:
    def store(bot: BotState, params: Params) -> bool:
        language = params.text("language_code") or ""
        bot.settings[f"{name}:{language}"] = params.text(name) or ""
        return True

    return store


def read_setting(name: str) -> Handler:
    def read(bot: BotState, params: Params) -> JsonDict:
        language = params.text("language_code") or ""
        value = bot.settings.get(f"{name}:{language}", bot.settings.get(f"{name}:", ""))
        return {name: value or (bot.first_name if name == "name" else "")}

    return read


def methods() -> dict[str, Handler]:
    return {
        "getMe": get_me,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "getChatMenuButton": get_chat_menu_button,
        "setMyName": store_setting("name"),
        "getMyName": read_setting("name"),
        "setMyDescription": store_setting("description"),
        "getMyDescription": read_setting("description"),
        "setMyShortDescription": store_setting("short_description"),
        "getMyShortDescription": read_setting("short_description"),
    }
