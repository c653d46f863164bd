"""Telegram's length limits, and long texts cut to fit them."""

from __future__ import annotations

TELEGRAM_LIMIT = 4096


def fit(text: str) -> str:
    """Keep a message within Telegram's limit (answers are checked to be far shorter)."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    # Cut at a paragraph: paragraphs are whole HTML fragments, so no tag is left open.
    return text[: TELEGRAM_LIMIT - 1].rsplit("\n\n", 1)[0] + "\n…"


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain text in pieces of at most `limit` UTF-16 units, as Telegram counts:
    at line breaks where possible, then at spaces, never dropping a character."""

    def size(piece: str) -> int:
        return len(piece.encode("utf-16-le")) // 2

    pieces: list[str] = []
    rest = text
    while size(rest) > limit:
        cut = len(rest)
        while size(rest[:cut]) > limit:
            cut = max(1, cut * limit // max(1, size(rest[:cut])) - 1)
        window = rest[:cut]
        at = max(window.rfind("\n"), window.rfind(" "))
        if at > cut // 2:
            cut = at + 1
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def chunk_lines(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """HTML whose lines are each complete (no tag spans a line break), in messages
    of whole lines within Telegram's limit; a line too long on its own is split."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        parts = [line] if len(line) <= limit else split_text(line, limit)
        for part in parts:
            candidate = f"{current}\n{part}" if current else part
            if current and len(candidate) > limit:
                chunks.append(current)
                candidate = part
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks
