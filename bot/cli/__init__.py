"""Command-line entry points: `python -m bot <command>`.

Each submodule exposes `register(subparsers)`, which adds its subcommand and
sets `handler` on the parsed namespace to a function `(args) -> int`.
"""
