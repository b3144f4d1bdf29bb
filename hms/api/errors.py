"""One error body for every failure of the API: RFC 9457 problem details.

`{"type", "title", "status", "detail", "errors": {field: [messages]}}`, served as
`application/problem+json`. `problem_exception_handler` (DRF's EXCEPTION_HANDLER) maps DRF's
exceptions and the services' (hms.core.exceptions) to it; `problem_response` turns any other
error response of an API path (an unknown address, the hospital middleware's 401/404/503,
Django's 500 page) into the same body, so a client never parses HTML.
"""

import html
import json
import logging
import re
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions as drf

from hms.core.exceptions import ApplicationError, NotFound, Refusal
from hms.core.http import refusal_notify
from hms.tenancy.exceptions import HospitalReadOnly

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/docs/#problem-"
logger = logging.getLogger(__name__)


class Conflict(ApplicationError):
    """The request is well formed but clashes with what is stored (409): raise it from a view that
    needs the client to confirm, or to change what it sent, before trying again. `extra` members
    are added to the problem body (RFC 9457 extensions: the likely duplicates, say)."""

    code = "conflict"

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.extra = extra or {}


class Unprocessable(ApplicationError):
    """Well-formed input that breaks a business rule the client could not have checked (422)."""

    code = "unprocessable"


def problem_body(
    status: int,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    kind: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    slug = kind or phrase.lower().replace(" ", "-").replace("'", "")
    return {
        "type": TYPE_BASE + slug,
        "title": phrase,
        "status": status,
        "detail": detail,
        "errors": errors or {},
        **(extra or {}),
    }


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    kind: str = "",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A problem-details response (a plain Django response: usable outside DRF's views)."""
    body = problem_body(status, detail, errors=errors, kind=kind, extra=extra)
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, inner in value.items() for message in _messages(inner)]
    if isinstance(value, (list, tuple)):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def field_errors(detail: Any) -> dict[str, list[str]]:
    """A serializer's or a service's details as {field: [messages]}; errors of no field under
    `non_field_errors`; a nested field's under its dotted path."""
    if not isinstance(detail, dict):
        return {"non_field_errors": _messages(detail)} if detail else {}
    errors: dict[str, list[str]] = {}
    for key, value in detail.items():
        if isinstance(value, dict) and key != "suggestions":
            for inner_key, messages in field_errors(value).items():
                errors[f"{key}.{inner_key}"] = messages
        elif key != "suggestions":
            errors[str(key)] = _messages(value)
    return errors


def _application_status(exc: ApplicationError) -> int:
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, Unprocessable):
        return 422
    return 400


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's EXCEPTION_HANDLER: every failure as a problem; None (a real bug) lets DRF re-raise,
    and the 500 that follows is turned into a problem by ApiProblemMiddleware."""
    request = context.get("request")
    django_request: HttpRequest | None = getattr(request, "_request", None)
    response: HttpResponse | None
    if isinstance(exc, Refusal):
        if django_request is not None:
            refusal_notify(django_request, exc)
        status = 404 if isinstance(exc, NotFound) else 403
        response = problem(status, exc.message, errors=field_errors(exc.details))
    elif isinstance(exc, ApplicationError):
        extra = exc.extra if isinstance(exc, Conflict) else None
        response = problem(
            _application_status(exc), exc.message, errors=field_errors(exc.details), extra=extra
        )
    elif isinstance(exc, HospitalReadOnly):
        response = problem(503, "This hospital is read-only for a while: changes cannot be saved yet.")
        response["Retry-After"] = "120"
    elif isinstance(exc, DjangoValidationError):
        errors = field_errors(exc.message_dict) if hasattr(exc, "error_dict") else {}
        response = problem(400, " ".join(exc.messages) or "The input is not valid.", errors=errors)
    elif isinstance(exc, Http404):
        response = problem(404, "Not found.")
    elif isinstance(exc, PermissionDenied):
        response = problem(403, str(exc) or "You may not do this.")
    elif isinstance(exc, drf.ValidationError):
        errors = field_errors(exc.detail)
        response = problem(400, "The input is not valid: see the errors by field.", errors=errors)
    elif isinstance(exc, drf.APIException):
        response = problem(exc.status_code, _messages(exc.detail)[0] if exc.detail else str(exc))
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
            response["WWW-Authenticate"] = 'Bearer realm="api"'
    else:
        return None
    # Imported here: rest_framework.views reads the authentication setting, hms.api.auth, at import.
    from rest_framework.views import set_rollback

    set_rollback()
    return response


# --- error responses made outside DRF's views ------------------------------------------

_NOTICE = re.compile(r'<p class="notice">(?P<message>.*?)</p>', re.DOTALL)
_DEFAULT_DETAIL = {
    401: "Authentication required: send 'Authorization: Bearer <token>' (POST /api/v1/auth/token).",
    404: "Not found.",
    405: "Method not allowed.",
    429: "Too many failed sign-ins: locked for a while. Try again later.",
    500: "Something went wrong on our side; it has been logged.",
}


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def problem_response(response: HttpResponse, *, refused: str | None = None) -> HttpResponse:
    """An API path's error response in the problem body (itself if it already is one).

    The hospital middleware's refusals carry their message in the page's notice; others get
    the status's usual words. Headers that matter to the client (Retry-After, Allow) stay.
    """
    if response.status_code < 400 or response.get("Content-Type", "").startswith(
        (PROBLEM_CONTENT_TYPE, "application/json")
    ):
        return response
    text = ""
    if not getattr(response, "streaming", False):
        content = response.content.decode("utf-8", "replace")
        found = _NOTICE.search(content)
        if found:
            text = html.unescape(found.group("message")).strip()
        elif response.get("Content-Type", "").startswith("text/plain"):
            text = content.strip()
    if response.status_code == 401:
        text = refused or ""  # why the token was refused; else how to authenticate
    detail = text or _DEFAULT_DETAIL.get(response.status_code, HTTPStatus(response.status_code).phrase)
    converted = problem(response.status_code, detail)
    for header in ("Retry-After", "Allow", "WWW-Authenticate"):
        if header in response:
            converted[header] = response[header]
    if response.status_code == 401 and "WWW-Authenticate" not in converted:
        error = ', error="invalid_token"' if refused else ""
        converted["WWW-Authenticate"] = f'Bearer realm="api"{error}'
    return converted
