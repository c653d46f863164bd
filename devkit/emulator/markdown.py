"""Telegram's MarkdownV2 and legacy Markdown parse modes, for the Bot API emulator.

Each parser turns the text into plain text plus message entities as Telegram
(tdlib) does, offsets and lengths in UTF-16 code units, and rejects malformed
markup with Telegram's "can't parse entities" descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.telegram.text_limits import utf16_len
from bot.telegram_html import byte_offset, valid_link
from devkit.emulator.errors import ApiError, parse_error

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


class MarkdownV2Parser:
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

    def _markup(self, i: int) -> int:  # noqa: PLR0911, PLR0912 - one branch per Markdown marker, as Telegram's parser
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


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:  # noqa: PLR0912, PLR0915 - one branch per Markdown marker, as Telegram's parser
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
