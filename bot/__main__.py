"""`python -m bot [command]`: the bot and its tools.

Without a command the bot runs: long polling with BOT_TOKEN, or the local
sandbox chat in the terminal without it. Each command lives in
`bot/cli/<command>.py` and is imported only when used, so `route` does not pay
for the Telegram stack and `nlu` does not pay for the database.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, str] = {
    "run": "run the bot (the default): Telegram with BOT_TOKEN, else the sandbox chat",
    "route": "route messages from standard input, one JSON line each",
    "nlu": "train, serve and validate the Rasa NLU model",
    "content": "editors' tools: validate, evaluate, review, publish",
    "safety": "the NLU-independent safety check: evaluate",
    "db": "database migrations",
    "staff": "counselors, supervisors and admins",
    "report": "the supervisors' report: CSV files and a chart",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "run")
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = argv[0]
    for name, help_text in COMMANDS.items():
        if name == chosen:
            module = importlib.import_module(f"bot.cli.{name}")
            module.register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
