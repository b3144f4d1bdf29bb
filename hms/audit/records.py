"""The audit row of an action on one record, in one line: `audit_row(user, action, row, address, **detail)`.

The record names the row's resource (its model's name) and its patient (the row's
`patient_id`, the row itself for a Patient, none for a row about no patient);
`audit_record` stays for events about no record.
"""

from typing import Any

from django.db import models

from hms.accounts.models import User
from hms.audit.models import AuditEvent
from hms.audit.services import audit_record

# The patients app sits above this one (import-linter layers): it is known here by its label.
PATIENT_MODEL = "patients.Patient"


def row_patient_id(row: models.Model | type[models.Model]) -> int | None:
    """The patient a row is about: the row itself for a Patient, else its `patient_id`, if any."""
    if isinstance(row, type):
        return None
    if row._meta.label == PATIENT_MODEL:
        return row.pk
    return getattr(row, "patient_id", None)


def audit_row(
    acting_user: User,
    action: str,
    row: models.Model | type[models.Model],
    client_address: str | None = None,
    /,
    *,
    resource: str = "",
    **detail: Any,
) -> AuditEvent:
    """Write the audit row of `action` on `row` (inside the write's transaction, as audit_record).

    `row` is a model instance, or a model class for an action on that kind of record as a
    whole (no patient). `resource` overrides the model's name where the log has long used
    another (a lab result's row names its order, which carries the patient).
    """
    model = row if isinstance(row, type) else type(row)
    return audit_record(
        acting_user=acting_user,
        action=action,
        resource=resource or model.__name__,
        patient_id=row_patient_id(row),
        client_address=client_address,
        detail=detail,
    )
