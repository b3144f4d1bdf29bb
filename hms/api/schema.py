"""The OpenAPI schema's shared parts: the Problem body as a component, added to every operation's
error answers, and the Bearer scheme (drf-spectacular reads it from the authentication class)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from hms.api.errors import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details: every failure of the API answers this body.",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "The HTTP status's words."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong, in words to show a person."},
        "errors": {
            "type": "object",
            "description": "Messages by input field (`non_field_errors` for none in particular).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "errors"],
}
# Every operation may answer these (bad input, no token, refused, missing, a hospital unavailable...).
COMMON_ERRORS = {
    "400": "The input is not valid.",
    "401": "No token, or the token is not valid (expired, revoked, its account disabled).",
    "403": "The permission matrix does not allow this, or the hospital is suspended or archived.",
    "404": "No such record, or one the user may not know exists (the same answer).",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a format the API does not serve (it serves JSON).",
    "409": "The request clashes with what is stored.",
    "410": "The hospital's records were taken out of service.",
    "415": "The body is not JSON.",
    "422": "The input breaks a rule.",
    "429": "Too many failed sign-ins: locked for a while.",
    "500": "A fault on our side (logged).",
    "503": "The hospital is unavailable for now (upgrading, moving, busy); see Retry-After.",
}


def problem_responses_add(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the Problem component, and every error answer of
    every operation described by it."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, words in COMMON_ERRORS.items():
                answer = responses.setdefault(status, {"description": words})
                answer["content"] = {PROBLEM_CONTENT_TYPE: {"schema": reference}}
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "hms.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`.",
        }
