"""Reading care relationships: the ADMIN's review list of emergency accesses."""

from django.core.paginator import Page

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import AuditedList
from hms.care.models import EmergencyAccess

EMERGENCY_ACCESS_LIST = AuditedList("emergency_access.list", EmergencyAccess, ids="access_ids")


def emergency_access_page(
    *, user: User, to_review: bool, page_number: int | str | None, client_address: str | None = None
) -> Page:
    """Emergency accesses, newest first (only those not yet reviewed when `to_review`); audited."""
    permission_require(user=user, resource=Resource.EMERGENCY_ACCESS, action=Action.VIEW)
    rows = EmergencyAccess.objects.select_related("patient").order_by("-started_at", "-id")
    if to_review:
        rows = rows.filter(reviewed_at__isnull=True)
    return EMERGENCY_ACCESS_LIST.page(rows, page_number, user, client_address, to_review=to_review)
