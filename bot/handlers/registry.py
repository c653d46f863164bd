"""Handlers declared at import time, routers built when the bot is assembled.

aiogram's routers can be attached to one parent only, and DESIGN.md asks that
nothing be created at import time; so feature modules collect their handlers
in a `Handlers` list (with the same decorator syntax as a Router), and
`build()` makes a fresh Router from it for every Dispatcher, e.g. each time
tests start the bot again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router

Callback = Callable[..., Any]


class Handlers:
    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[tuple[str, Callback, tuple[Any, ...]]] = []

    def _add(self, observer: str, filters: tuple[Any, ...]) -> Callable[[Callback], Callback]:
        def register(callback: Callback) -> Callback:
            self._entries.append((observer, callback, filters))
            return callback

        return register

    def message(self, *filters: Any) -> Callable[[Callback], Callback]:
        return self._add("message", filters)

    def edited_message(self, *filters: Any) -> Callable[[Callback], Callback]:
        return self._add("edited_message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Callback], Callback]:
        return self._add("callback_query", filters)

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, callback, filters in self._entries:
            getattr(router, observer).register(callback, *filters)
        return router


__all__ = ["Handlers"]
