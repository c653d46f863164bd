"""Logging set-up. Handlers log ids of updates, intents and routes, never message
text, names or Telegram ids; aiogram's own event log (which names chat and user
ids) is lowered to WARNING unless LOG_LEVEL=DEBUG."""

from __future__ import annotations

import logging
from pathlib import Path


def setup_logging(level: str, *, log_file: Path | None = None) -> None:
    """Log to stderr, or to `log_file` (the sandbox keeps the terminal for the chat)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=numeric,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        filename=log_file,
        force=True,
    )
    if numeric > logging.DEBUG:
        # "Update id=... is handled" lines carry the Telegram user id.
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
        logging.getLogger("aiogram.dispatcher").setLevel(logging.INFO)
