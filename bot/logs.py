"""Logging set-up. Handlers log ids of updates, intents and routes, never message
text, names or Telegram ids; aiogram's own event log (which names chat and user
ids) is lowered to WARNING unless LOG_LEVEL=DEBUG."""

from __future__ import annotations

import logging


def setup_logging(level: str, *, quiet: bool = False) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    logging.basicConfig(
        level=logging.WARNING if quiet and numeric > logging.DEBUG else numeric,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if numeric > logging.DEBUG:
        # "Update id=... is handled" lines carry the Telegram user id.
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
        logging.getLogger("aiogram.dispatcher").setLevel(logging.INFO)
