"""`python -m bot db upgrade`: apply the database migrations."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings
from bot.db.engine import upgrade


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="database migrations")
    sub = parser.add_subparsers(dest="db_command", required=True)
    up = sub.add_parser("upgrade", help="apply migrations up to REVISION (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    settings = Settings()
    upgrade(settings.database_url, args.revision)
    print(f"database is at revision {args.revision}")
    return 0
