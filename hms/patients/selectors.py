"""Reads of patient data, scoped to the current hospital and the user's rights, and audited."""

from django.core.paginator import Page, Paginator
from django.db import transaction

from hms.accounts.models import STAFF_ROLES, User
from hms.audit.services import audit_record
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

PAGE_SIZE = 25


def patient_list_visible_to(*, user: User) -> bool:
    """Hospital staff see the hospital's patient list; patients and platform admins do not."""
    return user.role in STAFF_ROLES


def patient_page(*, user: User, page_number: object = 1, client_address: str | None = None) -> Page:
    """One page of the current hospital's patients, in name order; the read is audited.

    A user who may not see the list gets an empty page (and nothing is read or audited).
    """
    if not patient_list_visible_to(user=user):
        return Paginator([], PAGE_SIZE).get_page(1)
    queryset = Patient.objects.only("id", "mrn", "given_name", "family_name", "birth_date", "sex").order_by(
        "family_name", "given_name", "id"
    )
    with transaction.atomic(using=current_tenant().alias):
        page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
        page.object_list = list(page.object_list)
        audit_record(
            acting_user=user,
            action="patient.list",
            resource="Patient",
            client_address=client_address,
            detail={"page": page.number, "patient_ids": [p.pk for p in page.object_list]},
        )
    return page
