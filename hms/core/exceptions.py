"""Errors that services raise for callers (views, commands, admin) to turn into messages."""

from typing import Any


class ApplicationError(Exception):
    """A business rule was broken; `message` is safe to show to the user."""

    code = "application_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotAllowed(ApplicationError):
    """The acting user may not do this here (like Django's PermissionDenied): 403."""

    code = "permission_denied"


class NotFound(ApplicationError):
    """The record does not exist, or the user may not know that it does: 404.

    Scoped fetches answer "missing" and "forbidden" with this same error, so a
    user cannot learn which records exist outside their rights.
    """

    code = "not_found"
