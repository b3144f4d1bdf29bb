"""Locking out failed sign-ins (django-axes), and the hospital administrator's view of it.

An account is locked after `HMS_LOCKOUT_FAILURES` failed sign-ins and a client address
after `HMS_LOCKOUT_ADDRESS_FAILURES`, each counted over the last `HMS_LOCKOUT_MINUTES`
(axes' cool-off). A lock is checked before the password (axes' backend comes first), ends
by itself one cool-off after the failure that set it, and the hospital's ADMIN can clear
an account of their hospital sooner. Axes' rows live in the shared database.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.core.exceptions import NotFound
from hms.security.log import Kind, security_record
from hms.tenancy.context import current_tenant


def _failures(attempts: Any) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per account and another per client address.

    Axes compares one number with one limit; this handler answers axes' limit when either
    count has reached its own limit, and otherwise the account's count (below the limit).
    """

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        by_account = _failures(recent.filter(username=username)) if username else 0
        by_address = _failures(recent.filter(ip_address=address)) if address else 0
        limit = int(settings.AXES_FAILURE_LIMIT)
        if by_address >= settings.HMS_LOCKOUT_ADDRESS_FAILURES:
            request.hms_locked_by = "address"
            return limit
        if by_account >= limit:
            request.hms_locked_by = "account"
            return limit
        return by_account


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page again, saying the sign-in is locked for a while (429)."""
    cool_off = get_cool_off(request) or timedelta(0)
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": math.ceil(cool_off.total_seconds() / 60)},
        status=429,
    )


def locked_out_received(
    sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any
) -> None:
    """Axes' user_locked_out: a new lock goes to the security log. Axes sends it again for each
    try refused while locked (no failures counted then); those are failed sign-ins already."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    account = User.objects.select_related("hospital").filter(username=username).first()
    security_record(
        Kind.LOCKED_OUT,
        user=account,
        username=username or "",
        request=request,
        detail={"locked_by": getattr(request, "hms_locked_by", "account")},
    )


@dataclass(frozen=True)
class Lockout:
    account: User
    failures: int
    last_failure: datetime
    locked: bool
    until: datetime


def lockout_list(*, user: User) -> list[Lockout]:
    """Accounts of the current hospital with failed sign-ins in the last cool-off, newest first."""
    permission_require(user=user, resource=Resource.LOCKOUT, action=Action.VIEW)
    cool_off = get_cool_off() or timedelta(0)
    accounts = User.objects.filter(hospital__code=current_tenant().code)
    rows = (
        AccessAttempt.objects.filter(
            attempt_time__gte=timezone.now() - cool_off,
            username__in=accounts.values("username"),
        )
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .order_by("-last")
    )
    by_name = {row["username"]: row for row in rows[:500]}
    found = accounts.filter(username__in=list(by_name)).select_related("hospital")
    limit = int(settings.AXES_FAILURE_LIMIT)
    lockouts = [
        Lockout(
            account=account,
            failures=by_name[account.username]["failures"],
            last_failure=by_name[account.username]["last"],
            locked=by_name[account.username]["failures"] >= limit,
            until=by_name[account.username]["last"] + cool_off,
        )
        for account in found
    ]
    return sorted(lockouts, key=lambda lockout: lockout.last_failure, reverse=True)


def lockout_clear(*, acting_user: User, account_id: int, request: HttpRequest | None = None) -> User:
    """Forget an account's failed sign-ins (every address), so it can sign in at once."""
    permission_require(user=acting_user, resource=Resource.LOCKOUT, action=Action.UPDATE)
    account = User.objects.filter(pk=account_id, hospital__code=current_tenant().code).first()
    if account is None:
        raise NotFound("No such account in this hospital.")
    cleared = AxesProxyHandler.reset_attempts(username=account.get_username())
    security_record(
        Kind.LOCKOUT_CLEARED,
        user=account,
        actor=acting_user,
        request=request,
        detail={"attempt_records_cleared": cleared},
    )
    return account
