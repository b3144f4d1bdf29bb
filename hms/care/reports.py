"""The per-patient access report: who saw or changed a patient's record, when, from where, and why."""

import csv
import io
from dataclasses import dataclass

from django.core.paginator import Page
from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.models import AuditEvent
from hms.audit.records import audit_row
from hms.care.access import patient_access
from hms.care.models import EmergencyAccess
from hms.core.pages import page_of
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

PAGE_SIZE = 50
COLUMNS = (
    "time_utc",
    "user",
    "role",
    "action",
    "outcome",
    "client_address",
    "emergency_access",
    "emergency_reason",
)


@dataclass(frozen=True)
class AccessRow:
    event: AuditEvent
    emergency_reason: str  # the reason's label, "" when not under emergency access

    def as_csv(self) -> list[str]:
        e = self.event
        return [
            e.occurred_at.isoformat(),
            e.actor_username,
            e.actor_role,
            e.action,
            e.outcome,
            e.client_address or "",
            str(e.detail.get("emergency_access") or ""),
            self.emergency_reason,
        ]


def _row(event: AuditEvent) -> AccessRow:
    reason = event.detail.get("emergency_reason") or ""
    label = dict(EmergencyAccess.Reason.choices).get(reason, reason)
    return AccessRow(event, str(label))


def _patient(user: User, patient_id: int) -> Patient:
    permission_require(user=user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
    return patient_access(user=user, patient_id=patient_id, resource=Resource.PATIENT, action=Action.VIEW)


def patient_access_page(
    *, user: User, patient_id: int, page_number: int | str | None, client_address: str | None = None
) -> tuple[Patient, Page]:
    """The hospital ADMIN's page of one patient's access report, newest first; reading it is audited."""
    patient = _patient(user, patient_id)
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(
            AuditEvent.objects.filter(patient_id=patient.pk).order_by("-id"), page_number, per_page=PAGE_SIZE
        )
        page.object_list = [_row(event) for event in page.object_list]
        audit_row(user, "patient.access_report", patient, client_address, page=page.number)
    return patient, page


def patient_access_csv(*, user: User, patient_id: int, client_address: str | None = None) -> str:
    """Every row of the report, oldest first, as CSV text (header first); the export is audited.

    Built while the hospital is selected (a streamed response would be read after the
    request's hospital context has ended).
    """
    patient = _patient(user, patient_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    with transaction.atomic(using=current_tenant().alias):
        audit_row(user, "patient.access_report_export", patient, client_address)
        events = AuditEvent.objects.filter(patient_id=patient.pk).order_by("id")
        for event in events.iterator(chunk_size=2000):
            writer.writerow(_row(event).as_csv())
    return out.getvalue()
