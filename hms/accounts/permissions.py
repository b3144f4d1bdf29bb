"""The permission matrix: which role may do what to which resource, and over which patients.

Every clinical service and selector asks `permission_require` (or `permission_scope`)
before it reads or writes. The answer is a scope, not a yes/no:

- ALL: any patient of the current hospital;
- CARE: only patients in the user's care (a doctor's appointments and encounters),
  resolved by the clinical apps (hms.care.access);
- OWN: only the patient record linked to the user's own account.

A user acts only inside their own hospital. A super-administrator manages hospitals,
not patients: the matrix gives them nothing clinical (break-the-glass is separate).
"""

from enum import StrEnum

from hms.accounts.models import Role, User
from hms.core.exceptions import NotAllowed
from hms.tenancy.context import current_tenant


class Resource(StrEnum):
    PATIENT = "patient"
    APPOINTMENT = "appointment"
    SCHEDULE = "schedule"  # practitioners' working hours
    ENCOUNTER = "encounter"
    OBSERVATION = "observation"  # vital signs
    DIAGNOSIS = "diagnosis"
    ALLERGY = "allergy"
    NOTE = "note"
    PRESCRIPTION = "prescription"
    LAB_ORDER = "lab_order"
    LAB_RESULT = "lab_result"
    INVOICE = "invoice"
    PAYMENT = "payment"
    PRICE_LIST = "price_list"
    STAFF = "staff"
    AUDIT_LOG = "audit_log"
    LOCKOUT = "lockout"  # failed sign-ins of the hospital's accounts; update = clear
    CARE_ASSIGNMENT = "care_assignment"  # a walk-in sent to a clinician; update = end it
    EMERGENCY_ACCESS = "emergency_access"  # break-the-glass; create = open one, update = review
    CLINICAL_PROFILE = "clinical_profile"  # the hospital's units, code system and working week
    DEATH = "death"  # a patient's recorded death; create = record it, void = take back a mistaken one
    # A critical result's alert; update = acknowledge it (only the clinician it is addressed to).
    CRITICAL_ALERT = "critical_alert"
    ALERT_SETTINGS = "alert_settings"  # the escalation time, clinician and channels


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"  # includes status changes; for notes, amending
    VOID = "void"
    SIGN = "sign"  # clinical notes
    VERIFY = "verify"  # lab results: the laboratory's validation, which releases the result


class Scope(StrEnum):
    ALL = "all"
    CARE = "care"
    OWN = "own"


R, A, S = Resource, Action, Scope

_VCU = (A.VIEW, A.CREATE, A.UPDATE)
_VCUV = (A.VIEW, A.CREATE, A.UPDATE, A.VOID)
_V = (A.VIEW,)


def _grant(scope: Scope, **resources: tuple[Action, ...]) -> dict[tuple[Resource, Action], Scope]:
    return {
        (Resource[name.upper()], action): scope for name, actions in resources.items() for action in actions
    }


MATRIX: dict[Role, dict[tuple[Resource, Action], Scope]] = {
    Role.ADMIN: _grant(
        S.ALL,
        patient=_VCU,
        appointment=_VCUV,
        schedule=_VCUV,
        invoice=_VCUV,
        payment=(A.VIEW, A.CREATE, A.VOID),
        price_list=_VCUV,
        staff=_VCUV,
        audit_log=_V,
        lockout=(A.VIEW, A.UPDATE),
        clinical_profile=(A.VIEW, A.UPDATE),
        death=(A.CREATE, A.VOID),
        care_assignment=_VCU,
        emergency_access=(A.VIEW, A.UPDATE),
        # The last resort of an escalation: every alert, to find a clinician (hms.alerts).
        critical_alert=_V,
        alert_settings=(A.VIEW, A.UPDATE),
    ),
    Role.DOCTOR: {
        **_grant(
            S.ALL,
            patient=_VCU,
            death=(A.CREATE,),
            appointment=_V,
            schedule=_V,
            staff=_V,
            care_assignment=_V,
            # Outside their care, a doctor opens a record only through break-the-glass (ADR 0011).
            emergency_access=(A.CREATE,),
        ),
        **_grant(
            S.CARE,
            appointment=(A.UPDATE,),
            encounter=(A.VIEW, A.CREATE, A.UPDATE, A.VOID),
            observation=(A.VIEW, A.CREATE, A.VOID),
            diagnosis=_VCUV,  # update: a problem's status on the problem list
            allergy=_VCUV,
            note=(A.VIEW, A.CREATE, A.UPDATE, A.SIGN, A.VOID),
            prescription=(A.VIEW, A.CREATE, A.VOID),
            lab_order=(A.VIEW, A.CREATE, A.VOID),
            lab_result=(A.VIEW, A.CREATE, A.VERIFY),
            # Of those, only the alerts addressed to them (the responsible or the escalation
            # clinician); an escalation puts the patient in the escalation clinician's care.
            critical_alert=(A.VIEW, A.UPDATE),
        ),
    },
    Role.NURSE: _grant(
        S.ALL,
        patient=_V,
        appointment=(A.VIEW, A.UPDATE),
        schedule=_V,
        staff=_V,
        encounter=_V,
        observation=(A.VIEW, A.CREATE, A.VOID),
        diagnosis=_V,
        allergy=(A.VIEW, A.CREATE, A.UPDATE),
        note=_V,
        prescription=_V,
        lab_order=_V,
        lab_result=(A.VIEW, A.CREATE),
        care_assignment=_VCU,
    ),
    # The laboratory: every patient's orders and results, nothing else clinical.
    Role.LAB: _grant(
        S.ALL,
        patient=_V,
        staff=_V,
        lab_order=_V,
        lab_result=(A.VIEW, A.CREATE, A.VERIFY),
    ),
    Role.RECEPTIONIST: _grant(
        S.ALL,
        patient=_VCU,
        appointment=_VCUV,
        schedule=_V,
        staff=_V,
        invoice=(A.VIEW, A.CREATE, A.UPDATE),
        payment=(A.VIEW, A.CREATE),
        price_list=_V,
        care_assignment=_VCU,
    ),
    Role.PATIENT: _grant(
        S.OWN,
        patient=_V,
        # Their own appointments: booked and cancelled within the hospital's booking rules
        # (hms.scheduling.rules); only cancelling is an update a patient may make.
        appointment=_VCU,
        encounter=_V,
        observation=_V,
        diagnosis=_V,
        allergy=_V,
        note=_V,  # signed notes only; the selectors hold drafts back
        prescription=_V,
        lab_order=_V,
        lab_result=_V,  # verified results only
        invoice=_V,
        payment=_V,
    ),
    Role.SUPERADMIN: {},
}


def permission_scope(*, user: User, resource: Resource, action: Action) -> Scope | None:
    """The scope over which `user` may do `action` to `resource` in the current hospital, or None.

    None for an inactive user, for a user of another hospital, and for whatever the
    matrix does not grant. Raises NoHospitalSelected outside a hospital context.
    """
    tenant = current_tenant()
    if not user.is_active or user.is_superadmin:
        return None
    hospital = user.hospital
    if hospital is None or hospital.code != tenant.code:
        return None
    return MATRIX.get(Role(user.role), {}).get((resource, action))


def permission_require(*, user: User, resource: Resource, action: Action) -> Scope:
    """The scope granted, or NotAllowed with a message naming what was refused."""
    scope = permission_scope(user=user, resource=resource, action=action)
    if scope is None:
        role = Role(user.role).label if user.role in Role.values else user.role
        raise NotAllowed(
            f"A {role.lower()} may not {action} {resource.replace('_', ' ')} records here.",
            resource=resource,
            action=action,
        )
    return scope


def matrix_as_markdown() -> str:
    """The matrix as the Markdown table in docs/clinical/permissions.md (a test keeps them equal)."""
    roles = [role for role in Role if role != Role.SUPERADMIN]
    lines = [
        "| resource | action | " + " | ".join(role.label for role in roles) + " |",
        "| --- | --- |" + " --- |" * len(roles),
    ]
    for resource in Resource:
        for action in Action:
            cells = [MATRIX[role].get((resource, action)) for role in roles]
            if any(cells):
                shown = " | ".join(cell.value if cell else "-" for cell in cells)
                lines.append(f"| {resource.value} | {action.value} | {shown} |")
    return "\n".join(lines)
