"""Automatic logoff: a session ends after a spell without requests, and at the latest some
hours after signing in, however busy it is.

Staff sessions end after HMS_SESSION_IDLE_MINUTES without a request (default 15),
patients' after HMS_PATIENT_SESSION_IDLE_MINUTES (default 30: a patient reads only their
own record, often at length); every session after HMS_SESSION_MAX_HOURS (default 12, one
shift). The times are kept in the session itself: when it signed in and, to the nearest
minute, when it was last used (so a busy page does not write its session on every request).
An expired session is ended, written to the security log and sent to the sign-in page with
a message saying why.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from hms.accounts.models import Role, User
from hms.security.log import Kind, security_record

SIGNED_IN_AT = "hms_signed_in_at"
LAST_SEEN_AT = "hms_last_seen_at"
# Last use is written to the session at most this often.
SEEN_RESOLUTION_SECONDS = 60


def idle_limit_seconds(user: User) -> int:
    minutes = (
        settings.HMS_PATIENT_SESSION_IDLE_MINUTES
        if user.role == Role.PATIENT
        else settings.HMS_SESSION_IDLE_MINUTES
    )
    return int(minutes) * 60


def session_start(request: HttpRequest) -> None:
    """Called at sign-in (user_logged_in): the session's clock starts now."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def session_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(request)


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        assert isinstance(user, User)  # noqa: S101 - authenticated users are accounts
        session = request.session
        now = time.time()
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(LAST_SEEN_AT)
        if signed_in is None or seen is None:
            session_start(request)  # a session from before these limits: its clock starts now
            return self.get_response(request)
        if now - signed_in > settings.HMS_SESSION_MAX_HOURS * 3600:
            return _expired(
                request, user, "lifetime", f"You were signed in for {settings.HMS_SESSION_MAX_HOURS} hours"
            )
        limit = idle_limit_seconds(user)
        if now - seen > limit:
            return _expired(request, user, "idle", f"Nothing was done for {limit // 60} minutes")
        if now - seen >= SEEN_RESOLUTION_SECONDS:
            session[LAST_SEEN_AT] = now
        return self.get_response(request)


def _expired(request: HttpRequest, user: User, reason: str, why: str) -> HttpResponse:
    security_record(Kind.SESSION_EXPIRED, user=user, request=request, detail={"reason": reason})
    # Django's logout() without its signal: the security log has this as an expiry, not a
    # sign-out the user chose.
    request.session.flush()
    request.user = AnonymousUser()
    messages.info(
        request, f"{why}, so you were signed out to keep patients' records safe. Please sign in again."
    )
    wanted = request.get_full_path() if request.method == "GET" else resolve_url("home")
    return redirect_to_login(wanted)
