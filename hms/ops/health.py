"""/healthz, /readyz and /metrics, answered before the rest of the stack.

`/healthz`: the process answers (no database work): a load balancer or kubelet restarts
a process that stops answering it. `/readyz`: the shared database answers too: send
traffic only while it does. Neither needs a login, and neither touches a hospital, so one
broken hospital never takes a process out of rotation.

`OperationsEndpointsMiddleware` answers these paths near the top of MIDDLEWARE, after the
forwarded headers are checked and before the host check, the HTTPS redirect, sessions and
the access log: probes reach a process by its own address over plain HTTP, and one probe
every few seconds per process is not worth a log line. The URL patterns name them as well
(for `reverse()` and the authorization walk), with the same views.
"""

import logging
import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

_READY_LOG_SECONDS = 60.0
_last_not_ready_logged = [0.0]


def _plain(text: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _plain("ok\n")


def readyz(request: HttpRequest) -> HttpResponse:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except (DatabaseError, InterfaceError) as exc:
        now = time.monotonic()
        if now - _last_not_ready_logged[0] >= _READY_LOG_SECONDS:  # a probe asks every few seconds
            _last_not_ready_logged[0] = now
            logger.error("Not ready: the shared database does not answer: %s", exc)
        return _plain("not ready: the shared database does not answer\n", status=503)
    return _plain("ok\n")


def _metrics(request: HttpRequest) -> HttpResponse:
    from hms.ops.metrics import metrics

    return metrics(request)


ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": _metrics,
}


class OperationsEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = _plain("Method not allowed\n", status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)
