"""Reading the hospital's audit log: its administrators only; reading it is itself recorded.

Filters are the ones people know (a username, a patient's MRN, a date range in the
hospital's time zone, the start of an action); one page of rows is shown, and the same
rows, with the same columns, are exported as CSV.
"""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from hms.accounts.display import display_names
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.models import AuditEvent
from hms.audit.patients import patient_directory
from hms.audit.services import audit_chain_verify, audit_record
from hms.core.exceptions import ApplicationError
from hms.core.pages import page_of
from hms.security.log import ChainReport
from hms.tenancy.context import current_tenant

PAGE_SIZE = 50  # a log is read in longer pages than the other lists
EXPORT_MAX = 10_000  # rows in one CSV export, newest first; narrow the filters for more

COLUMNS = ("When", "User", "Username", "Role", "Action", "Resource", "Patient", "Outcome", "Address")


@dataclass(frozen=True)
class AuditFilters:
    username: str = ""
    mrn: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    action_prefix: str = ""

    def as_detail(self) -> dict[str, str | None]:
        return {
            "username": self.username or None,
            "mrn": self.mrn or None,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "action_prefix": self.action_prefix or None,
        }


@dataclass(frozen=True)
class AuditRow:
    """One event as the page and the CSV export show it (COLUMNS, in order)."""

    event: AuditEvent
    when: str
    user: str
    username: str
    role: str
    action: str
    resource: str
    patient: str
    outcome: str
    address: str

    @property
    def cells(self) -> list[str]:
        return [
            self.when,
            self.user,
            self.username,
            self.role,
            self.action,
            self.resource,
            self.patient,
            self.outcome,
            self.address,
        ]


@dataclass(frozen=True)
class AuditLogPage:
    page: Page
    rows: list[AuditRow]

    @property
    def object_list(self) -> list[AuditEvent]:
        """The page's events themselves."""
        return [row.event for row in self.rows]


def _filtered(filters: AuditFilters) -> tuple[QuerySet[AuditEvent], int | None]:
    """The events the filters select, newest first, and the patient the MRN names."""
    queryset = AuditEvent.objects.order_by("-id")
    patient_id = None
    if filters.mrn:
        patient_id = patient_directory().id_for_mrn(filters.mrn)
        if patient_id is None:
            message = f"No patient with MRN {filters.mrn} in this hospital."
            raise ApplicationError(message, details={"mrn": [message]})
        queryset = queryset.filter(patient_id=patient_id)
    if filters.username:
        queryset = queryset.filter(actor_username__iexact=filters.username.strip())
    zone = timezone.get_current_timezone()  # the hospital's, set for its pages
    if filters.date_from:
        start = datetime.datetime.combine(filters.date_from, datetime.time.min)
        queryset = queryset.filter(occurred_at__gte=timezone.make_aware(start, zone))
    if filters.date_to:
        end = datetime.datetime.combine(filters.date_to + datetime.timedelta(days=1), datetime.time.min)
        queryset = queryset.filter(occurred_at__lt=timezone.make_aware(end, zone))
    if filters.action_prefix:
        queryset = queryset.filter(action__startswith=filters.action_prefix)
    return queryset, patient_id


def _rows(events: list[AuditEvent]) -> list[AuditRow]:
    """The events with their users' display names and their patients' names and MRNs (one query each)."""
    names = display_names(e.actor_id for e in events)
    patients = patient_directory().labels(e.patient_id for e in events if e.patient_id is not None)
    rows = []
    for event in events:
        patient = ""
        if event.patient_id is not None:
            patient = patients.get(event.patient_id, "a patient no longer on record")
        rows.append(
            AuditRow(
                event=event,
                when=f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M:%S}",
                user=names.get(event.actor_id, event.actor_username)
                if event.actor_id
                else event.actor_username,
                username=event.actor_username,
                role=event.actor_role,
                action=event.action,
                resource=event.resource,
                patient=patient,
                outcome=event.outcome,
                address=event.client_address or "",
            )
        )
    return rows


def audit_event_page(
    *,
    user: User,
    filters: AuditFilters | None = None,
    page_number: int | str = 1,
    client_address: str | None = None,
) -> AuditLogPage:
    """One page (50) of the log, newest first, filtered; audited. ApplicationError (on "mrn")
    for an MRN that names no patient of this hospital."""
    permission_require(user=user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
    filters = filters or AuditFilters()
    with transaction.atomic(using=current_tenant().alias):
        queryset, patient_id = _filtered(filters)
        page = page_of(queryset, page_number, per_page=PAGE_SIZE)
        audit_record(
            acting_user=user,
            action="audit.view",
            resource="AuditEvent",
            patient_id=patient_id,
            client_address=client_address,
            detail={"page": page.number, **filters.as_detail()},
        )
    events = list(page.object_list)
    return AuditLogPage(page=page, rows=_rows(events))


def audit_event_export(
    *, user: User, filters: AuditFilters | None = None, client_address: str | None = None
) -> list[AuditRow]:
    """Every event the filters select (at most EXPORT_MAX, newest first) as the page's rows; audited."""
    permission_require(user=user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
    filters = filters or AuditFilters()
    with transaction.atomic(using=current_tenant().alias):
        queryset, patient_id = _filtered(filters)
        events = list(queryset[:EXPORT_MAX])
        audit_record(
            acting_user=user,
            action="audit.export",
            resource="AuditEvent",
            patient_id=patient_id,
            client_address=client_address,
            detail={"rows": len(events), **filters.as_detail()},
        )
    return _rows(events)


def audit_chain_check(*, user: User) -> ChainReport:
    """Recompute the whole chain (as `manage.py verify_audit_chain` does) for the administrator."""
    permission_require(user=user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
    return audit_chain_verify()
