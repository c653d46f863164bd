"""Telegram's text rules for the Bot API emulator.

Formatted text (parse_mode HTML, MarkdownV2 and legacy Markdown) becomes plain
text plus message entities the way Telegram's own parser (tdlib) does it,
offsets and lengths counted in UTF-16 code units; malformed markup is
rejected with Telegram's "can't parse entities" descriptions. HTML is parsed
by bot.telegram_html (the parser `content validate` checks answers with), the
Markdown modes by markdown.py; reply markup is checked in markup.py. Every
failure is an `ApiError` (errors.py) carrying the HTTP status and description
Telegram would send.
"""

from __future__ import annotations

from typing import Any

from bot.telegram.text_limits import utf16_len
from bot.telegram_html import HtmlError, parse_html
from devkit.emulator.errors import bad_request, parse_error
from devkit.emulator.markdown import MarkdownV2Parser, parse_markdown

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200


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
