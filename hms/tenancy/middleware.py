"""Selects the hospital named in the URL for the duration of one request.

`/h/<CODE>/`, `/api/v1/hospitals/<CODE>/` and `/fhir/<CODE>/` are hospital URLs. The
code must name an ACTIVE hospital the user belongs to (a SUPERADMIN may enter any);
an unknown code and another hospital's code answer the same 404. A hospital whose
database is behind the current schema is refused with 503 until it is migrated; one
migrated past this code is served only if the code can run on it (hms.tenancy.upgrades).
While the page runs, the hospital's time zone is Django's current time zone, so pages and
forms show and read the hospital's wall-clock time without wrapping anything themselves.
A hospital whose database is missing, damaged, locked or unreachable answers 503 (logged
once a minute with its code); its connection is closed so the next request tries afresh,
and every other hospital goes on as before.
"""

import logging
import re
import threading
import time
import zoneinfo
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from hms.core.metrics import HOSPITAL_REFUSALS, TENANT_CONNECTION_BUDGET
from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.codes import is_valid_hospital_code
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import ConnectionLimitReached, HospitalReadOnly
from hms.tenancy.http import HospitalRequest
from hms.tenancy.schema import current_fingerprint
from hms.tenancy.signals import foreign_hospital_requested
from hms.tenancy.upgrades import Relation, newer_release_seen, relation_to_code

HOSPITAL_PATH = re.compile(r"^/(?:h|api/v1/hospitals|fhir)/(?P<code>[^/]+)(?:/|$)")
# The platform operator's actions on a hospital through the REST API (hms/api/platform.py) are
# not the hospital's own pages: they work whatever its status, without opening its database.
PLATFORM_ACTION_PATH = re.compile(r"^/api/v1/hospitals/[^/]+/(?:suspend|reactivate)/?$")
SCHEMA_RETRY_AFTER_SECONDS = 120
BUSY_RETRY_AFTER_SECONDS = 5
UNAVAILABLE_RETRY_AFTER_SECONDS = 60
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Hospitals whose members are let in: an archived one is read-only for good (writes answer 403).
SERVED = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED, Hospital.Status.ARCHIVED)
logger = logging.getLogger(__name__)


def hospital_code_from_path(path: str) -> str | None:
    if PLATFORM_ACTION_PATH.match(path):
        return None
    match = HOSPITAL_PATH.match(path)
    return match.group("code") if match else None


class HospitalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        current_fingerprint()  # the schema of the code this worker loaded, read as it boots
        TENANT_CONNECTION_BUDGET.set(tenant_connections.budget())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = hospital_code_from_path(request.path_info)
        if code is None:
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            if request.path_info.startswith("/h/"):
                return redirect_to_login(request.get_full_path())
            return HttpResponse("Authentication required.", status=401, content_type="text/plain")
        hospital = Hospital.objects.filter(code=code).first() if is_valid_hospital_code(code) else None
        if hospital is None or not user.may_enter(hospital.pk):
            foreign_hospital_requested.send(sender=HospitalMiddleware, request=request, code=code)
            raise Http404("No such hospital.")
        if hospital.status not in SERVED:
            raise Http404("No such hospital.")
        if hospital.status == Hospital.Status.ARCHIVED and (refused := _archived_refusal(request, hospital)):
            return refused
        if hospital.status == Hospital.Status.SUSPENDED:
            return _unavailable(
                request,
                hospital,
                403,
                "This hospital's account is suspended. Contact the platform operator.",
                cause="suspended",
            )
        if hospital.schema_fingerprint != current_fingerprint() and (
            refused := _schema_refusal(request, hospital)
        ):
            return refused
        if hospital.read_only and request.method not in SAFE_METHODS:
            return _read_only_response(request, hospital)
        cast(HospitalRequest, request).hospital = hospital
        alias = tenant_connections.hospital_alias(hospital.code)
        try:
            # override() restores the time zone that was active before, even if the view raises.
            with (
                hospital_context(hospital) as tenant,
                timezone.override(zoneinfo.ZoneInfo(hospital.time_zone)),
            ):
                _connect(tenant.alias)
                response = self.get_response(request)
        except ConnectionLimitReached as exc:
            _fault_log(hospital.code, "busy", exc)
            return _busy_response(request, hospital)
        except (DatabaseError, InterfaceError) as exc:
            # Opening the database failed: missing, not a database, locked, or unreachable.
            tenant_connections.discard(alias)
            kind = fault_kind(exc)
            _fault_log(hospital.code, kind, exc)
            return _fault_response(request, hospital, kind)
        if getattr(request, "_hospital_fault", False):
            tenant_connections.discard(alias)  # it failed during the page: the next request reconnects
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        hospital = getattr(request, "hospital", None)
        if hospital is None:
            return None
        if isinstance(exception, HospitalReadOnly):
            return _read_only_response(request, hospital)
        if _is_database_fault(exception):
            # The database went away (or is locked, or damaged) in the middle of the page.
            request._hospital_fault = True  # type: ignore[attr-defined]
            kind = fault_kind(exception)
            _fault_log(hospital.code, kind, exception, during=request.path_info)
            return _fault_response(request, hospital, kind)
        return None


# --- a hospital whose database fails -------------------------------------------------------

# What the database said, by fault: SQLite's and PostgreSQL's messages (lower case).
_FAULT_SIGNS = {
    "locked": ("database is locked", "database table is locked", "lock timeout", "lock_timeout"),
    "missing": ("unable to open database file", "does not exist"),
    "damaged": ("file is not a database", "database disk image is malformed", "file is encrypted"),
    "refusing": ("not currently accepting connections", "too many clients", "remaining connection slots"),
}
# Faults a request may simply retry soon; the others need the operator.
_BUSY_FAULTS = ("locked", "busy", "refusing")


def fault_kind(exc: BaseException) -> str:
    """'locked', 'missing', 'damaged', 'refusing' (the server turns connections away), or
    'unreachable' (anything else: the server is down, the connection broke)."""
    text = str(exc).lower()
    for kind, signs in _FAULT_SIGNS.items():
        if any(sign in text for sign in signs):
            return kind
    return "unreachable"


def _is_database_fault(exc: BaseException) -> bool:
    """The database failed, as opposed to the page asking it something wrong.

    A bare DatabaseError is what SQLite raises for a file that is not a database; its
    subclasses other than OperationalError (IntegrityError, ProgrammingError, DataError)
    are the page's own mistakes and stay 500s, so they are noticed and fixed.
    """
    return isinstance(exc, (OperationalError, InterfaceError)) or type(exc) is DatabaseError


_fault_lock = threading.Lock()
_fault_logged: dict[tuple[str, str], tuple[float, int]] = {}  # (code, kind) -> (last logged, repeats)


def _fault_log(code: str, kind: str, exc: BaseException, *, during: str | None = None) -> None:
    """Log a hospital's fault once per HMS_FAULT_LOG_SECONDS (per worker), with the repeats since.

    A broken hospital is asked for every few seconds by every open screen; one line a
    minute says the same as a thousand, and keeps the other hospitals' lines readable.
    """
    now = time.monotonic()
    interval = float(getattr(settings, "HMS_FAULT_LOG_SECONDS", 60))
    with _fault_lock:
        last, repeats = _fault_logged.get((code, kind), (None, 0))
        if last is not None and now - last < interval:
            _fault_logged[(code, kind)] = (last, repeats + 1)
            return
        if len(_fault_logged) > 10_000:  # forget faults long past rather than grow for ever
            for key in [k for k, (t, _) in _fault_logged.items() if now - t >= interval]:
                del _fault_logged[key]
        _fault_logged[(code, kind)] = (now, 0)
    where = f" during {during}" if during else ""
    logger.log(
        logging.WARNING if kind in _BUSY_FAULTS else logging.ERROR,
        "Hospital %s unavailable (%s)%s: %s: %s%s",
        code,
        kind,
        where,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        f" ({repeats} more since the last report)" if repeats else "",
        extra={"hospital": code, "fault": kind},
        exc_info=during is not None,
    )


def _fault_response(request: HttpRequest, hospital: Hospital, kind: str) -> HttpResponse:
    if kind in _BUSY_FAULTS:
        return _busy_response(request, hospital)
    if kind in ("missing", "damaged"):
        message = (
            "This hospital's records cannot be opened: its database is missing or damaged. "
            "The platform operator has been alerted. Please try again later."
        )
    else:
        message = "This hospital's database is busy or unreachable right now. Please try again in a moment."
    response = _unavailable(request, hospital, 503, message, cause="unavailable")
    response["Retry-After"] = str(
        UNAVAILABLE_RETRY_AFTER_SECONDS if kind != "unreachable" else BUSY_RETRY_AFTER_SECONDS
    )
    return response


def _schema_refusal(request: HttpRequest, hospital: Hospital) -> HttpResponse | None:
    """A hospital whose schema is not this code's: refused, or (ahead, compatible) served."""
    relation = relation_to_code(hospital.schema_fingerprint)
    if relation in (Relation.AHEAD_COMPATIBLE, Relation.AHEAD, Relation.DIVERGED):
        newer_release_seen(request)
    if relation is Relation.AHEAD_COMPATIBLE:
        return None  # the migrations this code lacks only add what it never reads
    if relation is Relation.BEHIND and hospital.status == Hospital.Status.ARCHIVED:
        # Fleet migration passes archived hospitals by: this one stays at its last schema.
        message = (
            "This archived hospital's records were kept in an earlier version and cannot be "
            "shown by this one. Contact the platform operator."
        )
        retry_after = UNAVAILABLE_RETRY_AFTER_SECONDS
    elif relation is Relation.BEHIND:
        message = (
            "This hospital's database is being upgraded to the current version. "
            "Please try again in a few minutes."
        )
        retry_after = SCHEMA_RETRY_AFTER_SECONDS
    else:
        logger.warning(
            "Hospital %s runs schema %s, %s of this code's %s",
            hospital.code,
            hospital.schema_fingerprint,
            relation.value,
            current_fingerprint(),
        )
        message = (
            "This hospital has been upgraded to a newer version than this server is running. "
            "The server is switching to the new version: please try again in a moment."
        )
        retry_after = BUSY_RETRY_AFTER_SECONDS
    response = _unavailable(request, hospital, 503, message, cause="schema")
    response["Retry-After"] = str(retry_after)
    return response


def _connect(alias: str) -> None:
    """Connect now, so a full or unreachable server is a clear 503, not a 500 mid-page.

    A connection kept from an earlier request is checked first (Django's health check,
    which the page's first query would otherwise run): a pooled connection to a server
    or PgBouncer that has gone away is closed and reopened here, where failing is a 503.
    """
    connection = connections[alias]
    connection.close_if_health_check_failed()
    connection.ensure_connection()


def _busy_response(request: HttpRequest, hospital: Hospital) -> HttpResponse:
    response = _unavailable(
        request,
        hospital,
        503,
        "This hospital's database is busy or unreachable right now. Please try again in a moment.",
        cause="busy",
    )
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


def _archived_refusal(request: HttpRequest, hospital: Hospital) -> HttpResponse | None:
    """An archived hospital: its database removed (410), or a write (403); None lets a read in."""
    if hospital.database_removed_at is not None:
        return _unavailable(
            request,
            hospital,
            410,
            f"This hospital was archived and its records were taken out of service on "
            f"{hospital.database_removed_at:%d %B %Y}. Contact the platform operator if you need them.",
            cause="archived",
        )
    if request.method not in SAFE_METHODS:
        return _archived_write_response(request, hospital)
    return None


def _archived_write_response(request: HttpRequest, hospital: Hospital) -> HttpResponse:
    return _unavailable(
        request,
        hospital,
        403,
        "This hospital is archived: you can read its records, but nothing can be changed any more.",
        cause="archived",
    )


def _read_only_response(request: HttpRequest, hospital: Hospital) -> HttpResponse:
    """A write while the hospital is read-only: what is under way (the registry's status detail,
    which a restore sets), else a move, which is what sets it read-only without one."""
    if hospital.status == Hospital.Status.ARCHIVED:
        return _archived_write_response(request, hospital)
    doing = hospital.status_detail.strip() or "This hospital is being moved to another server."
    response = _unavailable(
        request,
        hospital,
        503,
        f"{doing} You can read records, but changes cannot be saved until it is done, "
        "usually in a few minutes.",
        cause="read_only",
    )
    response["Retry-After"] = str(SCHEMA_RETRY_AFTER_SECONDS)
    return response


def _unavailable(
    request: HttpRequest, hospital: Hospital, status: int, message: str, *, cause: str
) -> HttpResponse:
    HOSPITAL_REFUSALS.labels(cause).inc()
    body = render_to_string(
        "tenancy/unavailable.html", {"hospital": hospital, "message": message}, request=request
    )
    return HttpResponse(body, status=status)
