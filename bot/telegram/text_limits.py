"""Telegram's length limits, and long texts cut to fit them.

Telegram measures text in UTF-16 code units: an emoji or another character
outside the Basic Multilingual Plane counts two. For HTML it counts the text
after parsing, without the markup; `utf16_len` of the HTML itself is never less,
so a text within a limit by that measure is within it for Telegram too.
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
TOPIC_NAME_LIMIT = 128

# Where a text is best cut, best first: after a paragraph, a line, a sentence, a word.
_BOUNDARIES = (
    re.compile(r"\n\n+"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])[ \t]+"),
    re.compile(r"[ \t]+"),
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


def utf16_len(text: str) -> int:
    """The length of `text` as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """The number of characters of the longest prefix of `text` within `limit` UTF-16
    units. A Python str indexes whole characters, so no surrogate pair is ever cut."""
    if utf16_len(text) <= limit:
        return len(text)
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _html_blocked(text: str) -> tuple[list[bool], list[list[str]]]:
    """For each position of `text`: whether a cut there would split a tag or an
    entity, and the elements open there (outermost first)."""
    size = len(text) + 1
    inside = [False] * size
    open_at: list[list[str]] = [[] for _ in range(size)]
    for pattern in (_TAG, _ENTITY):
        for match in pattern.finditer(text):
            for position in range(match.start() + 1, match.end()):
                inside[position] = True
    stack: list[str] = []
    last = 0
    for match in _TAG.finditer(text):
        for position in range(last, match.start() + 1):
            open_at[position] = list(stack)
        closing, name = match[1] == "/", match[2].lower()
        if closing and name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name) :]
        elif not closing:
            stack.append(name)
        last = match.end()
    for position in range(last, size):
        open_at[position] = list(stack)
    return inside, open_at


def _opening_tags(text: str, names: list[str], end: int) -> list[str]:
    """The opening tags (with their attributes) of the elements `names` still open
    at `end`, as written in `text`."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(text, 0, end):
        name = match[2].lower()
        if match[1] == "/":
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == name:
                    del stack[index:]
                    break
        else:
            stack.append((name, match[0]))
    return [tag for name, tag in stack if name in names]


def split_text(text: str, limit: int = MESSAGE_LIMIT, *, html: bool = False) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units that join back to `text`.

    A part ends after a paragraph break where one falls in its second half, else
    after a line break, a sentence or a word; only a text without any of them is cut
    mid-word. With `html`, no cut falls inside a tag or an entity, nor inside an
    element; an element longer than `limit` on its own is cut inside, closed at the
    end of its part and opened again at the start of the next one (the only case in
    which the parts do not join back to `text`).
    """
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        window = _prefix_within(rest, limit)
        if not html:
            plain_cut = _best_cut(rest, window, None) or max(1, window)
            parts.append(rest[:plain_cut])
            rest = rest[plain_cut:]
            continue
        inside, open_at = _html_blocked(rest)
        nested = [blocked or bool(names) for blocked, names in zip(inside, open_at, strict=True)]
        whole = _best_cut(rest, window, nested)
        if whole is not None:
            parts.append(rest[:whole])
            rest = rest[whole:]
            continue
        # An element longer than the limit: cut inside it, leaving room to close it.
        depth_room = max(sum(len(name) + 3 for name in names) for names in open_at[: window + 1])
        window = _prefix_within(rest, max(1, limit - depth_room))
        cut = _best_cut(rest, window, inside) or next(
            (p for p in range(window, 0, -1) if not inside[p]), max(1, window)
        )
        names = open_at[cut]
        closing = "".join(f"</{name}>" for name in reversed(names))
        reopen = "".join(_opening_tags(rest, names, cut))
        parts.append(rest[:cut] + closing)
        rest = (reopen if len(reopen) < cut else "") + rest[cut:]
    if rest or not parts:
        parts.append(rest)
    return parts


def _best_cut(text: str, window: int, blocked: list[bool] | None) -> int | None:
    """The cut within `text[:window]` at the best boundary, never at a `blocked`
    position: the first kind of boundary that falls in the window's second half,
    else the latest of any kind."""
    latest: int | None = None
    for boundary in _BOUNDARIES:
        ends = [
            m.end()
            for m in boundary.finditer(text, 0, window)
            if blocked is None or not blocked[m.end()]
        ]
        if not ends:
            continue
        if ends[-1] > window // 2:
            return ends[-1]
        latest = max(latest or 0, ends[-1])
    return latest


def message_parts(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """HTML in messages within `limit`, cut as `split_text` cuts, without the line
    breaks a cut leaves at the end of a message."""
    parts = [part.rstrip("\n") for part in split_text(text, limit, html=True)]
    return [part for part in parts if part] or [""]


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One message within `limit`: the text, or as much of it as fits, cut as
    `split_text` cuts, and an ellipsis (answers are checked to be far shorter)."""
    if utf16_len(text) <= limit:
        return text
    return message_parts(text, limit - 2)[0] + "\n…"
