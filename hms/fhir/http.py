"""FHIR's side of HTTP: the JSON formats, OperationOutcome errors, and the decorator every FHIR
view wears (allowed methods, formats, refusals as OperationOutcome)."""

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.http import refusal_notify

FHIR_JSON = "application/fhir+json"
# What a client may ask for (Accept, `_format`) and send (Content-Type): FHIR's JSON only.
JSON_TYPES = frozenset({FHIR_JSON, "application/json", "json", "application/json+fhir"})
FHIR_VERSION = "4.0.1"


class FhirError(Exception):
    """An answer other than success: `status` with an OperationOutcome of one issue."""

    def __init__(self, status: int, code: str, diagnostics: str, *, headers: dict[str, str] | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}


def bad_request(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def fhir_response(
    body: dict[str, Any], status: int = 200, *, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(
        operation_outcome(error.code, error.diagnostics), error.status, headers=error.headers
    )


def unauthorized(diagnostics: str) -> FhirError:
    return FhirError(401, "login", diagnostics, headers={"WWW-Authenticate": 'Bearer realm="fhir"'})


def _format_check(request: HttpRequest) -> None:
    """`_format` and Accept must allow FHIR JSON (406 otherwise)."""
    wanted = request.GET.get("_format")
    if wanted is not None and wanted.split(";")[0].strip().lower() not in JSON_TYPES:
        raise FhirError(406, "not-supported", f"Format {wanted!r} is not served here: use json.")
    accept = request.META.get("HTTP_ACCEPT", "")
    if wanted is None and accept:
        types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
        if not types & (JSON_TYPES | {"*/*", "application/*"}):
            raise FhirError(406, "not-supported", f"Only {FHIR_JSON} is served here, not {accept}.")


def body_json(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON resource; 415 for another content type, 400 for what is not a JSON object."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise FhirError(415, "not-supported", f"Send the resource as {FHIR_JSON}.")
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"The body is not JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise bad_request("The body must be one FHIR resource, a JSON object.")
    return body


View = Callable[..., HttpResponse]


def fhir_view(*methods: str) -> Callable[[View], View]:
    """Only `methods`, FHIR JSON in and out, refusals and errors as OperationOutcome.

    NotFound answers 404 and NotAllowed 403 (both recorded by the refusal listeners, as the
    pages' are); ApplicationError, a business rule refused, 422; FhirError its own status.
    """
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorate(view: View) -> View:
        # Only a bearer token authenticates on /fhir/ (hms.api.auth.ApiTokenMiddleware): no
        # browser session counts, so there is no cookie for a forged request to ride on.
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in allowed:
                    raise FhirError(
                        405,
                        "not-supported",
                        f"{request.method} is not supported here.",
                        headers={"Allow": ", ".join(sorted(allowed))},
                    )
                _format_check(request)
                return view(request, *args, **kwargs)
            except (NotFound, NotAllowed) as refusal:
                refusal_notify(request, refusal)
                if isinstance(refusal, NotFound):
                    return error_response(FhirError(404, "not-found", refusal.message))
                return error_response(FhirError(403, "forbidden", refusal.message))
            except ApplicationError as error:
                return error_response(FhirError(422, "business-rule", _with_details(error)))
            except FhirError as error:
                return error_response(error)

        return wrapper

    return decorate


def _with_details(error: ApplicationError) -> str:
    extra = [
        str(message)
        for messages in error.details.values()
        if isinstance(messages, list)
        for message in messages
        if isinstance(message, str) and message != error.message
    ]
    return " ".join([error.message, *extra])
