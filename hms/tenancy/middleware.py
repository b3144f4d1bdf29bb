"""Selects the hospital named in the URL for the duration of one request.

`/h/<CODE>/`, `/api/v1/hospitals/<CODE>/` and `/fhir/<CODE>/` are hospital URLs. The
code must name an ACTIVE hospital the user belongs to (a SUPERADMIN may enter any);
an unknown code and another hospital's code answer the same 404. A hospital whose
database is behind the current schema is refused with 503 until it is migrated; one
migrated past this code is served only if the code can run on it (hms.tenancy.upgrades).
While the page runs, the hospital's time zone is Django's current time zone, so pages and
forms show and read the hospital's wall-clock time without wrapping anything themselves.
"""

import logging
import re
import zoneinfo
from collections.abc import Callable
from typing import cast

from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from hms.hospitals.models import Hospital
from hms.tenancy.codes import is_valid_hospital_code
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import ConnectionLimitReached, HospitalReadOnly
from hms.tenancy.http import HospitalRequest
from hms.tenancy.schema import current_fingerprint
from hms.tenancy.signals import foreign_hospital_requested
from hms.tenancy.upgrades import Relation, newer_release_seen, relation_to_code

HOSPITAL_PATH = re.compile(r"^/(?:h|api/v1/hospitals|fhir)/(?P<code>[^/]+)(?:/|$)")
SCHEMA_RETRY_AFTER_SECONDS = 120
BUSY_RETRY_AFTER_SECONDS = 5
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
logger = logging.getLogger(__name__)


def hospital_code_from_path(path: str) -> str | None:
    match = HOSPITAL_PATH.match(path)
    return match.group("code") if match else None


class HospitalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        current_fingerprint()  # the schema of the code this worker loaded, read as it boots

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
        if hospital.status not in (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED):
            raise Http404("No such hospital.")
        if hospital.status == Hospital.Status.SUSPENDED:
            return _unavailable(
                request, hospital, 403, "This hospital's account is suspended. Contact the platform operator."
            )
        if hospital.schema_fingerprint != current_fingerprint() and (
            refused := _schema_refusal(request, hospital)
        ):
            return refused
        if hospital.read_only and request.method not in SAFE_METHODS:
            return _read_only_response(request, hospital)
        cast(HospitalRequest, request).hospital = hospital
        try:
            # override() restores the time zone that was active before, even if the view raises.
            with (
                hospital_context(hospital) as tenant,
                timezone.override(zoneinfo.ZoneInfo(hospital.time_zone)),
            ):
                _connect(tenant.alias)
                return self.get_response(request)
        except (ConnectionLimitReached, OperationalError) as exc:
            logger.warning("Hospital %s unavailable: %s", hospital.code, exc)
            return _busy_response(request, hospital)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        hospital = getattr(request, "hospital", None)
        if hospital is None:
            return None
        if isinstance(exception, HospitalReadOnly):
            return _read_only_response(request, hospital)
        if isinstance(exception, (OperationalError, InterfaceError)):
            # The database went away (or is locked, or damaged) in the middle of the page.
            logger.exception("Hospital %s unavailable during %s", hospital.code, request.path_info)
            return _busy_response(request, hospital)
        return None


def _schema_refusal(request: HttpRequest, hospital: Hospital) -> HttpResponse | None:
    """A hospital whose schema is not this code's: refused, or (ahead, compatible) served."""
    relation = relation_to_code(hospital.schema_fingerprint)
    if relation in (Relation.AHEAD_COMPATIBLE, Relation.AHEAD, Relation.DIVERGED):
        newer_release_seen(request)
    if relation is Relation.AHEAD_COMPATIBLE:
        return None  # the migrations this code lacks only add what it never reads
    if relation is Relation.BEHIND:
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
    response = _unavailable(request, hospital, 503, message)
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
    )
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


def _read_only_response(request: HttpRequest, hospital: Hospital) -> HttpResponse:
    response = _unavailable(
        request,
        hospital,
        503,
        "This hospital is being moved to another server: you can read records, but changes "
        "cannot be saved for a few minutes.",
    )
    response["Retry-After"] = str(SCHEMA_RETRY_AFTER_SECONDS)
    return response


def _unavailable(request: HttpRequest, hospital: Hospital, status: int, message: str) -> HttpResponse:
    body = render_to_string(
        "tenancy/unavailable.html", {"hospital": hospital, "message": message}, request=request
    )
    return HttpResponse(body, status=status)
