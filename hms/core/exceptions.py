"""Errors that services raise for callers (views, commands, admin) to turn into messages.

Two families, so that a view can catch one without swallowing the other:
- ApplicationError: the input broke a business rule (400); show the message beside the form.
- Refusal (NotAllowed 403, NotFound 404): the user may not do this, or may not know the
  record exists; views let these through to hms.core.http.refusals_as_http.
"""

from typing import Any


class _ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ApplicationError(_ServiceError):
    """A business rule was broken; `message` is safe to show to the user."""

    code = "application_error"


class Refusal(_ServiceError):
    """The user may not do this here. Deliberately not an ApplicationError.

    `resource`, `action` and `patient_id` (when the patient exists) say what was
    refused, for the audit log's record of the attempt; they are never shown.
    """

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        resource: str = "",
        action: str = "",
        patient_id: int | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.resource = resource
        self.action = action
        self.patient_id = patient_id


class NotAllowed(Refusal):
    """The acting user may not do this here (like Django's PermissionDenied): 403."""

    code = "permission_denied"


class NotFound(Refusal):
    """The record does not exist, or the user may not know that it does: 404.

    Scoped fetches answer "missing" and "forbidden" with this same error, so a
    user cannot learn which records exist outside their rights.
    """

    code = "not_found"
