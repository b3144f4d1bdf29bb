"""How a user is named on a page: "Dr Habib Ullah" (first and last name, with a doctor's title),
else the username. One rule for every page, so a person reads the same everywhere."""

from collections.abc import Iterable

from hms.accounts.models import Role, User

TITLES = {Role.DOCTOR: "Dr"}


def display_name(user: User | None) -> str:
    """ "Dr Habib Ullah", "Rahima Khatun"; the username where no name is recorded; "" for no user."""
    if user is None:
        return ""
    full = " ".join(part for part in (user.first_name.strip(), user.last_name.strip()) if part)
    if not full:
        return user.get_username()
    title = TITLES.get(Role(user.role)) if user.role in Role.values else None
    return f"{title} {full}" if title else full


def display_name_with_role(user: User | None) -> str:
    """The display name and the role: "Rahima Khatun (Nurse)"; a doctor's title says it already."""
    if user is None:
        return ""
    name = display_name(user)
    if user.role == Role.DOCTOR and name != user.get_username():
        return name
    return f"{name} ({user.get_role_display()})"


def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of shared users by id, in one query to the shared database (none for no ids)."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return {}
    users = User.objects.only("id", "username", "first_name", "last_name", "role").in_bulk(wanted)
    return {pk: display_name(user) for pk, user in users.items()}
