"""FHIR's door: the capability statement without sign-in, and the refusals made before a FHIR
view runs (a refused token, the hospital middleware's 401, 404, 503...) answered as
OperationOutcome rather than as pages or problem bodies.

Listed just before hms.tenancy.middleware.HospitalMiddleware and after the API's
ApiTokenMiddleware (hms.api.auth), which makes the bearer token's user the request's user on
/fhir/ paths as on /api/ ones: FHIR is authenticated exactly as the REST API is."""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hms.fhir.http import FHIR_JSON, FhirError, error_response, unauthorized
from hms.tenancy.codes import is_valid_hospital_code

FHIR_PATH = re.compile(r"^/fhir/(?P<code>[^/]+)(?P<rest>/.*)?$")
ISSUE_CODES = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    410: "deleted",
    503: "transient",
}
MESSAGES = {
    401: "Authentication required: send Authorization: Bearer <token>.",
    404: "No such hospital, or not one you belong to.",
    # The hospital middleware's refusals (its page says more, in the hospital's words).
    403: "Refused: this hospital is suspended, or archived and read-only.",
    410: "This hospital was archived and its records taken out of service.",
    503: "This hospital's database is unavailable, being upgraded or moved: retry after Retry-After seconds.",
}
KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate")


class FhirMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = FHIR_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        if match.group("rest") in ("/metadata", "/metadata/") and is_valid_hospital_code(match.group("code")):
            from hms.fhir.views import metadata  # the same answer for every code: nothing to check

            return metadata(request, match.group("code"))
        refused = getattr(request, "api_token_refused", None)
        if refused is not None:
            return error_response(unauthorized(f"The bearer token was refused: {refused}"))
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(FHIR_JSON):
            return response
        return _as_outcome(response)


def _as_outcome(response: HttpResponse) -> HttpResponse:
    """A refusal made by the middleware above FHIR (sign-in, hospital, database), as OperationOutcome."""
    status = response.status_code
    text = ""
    if response.get("Content-Type", "").startswith("text/plain") and not response.streaming:
        text = response.content.decode("utf-8", "replace").strip()
    error = FhirError(
        status, ISSUE_CODES.get(status, "exception"), MESSAGES.get(status) or text or f"HTTP {status}."
    )
    if status == 401:
        error = unauthorized(error.diagnostics)
    answer = error_response(error)
    for header in KEPT_HEADERS:
        if header in response and header not in answer:
            answer[header] = response[header]
    return answer
