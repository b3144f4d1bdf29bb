"""Reads of the hospital's staff, scoped to the current hospital; names come from the shared users."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from hms.accounts.models import STAFF_ROLES, User
from hms.staff.models import Department, StaffMember
from hms.tenancy.context import current_tenant

PAGE_SIZE = 25


@dataclass(frozen=True)
class StaffEntry:
    """One staff member as a list shows it: the tenant row and the shared user's names."""

    member: StaffMember
    username: str
    full_name: str


def staff_list(
    *,
    user: User,
    department: Department | None = None,
    include_inactive: bool = False,
    page_number: object = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    """One page of the current hospital's staff (active only unless `include_inactive`), oldest first.

    Only staff of this hospital see it; anyone else gets an empty page. The users'
    names are read from the shared database in one query for the whole page.
    """
    tenant = current_tenant()
    if user.role not in STAFF_ROLES or user.hospital is None or user.hospital.code != tenant.code:
        return Paginator([], page_size).get_page(1)
    queryset = StaffMember.objects.select_related("department").order_by("id")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    if department is not None:
        if department._state.db != tenant.alias:
            return Paginator([], page_size).get_page(1)
        queryset = queryset.filter(department=department)
    page = Paginator(queryset, page_size).get_page(page_number)
    members = list(page.object_list)
    users = User.objects.only("id", "username", "first_name", "last_name").in_bulk(
        [m.user_id for m in members]
    )
    entries = []
    for member in members:
        account = users.get(member.user_id)
        entries.append(
            StaffEntry(
                member=member,
                username=account.get_username() if account else "",
                full_name=(account.get_full_name() or account.get_username()) if account else "",
            )
        )
    page.object_list = entries
    return page
