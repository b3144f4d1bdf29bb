"""Care assignments: reception (or a nurse, or the ADMIN) sends a walk-in to a named clinician."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.models import CareAssignment
from hms.care.rows import row_stamp
from hms.core.exceptions import NotFound
from hms.core.locking import row_locked
from hms.core.text import text_clean
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

CLINICIAN_NOT_FOUND = "No such clinician here."
ASSIGNMENT_NOT_FOUND = "No such care assignment here."
# Roles whose clinical rights are CARE scope: the ones a walk-in is sent to.
CLINICIAN_ROLES = (Role.DOCTOR,)


def clinicians_here() -> list[User]:
    """The hospital's active clinicians a walk-in can be sent to, by name."""
    return list(
        User.objects.filter(
            hospital__code=current_tenant().code, role__in=CLINICIAN_ROLES, is_active=True
        ).order_by("last_name", "first_name", "username")
    )


def care_assign(
    *,
    acting_user: User,
    patient_id: int,
    clinician_user_id: int,
    reason: str,
    client_address: str | None = None,
) -> CareAssignment:
    """Put the patient in the clinician's care until ended or HMS_CARE_ASSIGNMENT_HOURS pass."""
    permission_require(user=acting_user, resource=Resource.CARE_ASSIGNMENT, action=Action.CREATE)
    reason = text_clean(reason, field="reason", label="The reason", max_length=255, required=True)
    # Another hospital's clinician and no clinician at all answer alike.
    clinician = User.objects.filter(
        pk=clinician_user_id, hospital__code=current_tenant().code, role__in=CLINICIAN_ROLES, is_active=True
    ).first()
    if clinician is None:
        raise NotFound(CLINICIAN_NOT_FOUND)
    with transaction.atomic(using=current_tenant().alias):
        patient = Patient.objects.filter(pk=patient_id).first()
        if patient is None:
            raise NotFound("No such patient here.")
        now = timezone.now()
        assignment = CareAssignment.objects.create(
            patient=patient,
            clinician_user_id=clinician.pk,
            assigned_by_id=acting_user.pk,
            reason=reason,
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.HMS_CARE_ASSIGNMENT_HOURS),
        )
        audit_row(
            acting_user,
            "care_assignment.create",
            assignment,
            client_address,
            care_assignment=assignment.pk,
            clinician_user_id=clinician.pk,
            reason=reason,
        )
    return assignment


def care_assignment_end(
    *, acting_user: User, assignment_id: int, client_address: str | None = None
) -> CareAssignment:
    permission_require(user=acting_user, resource=Resource.CARE_ASSIGNMENT, action=Action.UPDATE)
    with transaction.atomic(using=current_tenant().alias):
        assignment = row_locked(CareAssignment, NotFound(ASSIGNMENT_NOT_FOUND), pk=assignment_id)
        if assignment.ended_at is None:
            row_stamp(assignment, acting_user, "ended")
            audit_row(
                acting_user, "care_assignment.end", assignment, client_address, care_assignment=assignment.pk
            )
    return assignment
