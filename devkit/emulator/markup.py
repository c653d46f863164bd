"""Reply markup as Telegram checks it, for the Bot API emulator: inline keyboards
(one action a button, callback data within 64 bytes, at most 100 buttons, valid
URLs), reply keyboards, keyboard removal and forced replies.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from devkit.emulator.errors import ApiError, bad_request

CALLBACK_DATA_LIMIT = 64
INLINE_BUTTONS_LIMIT = 100

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _button_error(detail: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _check_button_url(url: Any) -> None:
    if not isinstance(url, str) or not url:
        raise bad_request("BUTTON_URL_INVALID")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.netloc and " " not in url:
        return
    if scheme == "tg" and (parts.netloc or parts.path):
        return
    raise bad_request("BUTTON_URL_INVALID")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise _button_error("Text must be non-empty")
    actions = [name for name in _INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(
            "exactly one of the optional fields must be used, found " + ", ".join(actions)
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not data or len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        _check_button_url(button["url"])


def check_reply_markup(markup: Any) -> dict[str, Any] | None:  # noqa: PLR0912 - one check per Bot API markup rule
    """The reply markup if Telegram would accept it; raises `ApiError` otherwise."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "inline_keyboard" must be an Array of Arrays')
        total = 0
        for row in rows:
            for button in row:
                _check_inline_button(button)
                total += 1
        if total > INLINE_BUTTONS_LIMIT:
            raise bad_request("reply markup is too long")
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str) or not label.strip():
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")
