"""Bot API request parameters for the emulator.

Telegram accepts a method's parameters in the query string, as a form
(urlencoded or multipart, where aiogram sends numbers as "123" and objects as
JSON text) or as a JSON body; `read_params` merges them and `Params` reads a
value whichever way it came.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from devkit.emulator.errors import bad_request
from devkit.emulator.state import BotState, JsonDict

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "menu_button",
        "options",
        "message_ids",
    }
)

Upload = tuple[str | None, bytes, str | None]


class Params:
    """Request parameters from a query string, a form or a JSON body.

    Form values are strings (aiogram sends numbers as "123" and objects as
    JSON text); JSON bodies carry typed values. Every accessor takes both.
    """

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, Upload]) -> None:
        self.values = dict(values)
        self.files = dict(files)

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def present(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str, *, missing: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if missing is not None:
                raise bad_request(missing)
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def structured(self, name: str, error: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value

    def as_dict(self) -> JsonDict:
        """The parameters for the request log, JSON fields decoded."""
        shown: JsonDict = {}
        for key, value in self.values.items():
            if key in JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            shown[key] = value
        for key, (name, data, _) in self.files.items():
            shown[key] = f"<upload {name or key}: {len(data)} bytes>"
        return shown


Handler = Callable[[BotState, Params], Any]


async def read_params(request: web.Request) -> Params:
    values: JsonDict = dict(request.query)
    files: dict[str, Upload] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read(), value.content_type)
                elif isinstance(value, bytes):
                    values[key] = value.decode()
                else:
                    values[key] = value
    return Params(values, files)
