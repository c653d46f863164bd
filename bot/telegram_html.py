"""Telegram's HTML parse mode: the one parser of it, for the emulator and for editors.

`parse_html` turns HTML into plain text plus message entities the way
Telegram's own parser (tdlib) does, offsets and lengths in UTF-16 code units,
and raises `HtmlError` with Telegram's "can't parse entities" description on
malformed markup. The Bot API emulator answers with that description;
`content validate` reads the same error through `problems`, in an editor's
words, and the links through `links`.

It imports nothing of the bot, so every layer may use it. It is not in
bot/telegram/ because bot.content cannot import that package: bot.telegram
imports bot.services, which imports bot.content.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Entity = dict[str, Any]

TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_SPACES = " \t\n\r\v\f"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")

BARE_BRACKET = "a bare < or > (write &lt; or &gt;, or use a Telegram tag)"
BARE_AMPERSAND = "a bare & (write &amp;)"


class HtmlError(ValueError):
    """HTML Telegram would refuse: `detail` as Telegram words it (after "can't parse
    entities: "), `problem` as an editor should read it."""

    def __init__(self, detail: str, problem: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problem = problem or detail


def byte_offset(text: str, index: int) -> int:
    """Telegram reports positions in UTF-8 bytes of the original text."""
    return len(text[:index].encode())


def valid_link(url: str) -> bool:
    """Whether Telegram makes a link of `url` (else it drops the entity, silently)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme.lower() in ("tg", "mailto", "tel") or (
        not parts.scheme and "." in url and " " not in url.strip()
    )


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character of the entity starting at `pos` and the position after it.

    Mirrors tdlib: only &lt; &gt; &amp; &quot; and numeric references; the
    closing semicolon is optional.
    """
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        hexadecimal = end < n and text[end] in "xX"
        if hexadecimal:
            end += 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < n and text[end] in digits:
            end += 1
            if end - start > 7:
                return None
        if end == start:
            return None
        code = int(text[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    offset: int
    out_index: int


class HtmlParser:
    """One pass over `text`. After `parse` (or its `HtmlError`), `links` holds the
    href of every <a> read ("" for one without) and `bare_greater` whether a '>'
    stood in the text unescaped (Telegram takes it as text)."""

    def __init__(self, text: str, *, strict_ampersand: bool) -> None:
        self.text = text
        self.strict_ampersand = strict_ampersand
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []
        self.links: list[str] = []
        self.bare_greater = False
        self.i = 0

    def _at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    def _byte(self, index: int) -> int:
        return byte_offset(self.text, index)

    def _emit(self, chars: str) -> None:
        self.out.append(chars)
        self.offset += len(chars.encode("utf-16-le")) // 2  # UTF-16 code units

    def _decode_value_char(self) -> str:
        """One character of an attribute value or of the text, entities decoded."""
        text, i = self.text, self.i
        if text[i] == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                self.i = decoded[1]
                return decoded[0]
            if self.strict_ampersand:
                raise HtmlError(
                    f"character '&' at byte offset {self._byte(i)} does not start an HTML "
                    "entity; write it as &amp;",
                    BARE_AMPERSAND,
                )
        self.i = i + 1
        return text[i]

    def parse(self) -> tuple[str, list[Entity]]:
        text = self.text
        while self.i < len(text):
            if text[self.i] == "<":
                if self._at(self.i + 1) == "/":
                    self._end_tag()
                else:
                    self._start_tag()
            else:
                self.bare_greater = self.bare_greater or text[self.i] == ">"
                self._emit(self._decode_value_char())
        if self.stack:
            name = self.stack[-1].name
            raise HtmlError(
                f'Can\'t find end tag corresponding to start tag "{name}"', f"unclosed <{name}>"
            )
        return "".join(self.out), self.entities

    def _unclosed_start_tag(self, begin: int) -> HtmlError:
        return HtmlError(f"Unclosed start tag at byte offset {self._byte(begin)}", BARE_BRACKET)

    def _unsupported_start_tag(self, begin: int, tag: str) -> HtmlError:
        name = tag.removesuffix("/")
        return HtmlError(
            f'Unsupported start tag "{tag}" at byte offset {self._byte(begin)}',
            f"<{name}> is not a Telegram HTML tag" if _TAG_NAME.fullmatch(name) else BARE_BRACKET,
        )

    def _tag_name(self, marker: str) -> tuple[int, str]:
        """Past the tag's `marker` ('<' or '</'): where the tag begins, and its name."""
        text = self.text
        begin = self.i
        self.i += len(marker)
        name_start = self.i
        while self.i < len(text) and text[self.i] not in _SPACES and text[self.i] != ">":
            self.i += 1
        return begin, text[name_start : self.i].lower()

    def _start_tag(self) -> None:
        text = self.text
        begin, tag = self._tag_name("<")
        if self.i >= len(text):
            raise self._unclosed_start_tag(begin)
        if tag not in TAGS:
            raise self._unsupported_start_tag(begin, tag)
        argument = ""
        while self._at(self.i) != ">":
            self._skip_spaces()
            if self._at(self.i) == ">":
                break
            if self.i >= len(text):
                raise self._unclosed_start_tag(begin)
            attribute = self._attribute_name(begin, tag)
            self._skip_spaces()
            if self._at(self.i) != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self._byte(begin)}'
                )
            self.i += 1
            self._skip_spaces()
            if self.i >= len(text):
                raise HtmlError(
                    f'Unclosed start tag "{tag}" at byte offset {self._byte(begin)}', BARE_BRACKET
                )
            value = self._attribute_value()
            if self.i >= len(text):
                raise self._unclosed_start_tag(begin)
            argument = _argument(tag, attribute, value, argument)
        self.i += 1
        if tag == "span" and argument != "spoiler":
            raise HtmlError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte(begin)}'
            )
        if tag == "a":
            self.links.append(argument)
        self.stack.append(_OpenTag(tag, argument, self.offset, len(self.out)))

    def _attribute_name(self, begin: int, tag: str) -> str:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in _SPACES + "=>":
            self.i += 1
        attribute = self.text[start : self.i].lower()
        if not attribute:
            raise HtmlError(
                f'Empty attribute name in the tag "{tag}" at byte offset {self._byte(begin)}'
            )
        return attribute

    def _skip_spaces(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in _SPACES:
            self.i += 1

    def _attribute_value(self) -> str:
        text = self.text
        quote = text[self.i]
        if quote not in "'\"":
            # An unquoted value is a name token: letters, digits, '.' and '-'.
            start = self.i
            while self.i < len(text) and (text[self.i].isalnum() or text[self.i] in ".-"):
                self.i += 1
            if self.i < len(text) and text[self.i] not in _SPACES + ">":
                raise HtmlError(f"Unexpected end of name token at byte offset {self._byte(start)}")
            return text[start : self.i].lower()
        self.i += 1
        chars: list[str] = []
        while self.i < len(text) and text[self.i] != quote:
            chars.append(self._decode_value_char())
        if self.i < len(text):
            self.i += 1
        return "".join(chars)

    def _end_tag(self) -> None:
        text = self.text
        begin, name = self._tag_name("</")
        if not self.stack:
            raise HtmlError(
                f"Unexpected end tag at byte offset {self._byte(begin)}",
                f"</{name}> does not match (expected nothing)",
            )
        while self.i < len(text) and text[self.i] in _SPACES:
            self.i += 1
        if self._at(self.i) != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {self._byte(begin)}", BARE_BRACKET)
        self.i += 1
        opened = self.stack[-1]
        if name and name != opened.name:
            raise HtmlError(
                f"Unmatched end tag at byte offset {self._byte(begin)}, "
                f'expected "</{opened.name}>", found "</{name}>"',
                f"</{name}> does not match (expected </{opened.name}>)",
            )
        self.stack.pop()
        self._close(opened)

    def _close(self, opened: _OpenTag) -> None:
        length = self.offset - opened.offset
        if length == 0:
            return
        entity: Entity = {"offset": opened.offset, "length": length}
        tag = opened.name
        if tag in _SIMPLE_TAG_TYPES:
            entity["type"] = _SIMPLE_TAG_TYPES[tag]
        elif tag == "a":
            url = opened.argument or "".join(self.out[opened.out_index :])
            if not valid_link(url):
                return
            entity["type"] = "text_link"
            entity["url"] = url
        elif tag == "tg-emoji":
            if not opened.argument.isdigit():
                raise HtmlError("Invalid custom emoji identifier specified")
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = opened.argument
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif tag == "code":
            entity["type"] = "code"
            if self.stack and self.stack[-1].name == "pre":
                # <pre><code class="language-x">: one pre entity with a language.
                entity["language"] = opened.argument
        else:  # pre
            entity["type"] = "pre"
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == opened.offset
                and last["length"] == length
                and "language" in last
            ):
                self.entities.pop()
                if last["language"]:
                    entity["language"] = last["language"]
        self.entities.append(entity)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[Entity]]:
    """Plain text and entities of `text` in Telegram's HTML parse mode (before Telegram
    strips the ends); raises `HtmlError`. `strict_ampersand` also refuses a bare '&'
    that starts no entity, which Telegram itself takes as text."""
    return HtmlParser(text, strict_ampersand=strict_ampersand).parse()


def problems(text: str) -> list[str]:
    """What is wrong with `text` as Telegram HTML, in an editor's words (empty when valid).

    Telegram stops at the first error, and so does this; a bare '&' counts as one
    and so, though Telegram takes it as text, does a bare '>'."""
    parser = HtmlParser(text, strict_ampersand=True)
    found: list[str] = []
    try:
        parser.parse()
    except HtmlError as error:
        found.append(error.problem)
    if parser.bare_greater and BARE_BRACKET not in found:
        found.append(BARE_BRACKET)
    return found


def links(text: str) -> list[str]:
    """The href of every <a> in `text` ("" for one without), as far as it parses."""
    parser = HtmlParser(text, strict_ampersand=False)
    with contextlib.suppress(HtmlError):
        parser.parse()
    return parser.links


def _argument(tag: str, attribute: str, value: str, argument: str) -> str:
    """The tag's argument once its `attribute` is `value` (`argument` so far)."""
    if (
        (tag == "a" and attribute == "href")
        or (tag == "tg-emoji" and attribute == "emoji-id")
        or (tag == "blockquote" and attribute == "expandable")
    ):
        return value if tag != "blockquote" else "expandable"
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    return argument
