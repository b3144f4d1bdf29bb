"""Reads of the hospital's staff, scoped to the current hospital; names come from the shared users."""

from dataclasses import dataclass

from django.core.paginator import Page

from hms.accounts.display import display_name
from hms.accounts.models import STAFF_ROLES, User
from hms.accounts.permissions import Action, Resource, permission_scope
from hms.core.pages import PAGE_SIZE, page_of
from hms.staff.models import Department, StaffMember
from hms.tenancy.context import current_tenant


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
    page_number: int | str = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    """One page of the current hospital's staff (active only unless `include_inactive`), oldest first.

    Only staff of this hospital see it; anyone else gets an empty page. The users'
    names are read from the shared database in one query for the whole page.
    """
    tenant = current_tenant()
    if permission_scope(user=user, resource=Resource.STAFF, action=Action.VIEW) is None:
        return page_of([], 1, per_page=page_size)
    queryset = StaffMember.objects.select_related("department").order_by("id")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    if department is not None:
        if department._state.db != tenant.alias:
            return page_of([], 1, per_page=page_size)
        queryset = queryset.filter(department=department)
    page = page_of(queryset, page_number, per_page=page_size)
    members = list(page.object_list)
    users = User.objects.only("id", "username", "first_name", "last_name", "role").in_bulk(
        [m.user_id for m in members]
    )
    entries = []
    for member in members:
        account = users.get(member.user_id)
        entries.append(
            StaffEntry(
                member=member,
                username=account.get_username() if account else "",
                full_name=display_name(account) if account else "",
            )
        )
    page.object_list = entries
    return page


def staff_member_find(*, user: User, member_id: int) -> StaffMember | None:
    """The current hospital's staff member `member_id` (active or not), for whoever may see its staff."""
    if permission_scope(user=user, resource=Resource.STAFF, action=Action.VIEW) is None:
        return None
    return StaffMember.objects.select_related("department").filter(pk=member_id).first()


def department_list(*, user: User, include_inactive: bool = False) -> list[Department]:
    """The hospital's departments in name order, for whoever may see its staff."""
    if permission_scope(user=user, resource=Resource.STAFF, action=Action.VIEW) is None:
        return []
    queryset = Department.objects.order_by("name", "id")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return list(queryset)


def staff_candidates(*, user: User) -> list[User]:
    """Active accounts of this hospital with a staff role who are not on its staff yet (admins only)."""
    if permission_scope(user=user, resource=Resource.STAFF, action=Action.CREATE) is None:
        return []
    tenant = current_tenant()
    recorded = set(StaffMember.objects.values_list("user_id", flat=True))
    accounts = User.objects.filter(
        hospital__code=tenant.code, role__in=sorted(STAFF_ROLES), is_active=True
    ).order_by("username")
    return [account for account in accounts if account.pk not in recorded]
