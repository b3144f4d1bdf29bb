"""Writes of the hospital's staff records; only the hospital's own admin may make them, each audited."""

from hms.accounts.models import STAFF_ROLES, Role, User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.core.exceptions import ApplicationError
from hms.core.locking import atomic_write
from hms.core.text import control_characters_refuse
from hms.core.validation import model_valid, validation_errors
from hms.staff.models import Department, StaffMember
from hms.tenancy.context import current_tenant

LICENSED_ROLES = frozenset({Role.DOCTOR, Role.NURSE})


def staff_admin_check(*, acting_user: User) -> None:
    """Raise NotAllowed unless `acting_user` may manage the current hospital's staff (its ADMIN).

    A super-administrator is not a hospital administrator. Raises NoHospitalSelected
    outside a hospital context.
    """
    permission_require(user=acting_user, resource=Resource.STAFF, action=Action.UPDATE)


def department_create(*, acting_user: User, name: str, code: str) -> Department:
    """Add a department to the current hospital; its name and code are unique here."""
    staff_admin_check(acting_user=acting_user)
    control_characters_refuse(name=name, code=code)
    alias = current_tenant().alias
    department = Department(name=name.strip(), code=code.strip().upper())
    model_valid(department, "The department's details are not valid.", validate_unique=False)
    with atomic_write(
        using=alias,
        raced="Another department with this name or code was added at the same moment; try again.",
    ):
        if Department.objects.filter(name__iexact=department.name).exists():
            raise ApplicationError(f"This hospital already has a department named {department.name}.")
        if Department.objects.filter(code=department.code).exists():
            raise ApplicationError(f"This hospital already has a department with code {department.code}.")
        department.save(using=alias)
        audit_row(
            acting_user,
            "department.create",
            department,
            department_id=department.pk,
            name=department.name,
            code=department.code,
        )
    return department


def member_build(
    *, role: str, department: Department | None, specialty: str, licence_number: str
) -> StaffMember:
    """A new, unsaved staff member of the current hospital with `role`, checked against the
    rules: a doctor needs a specialty and a licence number; only doctors have a specialty, and
    only doctors and nurses a licence number. Its `user_id` is the caller's to set."""
    control_characters_refuse(role=role, specialty=specialty, licence_number=licence_number)
    tenant = current_tenant()
    specialty = specialty.strip()
    licence_number = licence_number.strip()
    errors: dict[str, list[str]] = {}
    if role == Role.DOCTOR:
        if not specialty:
            errors["specialty"] = ["A doctor needs a specialty."]
        if not licence_number:
            errors["licence_number"] = ["A doctor needs a licence number."]
    elif specialty:
        errors["specialty"] = ["Only doctors have a specialty."]
    if licence_number and role not in LICENSED_ROLES:
        errors["licence_number"] = ["Only doctors and nurses have a licence number."]
    if department is not None and (department._state.db != tenant.alias or not department.is_active):
        errors["department"] = ["Choose an active department of this hospital."]
    member = StaffMember(
        role=role,
        department=None if "department" in errors else department,
        specialty=specialty,
        licence_number=licence_number,
    )
    validation_errors(member, errors, exclude=["user_id"], validate_unique=False, validate_constraints=False)
    if errors:
        raise ApplicationError("The staff member's details are not valid.", details=errors)
    return member


def staff_member_add(
    *,
    acting_user: User,
    user: User,
    department: Department | None = None,
    specialty: str = "",
    licence_number: str = "",
) -> StaffMember:
    """Record `user` as a member of the current hospital's staff, with the role of their account.

    The user must belong to this hospital and have a staff role. A doctor needs a
    specialty and a licence number; only doctors have a specialty, and only doctors and
    nurses a licence number, which is unique in the hospital.
    """
    staff_admin_check(acting_user=acting_user)
    tenant = current_tenant()
    licence_number = licence_number.strip()
    # An account of another hospital is answered as one that does not exist.
    if user.hospital is None or user.hospital.code != tenant.code:
        raise ApplicationError(
            f"There is no account named {user.get_username()} in this hospital.",
            details={"user": ["Choose an account of this hospital."]},
        )
    if user.role not in STAFF_ROLES:
        raise ApplicationError(f"User {user.get_username()} does not have a staff role ({user.role}).")
    member = member_build(
        role=user.role, department=department, specialty=specialty, licence_number=licence_number
    )
    member.user_id = user.pk

    with atomic_write(
        using=tenant.alias,
        raced="This user or licence number was recorded by someone else at the same moment; try again.",
    ):
        if StaffMember.objects.filter(user_id=user.pk).exists():
            raise ApplicationError(f"User {user.get_username()} is already on this hospital's staff.")
        if licence_number and StaffMember.objects.filter(licence_number=licence_number).exists():
            raise ApplicationError(f"Licence number {licence_number} is already recorded for another member.")
        member.save(using=tenant.alias)
        audit_row(
            acting_user,
            "staff.add",
            member,
            staff_member_id=member.pk,
            user_id=user.pk,
            role=member.role,
            department_id=member.department_id,
        )
    return member
