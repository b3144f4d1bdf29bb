"""Log lines an operator can search: JSON (or text) with the request, hospital and user on each.

`RequestLogMiddleware` gives every request an id (the `X-Request-ID` a trusted proxy sent,
else a new one), echoes it in the response's `X-Request-ID`, and writes one access line
per request (method, path without its query string, status, duration, view name) to the
`hms.access` logger. `RequestUserMiddleware`, once the user is known, adds their id.
`RequestContextFilter`, on the handler, puts `request_id`, `hospital` (the hospital
selected, else the valid code in the path) and `user_id` on every record logged during
the request, whichever logger wrote it. Never patient data: paths carry ids only, query
strings are dropped (hms.core.logfilters), and the request object Django attaches to some
records is left out of the JSON (its text holds the query string).

HMS_LOG_FORMAT picks the formatter: `json` (production) or `text` (a developer's terminal).
Nothing here touches a model at import time: logging is configured before the apps load.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from hms.core.http import trusted_proxy
from hms.ops.labels import view_label

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a proxy: nginx's $request_id (32 hex digits), UUIDs, and the like.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CONTEXT_FIELDS = ("request_id", "hospital", "user_id")

access_logger = logging.getLogger("hms.access")

_request_context: ContextVar[dict[str, Any] | None] = ContextVar("hms_log_request", default=None)


def request_id_for(request: HttpRequest) -> str:
    """The proxy's id when a trusted proxy sent a well-formed one (one id across its log and
    ours), else a new random one: a client cannot choose what our log lines are filed under."""
    sent = request.META.get("HTTP_X_REQUEST_ID", "")
    if sent and _REQUEST_ID.match(sent) and trusted_proxy(request.META.get("REMOTE_ADDR")):
        return str(sent)
    return uuid.uuid4().hex


def _path_hospital(path: str) -> str | None:
    from hms.tenancy.codes import is_valid_hospital_code
    from hms.tenancy.middleware import hospital_code_from_path

    code = hospital_code_from_path(path)
    return code if code and is_valid_hospital_code(code) else None


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        context: dict[str, Any] = {
            "request_id": request_id_for(request),
            "path_hospital": _path_hospital(request.path_info),
        }
        # Left set until the response is finished (request_finished_clear): Django logs a
        # 4xx or 5xx answer ("Service Unavailable: /h/...") after the last middleware returns.
        _request_context.set(context)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = context["request_id"]
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        access_logger.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,  # never get_full_path(): a search's query holds a name
                "status": response.status_code,
                "duration_ms": duration_ms,
                "view": view_label(request),
            },
        )
        return response


def request_finished_clear(sender: Any, **kwargs: Any) -> None:
    """The request's log context ends with its response (connected to request_finished)."""
    _request_context.set(None)


class RequestUserMiddleware:
    """After authentication (and the session and second-factor checks): the user's id, for the log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = _request_context.get()
        user = getattr(request, "user", None)
        if context is not None and user is not None and user.is_authenticated:
            context["user_id"] = user.pk
        return self.get_response(request)


def _current_hospital() -> str | None:
    from hms.tenancy.context import current_tenant_or_none

    tenant = current_tenant_or_none()
    return tenant.code if tenant is not None else None


class RequestContextFilter(logging.Filter):
    """Adds request_id, hospital and user_id to each record (where known); on the handler,
    so it covers every logger. Outside a request, a command's hospital context still names
    the hospital."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _request_context.get() or {}
        hospital = _current_hospital() or context.get("path_hospital")
        for field, value in (
            ("request_id", context.get("request_id")),
            ("hospital", hospital),
            ("user_id", context.get("user_id")),
        ):
            if value is not None and getattr(record, field, None) is None:
                setattr(record, field, value)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    hospital, user_id (null when unknown), any `extra` fields, and the traceback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(request_id)s %(hospital)s %(user_id)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        # Django puts the request (whose text includes the query string) and the development
        # server its socket on some records: neither belongs in a log line.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time", "taskName"])
        super().__init__(*args, **kwargs)


class TextFormatter(logging.Formatter):
    """`time level logger [request hospital user] message`, for a developer's terminal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "fmt", "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(hospital)s %(user_id)s] %(message)s"
        )
        kwargs.setdefault("defaults", dict.fromkeys(CONTEXT_FIELDS, "-"))
        super().__init__(*args, **kwargs)
