"""A hospital's accounts, kept by its administrator: create, reset a password, disable, enable.

An account is a shared user (hms.accounts) and its staff member row in the hospital's
database, made and changed together. New accounts and reset passwords get a one-time
"set your password" link (Django's password-reset token), shown once to whoever asked
for it and never stored or logged. Disabling an account ends every open session of
its user at once. Role, active flag and creation reach the security log through its
model signals (with the acting user); the hospital's audit log gets the staff row's
change, and an administrator's password reset gets a security event of its own.
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction

from hms.accounts.lifecycle import set_password_path, user_sessions_end
from hms.accounts.models import STAFF_ROLES, Role, User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.core.exceptions import ApplicationError
from hms.core.locking import row_locked
from hms.core.text import control_characters_refuse
from hms.core.validation import model_valid
from hms.hospitals.models import Hospital
from hms.security.actor import acting, acting_as
from hms.security.log import Kind, security_record
from hms.staff.models import Department, StaffMember
from hms.staff.services import member_build
from hms.tenancy.context import current_tenant, hospital_context

# Who the hospital's audit log names when the first administrator is made from the command line.
COMMAND_LINE = "(platform operator, command line)"
NOT_ON_STAFF = "This staff member is not on this hospital's staff."
# Refusals of a new account whose username (or licence number) another write took at the same moment.
ACCOUNT_RACED = "This username or licence number was taken by someone else at the same moment; try again."
FIRST_ADMIN_RACED = "This username was taken at the same moment; try again."


@dataclass(frozen=True)
class AccountLink:
    """An account and the one-time address (a path) where its user sets a password."""

    user: User
    member: StaffMember
    set_password_path: str


def _member_of_hospital(staff_member: StaffMember) -> StaffMember:
    tenant = current_tenant()
    if staff_member._state.db != tenant.alias:
        raise ApplicationError(NOT_ON_STAFF)
    return staff_member


def _account_of(staff_member: StaffMember) -> User:
    """The member's shared account; it belongs to this hospital (or the member is refused)."""
    tenant = current_tenant()
    user = User.objects.filter(pk=staff_member.user_id, hospital__code=tenant.code).first()
    if user is None:
        raise ApplicationError("This staff member has no account in this hospital.")
    return user


def _user_save(user: User, *, acting_user: User | None, fields: list[str] | None = None) -> None:
    """Save `user` with `acting_user` as the actor the security log's signals record."""
    _, request = acting()
    with acting_as(acting_user, request):
        if fields is None:
            user.save(using=DEFAULT_DB_ALIAS)
        else:
            user.save(using=DEFAULT_DB_ALIAS, update_fields=fields)


def _account_new(
    *, username: str, first_name: str, last_name: str, email: str, role: str, hospital: Hospital
) -> User:
    username = username.strip()
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        role=role,
        hospital=hospital,
    )
    user.set_unusable_password()  # set by its user, through the one-time link
    model_valid(user, "The account's details are not valid.", exclude=["password"], validate_unique=False)
    return user


def _username_check_free(username: str) -> None:
    # Usernames are unique on the whole platform, so a taken one is refused whoever holds it;
    # the answer does not say which hospital, or whether it is a staff or a patient account.
    if User.objects.filter(username__iexact=username.strip()).exists():
        raise ApplicationError(
            "This username is already taken; choose another.",
            details={"username": ["This username is already taken; choose another."]},
        )


def staff_account_create(
    *,
    acting_user: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str = "",
    role: str,
    department: Department | None = None,
    specialty: str = "",
    licence_number: str = "",
    client_address: str | None = None,
) -> AccountLink:
    """Create a staff account of the current hospital and its staff member row, in one step.

    The account has no password until its user sets one through the returned one-time
    link. Only the hospital's administrator may do this.
    """
    permission_require(user=acting_user, resource=Resource.STAFF, action=Action.CREATE)
    control_characters_refuse(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        specialty=specialty,
        licence_number=licence_number,
    )
    tenant = current_tenant()
    if role not in STAFF_ROLES:
        raise ApplicationError("Choose a staff role.", details={"role": ["Choose a staff role."]})
    hospital = Hospital.objects.get(code=tenant.code)
    user = _account_new(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        hospital=hospital,
    )
    member = member_build(
        role=role, department=department, specialty=specialty, licence_number=licence_number
    )
    _username_check_free(user.username)
    _account_open(user, member, acting_user, "staff.account_create", client_address, raced=ACCOUNT_RACED)
    return AccountLink(user=user, member=member, set_password_path=set_password_path(user))


def _account_open(
    user: User,
    member: StaffMember,
    acting_user: User | None,
    action: str,
    client_address: str | None,
    *,
    raced: str,
) -> None:
    """Save a new account and its staff member row together (the shared database's and the
    current hospital's transactions), the username checked free again within them; `raced` if
    another write took the username or the licence number at the same moment.

    The hospital's audit log names `acting_user`, or COMMAND_LINE when there is none (the operator's
    command).
    """
    auditor = acting_user or User(username=COMMAND_LINE, role=Role.SUPERADMIN)
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS), transaction.atomic(using=current_tenant().alias):
            _username_check_free(user.username)
            _user_save(user, acting_user=acting_user)
            member.user_id = user.pk
            _member_record(auditor, member, client_address, action, user=user)
    except IntegrityError as exc:
        raise ApplicationError(raced) from exc


def _member_record(
    acting_user: User, member: StaffMember, client_address: str | None, action: str, *, user: User
) -> None:
    """Save a new staff member row (the caller's transaction) and its audit row."""
    alias = current_tenant().alias
    if member.licence_number and StaffMember.objects.filter(licence_number=member.licence_number).exists():
        raise ApplicationError(
            f"Licence number {member.licence_number} is already recorded for another member.",
            details={"licence_number": ["This licence number is already recorded for another member."]},
        )
    member.save(using=alias)
    audit_row(
        acting_user,
        action,
        member,
        client_address,
        staff_member_id=member.pk,
        user_id=user.pk,
        username=user.get_username(),
        role=member.role,
        department_id=member.department_id,
    )


def staff_account_password_reset(
    *, acting_user: User, staff_member: StaffMember, client_address: str | None = None
) -> AccountLink:
    """Make a staff member's password unusable, end every session of theirs, and return a
    one-time link where they set a new one (to be handed to them by the administrator)."""
    permission_require(user=acting_user, resource=Resource.STAFF, action=Action.UPDATE)
    member = _member_of_hospital(staff_member)
    user = _account_of(member)
    if user.pk == acting_user.pk:
        raise ApplicationError("Change your own password from Your account.")
    if not (user.is_active and member.is_active):
        raise ApplicationError("This account is disabled: enable it first.")
    tenant = current_tenant()
    with transaction.atomic(using=DEFAULT_DB_ALIAS), transaction.atomic(using=tenant.alias):
        user.set_unusable_password()
        _user_save(user, acting_user=acting_user, fields=["password"])
        _, request = acting()
        security_record(
            Kind.PASSWORD_RESET_BY_ADMIN,
            user=user,
            actor=acting_user,
            request=request,
            hospital_code=tenant.code,
        )
        audit_row(
            acting_user,
            "staff.password_reset",
            member,
            client_address,
            staff_member_id=member.pk,
            user_id=user.pk,
        )
    user_sessions_end(user)
    return AccountLink(user=user, member=member, set_password_path=set_password_path(user))


def staff_account_disable(
    *, acting_user: User, staff_member: StaffMember, client_address: str | None = None
) -> StaffMember:
    """Deactivate a staff member and their account: every open session of theirs ends now, and
    they cannot sign in until an administrator enables the account again."""
    permission_require(user=acting_user, resource=Resource.STAFF, action=Action.VOID)
    member = _member_of_hospital(staff_member)
    if member.user_id == acting_user.pk:
        raise ApplicationError("You cannot deactivate yourself; ask another administrator.")
    tenant = current_tenant()
    user = User.objects.filter(pk=member.user_id, hospital__code=tenant.code).first()
    member = _active_set(
        acting_user,
        member,
        user,
        active=False,
        action="staff.deactivate",
        already="This staff member is already inactive.",
        client_address=client_address,
    )
    if user is not None:
        user_sessions_end(user)
    return member


def staff_account_enable(
    *, acting_user: User, staff_member: StaffMember, client_address: str | None = None
) -> StaffMember:
    """Make a deactivated staff member and their account active again (same password, if any)."""
    permission_require(user=acting_user, resource=Resource.STAFF, action=Action.UPDATE)
    member = _member_of_hospital(staff_member)
    user = _account_of(member)
    if user.role != member.role:
        raise ApplicationError("This account's role no longer matches its staff record.")
    return _active_set(
        acting_user,
        member,
        user,
        active=True,
        action="staff.reactivate",
        already="This staff member is already active.",
        client_address=client_address,
    )


def _active_set(
    acting_user: User,
    member: StaffMember,
    user: User | None,
    *,
    active: bool,
    action: str,
    already: str,
    client_address: str | None,
) -> StaffMember:
    """Make the staff row and its account (when there is one) active or not, together, audited as
    `action`; refused with `already` if both are so already. The caller has made its own checks.
    Returns `member`, changed to match the saved row."""
    tenant = current_tenant()
    with transaction.atomic(using=DEFAULT_DB_ALIAS), transaction.atomic(using=tenant.alias):
        current = row_locked(StaffMember, ApplicationError(NOT_ON_STAFF), pk=member.pk)
        if current.is_active == active and (user is None or user.is_active == active):
            raise ApplicationError(already)
        current.is_active = active
        current.save(using=tenant.alias, update_fields=["is_active", "updated_at"])
        if user is not None and user.is_active != active:
            user.is_active = active
            _user_save(user, acting_user=acting_user, fields=["is_active"])
        audit_row(
            acting_user,
            action,
            current,
            client_address,
            staff_member_id=current.pk,
            user_id=current.user_id,
        )
    member.is_active = active
    member.updated_at = current.updated_at
    return member


def hospital_first_admin_create(
    *,
    hospital: Hospital,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    acting_user: User | None = None,
) -> AccountLink:
    """The first administrator of a newly created hospital, made by the platform operator:
    an ADMIN account and its staff member row, with a one-time "set your password" link.

    Registered with the tenancy engine (hms.tenancy.first_admin) by this app, so the
    operator's command and admin can make it without the engine importing this app.
    """
    if acting_user is not None and not acting_user.is_superadmin:
        raise ApplicationError("Only the platform operator creates a hospital's first administrator.")
    user = _account_new(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=Role.ADMIN,
        hospital=hospital,
    )
    if not user.email:
        raise ApplicationError(
            "The first administrator needs an email address.",
            details={"email": ["The first administrator needs an email address."]},
        )
    if User.objects.filter(hospital=hospital, role=Role.ADMIN, is_active=True).exists():
        raise ApplicationError(
            f"Hospital {hospital.code} already has an administrator; they create the other accounts."
        )
    _username_check_free(user.username)
    member = StaffMember(role=Role.ADMIN)
    with hospital_context(hospital):
        _account_open(user, member, acting_user, "staff.first_admin_create", None, raced=FIRST_ADMIN_RACED)
    return AccountLink(user=user, member=member, set_password_path=set_password_path(user))
