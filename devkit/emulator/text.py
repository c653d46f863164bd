"""Telegram's text rules for the Bot API emulator.

Formatted text (parse_mode HTML, MarkdownV2 and legacy Markdown) becomes plain
text plus message entities the way Telegram's own parser (tdlib) does it,
offsets and lengths counted in UTF-16 code units; malformed markup is
rejected with Telegram's "can't parse entities" descriptions. HTML is parsed
by bot.telegram_html (the parser `content validate` checks answers with), the
Markdown modes by markdown.py. Reply markup is checked against the rules
Telegram enforces on inline keyboards. Every failure is an `ApiError`
(errors.py) carrying the HTTP status and description Telegram would send.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.telegram.text_limits import utf16_len
from bot.telegram_html import HtmlError, parse_html
from devkit.emulator.errors import ApiError, bad_request, parse_error
from devkit.emulator.markdown import MarkdownV2Parser, parse_markdown

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
INLINE_BUTTONS_LIMIT = 100
CALLBACK_ANSWER_LIMIT = 200


# --- public entry points -------------------------------------------------------


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Drop leading and trailing whitespace, as Telegram does, moving entities along."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    moved: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            moved.append({**entity, "offset": start, "length": end - start})
    return stripped, moved


def parse_formatted(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    strict_ampersand: bool = True,
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a formatted text, as Telegram stores it."""
    if entities is not None:
        plain, found = text, [dict(entity) for entity in entities]
    elif not parse_mode:
        plain, found = text, []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            try:
                plain, found = parse_html(text, strict_ampersand=strict_ampersand)
            except HtmlError as error:
                raise parse_error(error.detail) from None
        elif mode == "markdownv2":
            plain, found = MarkdownV2Parser(text).parse()
        elif mode == "markdown":
            plain, found = parse_markdown(text)
        else:
            raise bad_request("unsupported parse_mode")
    plain, found = _strip(plain, found)
    found.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return plain, found


# --- reply markup ----------------------------------------------------------------

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


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
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
