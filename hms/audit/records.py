"""The audit row of an action on one record, in one line: `audit_row(user, action, row, address, **detail)`.

The record names the row's resource (its model's name) and its patient (the row's
`patient_id`, the row itself for a Patient, none for a row about no patient);
`audit_record` stays for events about no record. An `AuditedList` reads a list's page
with its audit row, the one way every audited list is read.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db import models, transaction
from django.db.models import QuerySet

from hms.accounts.models import User
from hms.audit.models import AuditEvent
from hms.audit.services import audit_record
from hms.core.pages import page_of
from hms.tenancy.context import current_tenant

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


@dataclass(frozen=True)
class AuditedList:
    """What reading a list of `model`'s rows records: `action` on `resource` (the model's name
    unless given), its rows' ids (under `ids`, "<model>_ids" unless given) and, for a page, its
    number.

    A list across patients names its rows' patients too (`patient_ids`); a list about one
    record (a patient's, or a lab panel's orders) is audited on that record (`about`) instead.
    Declare one beside each audited list's selector.
    """

    action: str
    model: type[models.Model]
    ids: str = ""
    resource: str = ""

    def page(
        self,
        rows: QuerySet[Any] | Sequence[Any],
        page_number: int | str | None,
        acting_user: User,
        client_address: str | None = None,
        /,
        *,
        about: models.Model | None = None,
        **detail: Any,
    ) -> Page:
        """One page of `rows` (hms.core.pages.page_of), read and audited in one transaction."""
        with transaction.atomic(using=current_tenant().alias):
            page = page_of(rows, page_number)
            listed = list(page.object_list)  # already a list (page_of): no second read
            self.record(listed, acting_user, client_address, about=about, page=page.number, **detail)
        return page

    def rows(
        self,
        rows: QuerySet[Any] | Sequence[Any],
        acting_user: User,
        client_address: str | None = None,
        /,
        *,
        about: models.Model | None = None,
        **detail: Any,
    ) -> list[Any]:
        """All of `rows`, read and audited in one transaction."""
        with transaction.atomic(using=current_tenant().alias):
            listed = list(rows)
            self.record(listed, acting_user, client_address, about=about, **detail)
        return listed

    def record(
        self,
        listed: Sequence[Any],
        acting_user: User,
        client_address: str | None = None,
        /,
        *,
        about: models.Model | None = None,
        **detail: Any,
    ) -> None:
        """Write the audit row of reading `listed` (inside the read's transaction)."""
        if about is None and self.model._meta.label != PATIENT_MODEL:
            detail["patient_ids"] = sorted({row.patient_id for row in listed})
        audit_row(
            acting_user,
            self.action,
            self.model if about is None else about,
            client_address,
            resource=self.resource or self.model.__name__,
            **{self.ids or f"{self.model._meta.model_name}_ids": [row.pk for row in listed]},
            **detail,
        )
