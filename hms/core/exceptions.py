"""Errors that services raise for callers (views, commands, admin) to turn into messages."""

from typing import Any


class ApplicationError(Exception):
    """A business rule was broken; `message` is safe to show to the user."""

    code = "application_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
