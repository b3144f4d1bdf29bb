"""Who can be booked: active doctors of the current hospital (shared users, looked up by id).
Doctors are named as on every page ("Dr Karim Ahmed", hms.accounts.display.display_name)."""

from hms.accounts.display import display_name
from hms.accounts.models import Role, User
from hms.core.exceptions import ApplicationError
from hms.core.ids import record_id
from hms.staff.models import StaffMember
from hms.tenancy.context import current_tenant

NOT_BOOKABLE = "Choose a doctor of this hospital."


def practitioner_get(*, practitioner_user_id: int) -> User:
    """The active doctor of the current hospital with this user id, or ApplicationError ("practitioner").

    An unknown id, another hospital's user and a user who is not a doctor answer alike,
    so the message tells nothing about other hospitals' accounts.
    """
    user_id = record_id(practitioner_user_id)
    if user_id is None:
        raise ApplicationError(NOT_BOOKABLE, details={"practitioner": [NOT_BOOKABLE]})
    user = User.objects.select_related("hospital").filter(pk=user_id).first()
    tenant = current_tenant()
    if user is None or user.hospital is None or user.hospital.code != tenant.code or user.role != Role.DOCTOR:
        raise ApplicationError(NOT_BOOKABLE, details={"practitioner": [NOT_BOOKABLE]})
    name = display_name(user)
    if not user.is_active or StaffMember.objects.filter(user_id=user_id, is_active=False).exists():
        message = f"{name} is not on this hospital's active staff and cannot be booked."
        raise ApplicationError(message, details={"practitioner": [message]})
    return user


def practitioner_choices() -> list[tuple[int, str]]:
    """(user id, name) of the current hospital's bookable doctors, by name."""
    tenant = current_tenant()
    doctors = list(
        User.objects.filter(hospital__code=tenant.code, role=Role.DOCTOR, is_active=True).only(
            "id", "username", "first_name", "last_name", "role"
        )
    )
    inactive = set(
        StaffMember.objects.filter(user_id__in=[d.pk for d in doctors], is_active=False).values_list(
            "user_id", flat=True
        )
    )
    # by name, the title aside: "Dr" would sort every doctor with a name before one without
    bookable = sorted(
        (d for d in doctors if d.pk not in inactive),
        key=lambda d: ((d.get_full_name() or d.get_username()).lower(), d.pk),
    )
    return [(d.pk, display_name(d)) for d in bookable]


def practitioner_names(user_ids: set[int]) -> dict[int, str]:
    """Names of these shared users, in one query (ids of users who are gone map to "#id")."""
    if not user_ids:
        return {}
    users = User.objects.only("id", "username", "first_name", "last_name", "role").in_bulk(sorted(user_ids))
    return {pk: display_name(users[pk]) if pk in users else f"#{pk}" for pk in user_ids}
