"""What the platform console lists: the registry and each hospital's snapshot, from the shared
database alone (no hospital's database is opened to draw the page)."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Count, Q

from hms.accounts.models import User
from hms.core.pages import page_of
from hms.hospitals.models import Hospital, HospitalSnapshot
from hms.platform.services import operator_check
from hms.security.models import SecurityEvent
from hms.tenancy.schema import current_fingerprint


@dataclass(frozen=True)
class ConsoleRow:
    hospital: Hospital
    snapshot: HospitalSnapshot | None
    users: int
    schema_current: bool


@dataclass(frozen=True)
class FleetSummary:
    total: int
    by_status: list[tuple[str, int]]  # (the status's label, how many), statuses with none left out
    with_problems: int


def hospital_console_page(*, acting_user: User, query: str, status: str, page_number: str | int) -> Page:
    """One page of hospitals (searched by code or name, filtered by status) with their snapshots
    and active accounts: three queries whatever the page shows (count, rows, accounts)."""
    operator_check(acting_user)
    hospitals = Hospital.objects.select_related("snapshot").order_by("code")
    if query:
        hospitals = hospitals.filter(Q(code__icontains=query) | Q(name__icontains=query))
    if status:
        hospitals = hospitals.filter(status=status)
    page = page_of(hospitals, page_number)
    ids = [hospital.pk for hospital in page.object_list]
    users = dict(
        User.objects.filter(hospital_id__in=ids, is_active=True)
        .order_by()
        .values_list("hospital_id")
        .annotate(n=Count("id"))
        .values_list("hospital_id", "n")
    )
    code_schema = current_fingerprint()
    page.object_list = [
        ConsoleRow(
            hospital=hospital,
            snapshot=getattr(hospital, "snapshot", None),
            users=users.get(hospital.pk, 0),
            schema_current=hospital.schema_fingerprint == code_schema,
        )
        for hospital in page.object_list
    ]
    return page


def fleet_summary(*, acting_user: User) -> FleetSummary:
    """How many hospitals there are, by status, and how many the last check found a problem in."""
    operator_check(acting_user)
    counts = dict(
        Hospital.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    by_status = [
        (str(label).lower(), counts[value]) for value, label in Hospital.Status.choices if counts.get(value)
    ]
    problems = HospitalSnapshot.objects.filter(healthy=False).count()
    return FleetSummary(total=sum(counts.values()), by_status=by_status, with_problems=problems)


def console_row(*, acting_user: User, hospital: Hospital) -> ConsoleRow:
    """One hospital's row, for its own page."""
    operator_check(acting_user)
    users = User.objects.filter(hospital=hospital, is_active=True).count()
    snapshot = HospitalSnapshot.objects.filter(hospital=hospital).first()
    return ConsoleRow(hospital, snapshot, users, hospital.schema_fingerprint == current_fingerprint())


# Security-log actions on a hospital, in the operator's words.
OPERATION_WORDS = {
    "hospital_created": "Created",
    "hospital_suspended": "Suspended",
    "hospital_reactivated": "Reactivated",
    "hospital_backup_started": "Backup started",
    "hospital_checked": "Checked",
    "hospital_archived": "Archived",
    "hospital_final_backup_taken": "Final backup taken",
    "hospital_database_removed": "Database removed",
    "hospital_restored": "Restored from a backup",
}


@dataclass(frozen=True)
class Operation:
    occurred_at: datetime.datetime
    what: str
    by: str


def hospital_operations(*, acting_user: User, hospital: Hospital, limit: int = 10) -> list[Operation]:
    """The newest platform operations on the hospital (console, command line, admin), newest first."""
    operator_check(acting_user)
    events = SecurityEvent.objects.filter(
        hospital_code=hospital.code, kind=SecurityEvent.Kind.ADMIN_ACTION
    ).order_by("-occurred_at", "-id")[:limit]
    return [
        Operation(
            event.occurred_at,
            OPERATION_WORDS.get(action, action.replace("_", " ").capitalize() or event.get_kind_display()),
            event.username or event.actor_username,
        )
        for event in events
        for action in [str(event.detail.get("action", ""))]
    ]
