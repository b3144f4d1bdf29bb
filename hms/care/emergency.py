"""Break-the-glass: a clinician's time-limited, audited, reviewed access outside their care (ADR 0011)."""

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.audit.records import audit_row
from hms.care.models import EmergencyAccess
from hms.care.rows import row_save, row_stamp
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.locking import row_locked
from hms.core.text import text_clean
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

ACCESS_NOT_FOUND = "No such emergency access here."
Reason = EmergencyAccess.Reason


def emergency_minutes() -> int:
    return int(settings.HMS_EMERGENCY_ACCESS_MINUTES)


def emergency_access_start(
    *,
    acting_user: User,
    patient_id: int,
    reason: str,
    explanation: str = "",
    client_address: str | None = None,
) -> EmergencyAccess:
    """Open `patient_id`'s record to `acting_user` for HMS_EMERGENCY_ACCESS_MINUTES, with a reason.

    An access already open for the same patient is returned as it is (not extended).
    """
    permission_require(user=acting_user, resource=Resource.EMERGENCY_ACCESS, action=Action.CREATE)
    if reason not in Reason.values:
        raise ApplicationError("Choose a reason from the list.", details={"reason": ["Choose a reason."]})
    explanation = text_clean(
        explanation,
        field="explanation",
        label="The explanation",
        max_length=500,
        required=reason == Reason.OTHER,
    )
    with transaction.atomic(using=current_tenant().alias):
        patient = Patient.objects.filter(pk=patient_id).first()
        if patient is None:
            raise NotFound("No such patient here.")
        already = EmergencyAccess.objects.open().filter(user_id=acting_user.pk, patient=patient).first()
        if already is not None:
            return already
        now = timezone.now()
        access = EmergencyAccess.objects.create(
            patient=patient,
            user_id=acting_user.pk,
            username=acting_user.get_username(),
            reason=reason,
            explanation=explanation,
            started_at=now,
            expires_at=now + datetime.timedelta(minutes=emergency_minutes()),
        )
        audit_row(
            acting_user,
            "emergency_access.start",
            access,
            client_address,
            emergency_access=access.pk,
            reason=reason,
            explanation=explanation,
            minutes=emergency_minutes(),
        )
    return access


def emergency_access_end(
    *, acting_user: User, access_id: int, client_address: str | None = None
) -> EmergencyAccess:
    """End one's own open access before it expires."""
    with transaction.atomic(using=current_tenant().alias):
        access = row_locked(EmergencyAccess, NotFound(ACCESS_NOT_FOUND), pk=access_id, user_id=acting_user.pk)
        if access.is_open:
            row_save(access, ended_at=timezone.now())
            audit_row(acting_user, "emergency_access.end", access, client_address, emergency_access=access.pk)
    return access


def emergency_access_review(
    *, acting_user: User, access_id: int, note: str, client_address: str | None = None
) -> EmergencyAccess:
    """The hospital's ADMIN marks an access reviewed, with a note (required: what was found)."""
    permission_require(user=acting_user, resource=Resource.EMERGENCY_ACCESS, action=Action.UPDATE)
    with transaction.atomic(using=current_tenant().alias):
        access = row_locked(EmergencyAccess, NotFound(ACCESS_NOT_FOUND), pk=access_id)
        note = text_clean(note, field="note", label="The review note", max_length=500, required=True)
        if access.reviewed_at is not None:
            raise ApplicationError("This emergency access was already reviewed.")
        row_stamp(
            access, acting_user, "reviewed", reviewed_by_username=acting_user.get_username(), review_note=note
        )
        audit_row(acting_user, "emergency_access.review", access, client_address, emergency_access=access.pk)
    return access


def emergency_access_open(*, user: User, patient_id: int) -> EmergencyAccess | None:
    """The user's open access to this patient, if any (for the banner on the patient's pages)."""
    return EmergencyAccess.objects.open().filter(user_id=user.pk, patient_id=patient_id).first()


def may_break_glass(user: User) -> bool:
    return permission_scope(user=user, resource=Resource.EMERGENCY_ACCESS, action=Action.CREATE) is not None


def emergency_audit_detail(acting_user: Any, patient_id: int) -> dict[str, Any]:
    """Marks an audit event as emergency access when the user has one open for the patient.

    Registered with the audit log (hms.audit.services.audit_detail_source_add); costs one
    indexed query, and only for users who may break the glass.
    """
    if not getattr(acting_user, "pk", None) or getattr(acting_user, "role", "") not in _BREAKERS:
        return {}
    access = (
        EmergencyAccess.objects.open()
        .filter(user_id=acting_user.pk, patient_id=patient_id)
        .values_list("pk", "reason")
        .first()
    )
    return {"emergency_access": access[0], "emergency_reason": access[1]} if access is not None else {}


def _breaker_roles() -> frozenset[str]:
    from hms.accounts.permissions import MATRIX

    return frozenset(
        role for role, grants in MATRIX.items() if (Resource.EMERGENCY_ACCESS, Action.CREATE) in grants
    )


_BREAKERS = _breaker_roles()
