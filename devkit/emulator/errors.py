"""The errors the emulator answers with: HTTP status and description as Telegram sends them."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request Telegram would reject: HTTP status, description, parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")
