"""`python -m bot run`: the bot. Telegram long polling with BOT_TOKEN (or the
Bot API server at TELEGRAM_API_BASE), a webhook with WEBHOOK_URL, else the
sandbox chat in the terminal.

When NLU_URL points at this machine and nothing answers there, the Rasa server
is started first (training when the data changed) and stopped on exit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any
from urllib.parse import urlparse

from bot.config import PROJECT_ROOT, Settings
from bot.logs import setup_logging

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run the bot (Telegram or the sandbox chat)")
    parser.add_argument(
        "--no-nlu-server", action="store_true", help="do not start a local Rasa server"
    )
    parser.set_defaults(handler=run)


@contextlib.contextmanager
def local_nlu_server(settings: Settings, *, enabled: bool) -> Iterator[None]:
    from bot.cli.route import nlu_reachable

    url = urlparse(settings.nlu_url)
    local = url.hostname in ("127.0.0.1", "localhost")
    if not enabled or not local or asyncio.run(nlu_reachable(settings.nlu_url)):
        yield
        return
    from bot.nlu.server import start_server

    print(f"Starting the NLU server on port {url.port or 5005} (first start trains the model)…")
    server = start_server(port=url.port or 5005)
    try:
        yield
    finally:
        server.stop()


def _sandbox() -> Callable[[Settings], Coroutine[Any, Any, None]] | None:
    """The sandbox chat lives in the repository's devkit/, not in the wheel."""
    try:
        from devkit.sandbox import run_sandbox
    except ModuleNotFoundError as error:
        if error.name not in ("devkit", "devkit.sandbox"):
            raise
        print(
            "BOT_TOKEN is not set, and the sandbox chat that runs without it needs a "
            "checkout of the Kenes repository (its devkit/ package): run "
            "`python -m bot run` at the repository's root, or set BOT_TOKEN.",
            file=sys.stderr,
        )
        return None
    return run_sandbox


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    sandbox = settings.bot_token is None
    run_sandbox = _sandbox() if sandbox else None
    if sandbox and run_sandbox is None:
        return 2
    log_file = PROJECT_ROOT / "var" / "sandbox.log" if sandbox else None
    setup_logging(settings.log_level, log_file=log_file)
    if log_file is not None:
        print(f"Logs go to {log_file}.")
    from bot.db.engine import upgrade

    upgrade(settings.database_url)
    with local_nlu_server(settings, enabled=not args.no_nlu_server):
        try:
            if run_sandbox is not None:
                asyncio.run(run_sandbox(settings))
            elif settings.webhook_url:
                from bot.app import run_webhook

                asyncio.run(run_webhook(settings, handle_signals=True))
            else:
                from bot.app import run_polling

                asyncio.run(run_polling(settings, handle_signals=True))
        except KeyboardInterrupt:
            print("\nStopped.", file=sys.stderr)
    return 0
