"""Telegram's text rules for the Bot API emulator.

Formatted text (parse_mode HTML, MarkdownV2 and legacy Markdown) becomes plain
text plus message entities the way Telegram's own parser (tdlib) does it (HTML
through bot.telegram_html, the parser `content validate` checks answers with),
offsets and lengths counted in UTF-16 code units; malformed markup is
rejected with Telegram's "can't parse entities" descriptions. Reply markup is
checked against the rules Telegram enforces on inline keyboards. Every
failure is an `ApiError` (errors.py) carrying the HTTP status and description
Telegram would send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.telegram.text_limits import utf16_len
from bot.telegram_html import HtmlError, byte_offset, parse_html, valid_link
from devkit.emulator.errors import ApiError, bad_request, parse_error

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
INLINE_BUTTONS_LIMIT = 100
CALLBACK_ANSWER_LIMIT = 200


# --- MarkdownV2 ---------------------------------------------------------------

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


@dataclass(slots=True)
class _MdOpen:
    kind: str
    offset: int
    position: int
    out_index: int
    argument: str = ""


class _MarkdownV2Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_MdOpen] = []
        self.entities: list[dict[str, Any]] = []
        self.quote_start: int | None = None

    def _emit(self, chars: str) -> None:
        self.out.append(chars)
        self.offset += utf16_len(chars)

    def _add(self, kind: str, start: int, **extra: Any) -> None:
        if self.offset > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.offset - start, **extra}
            )

    def _reserved(self, index: int) -> ApiError:
        char = self.text[index]
        return parse_error(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.text
        i = 0
        while i < len(text):
            char = text[i]
            top = self.stack[-1].kind if self.stack else None
            if char == "\\" and i + 1 < len(text) and 0 < ord(text[i + 1]) <= 126:
                self._emit(text[i + 1])
                i += 2
                continue
            if top in ("code", "pre"):
                i = self._inside_code(i)
                continue
            line_start = i == 0 or text[i - 1] == "\n"
            if char == ">" and line_start:
                if self.quote_start is None:
                    self.quote_start = self.offset
                i += 1
                continue
            if char == "\n" and self.quote_start is not None and text[i + 1 : i + 2] != ">":
                self._add("blockquote", self.quote_start)
                self.quote_start = None
            if char not in _MDV2_RESERVED:
                self._emit(char)
                i += 1
                continue
            i = self._markup(i)
        if self.stack:
            opened = self.stack[-1]
            raise parse_error(
                f"Can't find end of {_MD_NAMES[opened.kind]} entity at byte offset "
                f"{byte_offset(text, opened.position)}"
            )
        if self.quote_start is not None:
            self._add("blockquote", self.quote_start)
        return "".join(self.out), self.entities

    def _inside_code(self, i: int) -> int:
        text = self.text
        opened = self.stack[-1]
        if opened.kind == "pre" and text.startswith("```", i):
            self.stack.pop()
            extra = {"language": opened.argument} if opened.argument else {}
            self._add("pre", opened.offset, **extra)
            return i + 3
        if opened.kind == "code" and text[i] == "`":
            self.stack.pop()
            self._add("code", opened.offset)
            return i + 1
        self._emit(text[i])
        return i + 1

    def _close_if_open(self, kind: str) -> bool:
        if self.stack and self.stack[-1].kind == kind:
            opened = self.stack.pop()
            self._add(kind, opened.offset)
            return True
        return False

    def _open(self, kind: str, i: int, argument: str = "") -> None:
        for opened in self.stack:
            if opened.kind == kind:
                raise parse_error(
                    f"Can't find end of {_MD_NAMES[kind]} entity at byte offset "
                    f"{byte_offset(self.text, opened.position)}"
                )
        self.stack.append(_MdOpen(kind, self.offset, i, len(self.out), argument))

    def _markup(self, i: int) -> int:
        text = self.text
        char = text[i]
        if char == "*":
            if not self._close_if_open("bold"):
                self._open("bold", i)
            return i + 1
        if char == "_":
            if text.startswith("__", i) and self._close_if_open("underline"):
                return i + 2
            if self._close_if_open("italic"):
                return i + 1
            if text.startswith("__", i):
                self._open("underline", i)
                return i + 2
            self._open("italic", i)
            return i + 1
        if char == "~":
            if not self._close_if_open("strikethrough"):
                self._open("strikethrough", i)
            return i + 1
        if char == "|" and text.startswith("||", i):
            if not self._close_if_open("spoiler"):
                self._open("spoiler", i)
            return i + 2
        if char == "[":
            self._open("text_link", i)
            return i + 1
        if char == "]" and self.stack and self.stack[-1].kind == "text_link":
            return self._link_end(i)
        if char == "`":
            if text.startswith("```", i):
                end = i + 3
                while end < len(text) and text[end] not in "\n`":
                    end += 1
                language = text[i + 3 : end] if end < len(text) and text[end] == "\n" else ""
                self._open("pre", i, language.strip())
                return end + 1 if language else i + 3
            self._open("code", i)
            return i + 1
        raise self._reserved(i)

    def _link_end(self, i: int) -> int:
        text = self.text
        opened = self.stack.pop()
        start = i + 1
        if start < len(text) and text[start] == "(":
            url_chars: list[str] = []
            j = start + 1
            while j < len(text) and text[j] != ")":
                if text[j] == "\\" and j + 1 < len(text) and text[j + 1] in ")\\":
                    j += 1
                url_chars.append(text[j])
                j += 1
            if j >= len(text):
                raise parse_error(
                    f"Can't find end of a URL at byte offset {byte_offset(text, start)}"
                )
            url = "".join(url_chars)
            end = j + 1
        else:
            url = "".join(self.out[opened.out_index :])
            end = start
        if valid_link(url):
            self._add("text_link", opened.offset, url=url)
        return end


# --- legacy Markdown ------------------------------------------------------------


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    offset = 0
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            offset += 1
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            offset += utf16_len(char)
            i += 1
            continue
        begin = i
        is_pre = text.startswith("```", i)
        end_char = "]" if char == "[" else char
        i += 3 if is_pre else 1
        language = ""
        if is_pre:
            line_end = text.find("\n", i)
            if line_end != -1 and " " not in text[i:line_end] and "`" not in text[i:line_end]:
                language = text[i:line_end]
                i = line_end + 1
        start = offset
        while i < len(text) and not (text.startswith("```", i) if is_pre else text[i] == end_char):
            out.append(text[i])
            offset += utf16_len(text[i])
            i += 1
        if i >= len(text):
            raise parse_error(
                f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
            )
        i += 3 if is_pre else 1
        length = offset - start
        if char == "[":
            url = ""
            if i < len(text) and text[i] == "(":
                close = text.find(")", i)
                if close != -1:
                    url = text[i + 1 : close]
                    i = close + 1
            if length and valid_link(url):
                entities.append(
                    {"type": "text_link", "offset": start, "length": length, "url": url}
                )
            continue
        if not length:
            continue
        kind = {"*": "bold", "_": "italic", "`": "pre" if is_pre else "code"}[char]
        entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
        if language:
            entity["language"] = language
        entities.append(entity)
    return "".join(out), entities


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
            plain, found = _MarkdownV2Parser(text).parse()
        elif mode == "markdown":
            plain, found = _parse_markdown(text)
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
