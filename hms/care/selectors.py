"""Reading care relationships: the ADMIN's review list of emergency accesses."""

from django.core.paginator import Page
from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.models import EmergencyAccess
from hms.core.pages import page_of
from hms.tenancy.context import current_tenant


def emergency_access_page(
    *, user: User, to_review: bool, page_number: int | str | None, client_address: str | None = None
) -> Page:
    """Emergency accesses, newest first (only those not yet reviewed when `to_review`); audited."""
    permission_require(user=user, resource=Resource.EMERGENCY_ACCESS, action=Action.VIEW)
    rows = EmergencyAccess.objects.select_related("patient").order_by("-started_at", "-id")
    if to_review:
        rows = rows.filter(reviewed_at__isnull=True)
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(rows, page_number)
        audit_row(
            user,
            "emergency_access.list",
            EmergencyAccess,
            client_address,
            to_review=to_review,
            patient_ids=sorted({row.patient_id for row in page.object_list}),
        )
    return page
