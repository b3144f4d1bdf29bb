"""Record-level access: resolves the permission matrix's scopes against a patient.

Role-level refusals (a receptionist asking for notes) raise NotAllowed (403).
Record-level ones (a doctor asking for a patient not in their care, a patient for
someone else's record) raise NotFound, exactly as a patient who does not exist.
"""

from django.db.models import Q

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.core.exceptions import NotFound
from hms.core.ids import record_id
from hms.encounters.models import Encounter
from hms.patients.models import Patient
from hms.scheduling.models import Appointment

PATIENT_NOT_FOUND = "No such patient here."


def patient_in_care(*, user: User, patient_id: int) -> bool:
    """Whether the patient has an appointment (not cancelled) or an encounter (not voided) with `user`."""
    if Encounter.objects.filter(
        patient_id=patient_id, practitioner_user_id=user.pk, voided_at__isnull=True
    ).exists():
        return True
    return (
        Appointment.objects.filter(patient_id=patient_id, practitioner_user_id=user.pk)
        .exclude(status=Appointment.Status.CANCELLED)
        .exists()
    )


def patient_scope_filter(*, user: User, resource: Resource, action: Action, field: str = "patient") -> Q:
    """A filter limiting a queryset to the patients `user` may do `action` to `resource` for.

    `field` is the path from the queried model to its patient ("patient" on most
    models, "encounter__patient" on rows that hang off an encounter, "pk" on Patient).
    Raises NotAllowed if the role may not do it at all.
    """
    scope = permission_require(user=user, resource=resource, action=action)
    if scope == Scope.ALL:
        return Q()
    id_field = "pk" if field == "pk" else f"{field}_id" if "__" not in field else f"{field}__id"
    if scope == Scope.OWN:
        own = Patient.objects.filter(user_id=user.pk).values("pk")
        return Q(**{f"{id_field}__in": own})
    in_care = Q(
        pk__in=Encounter.objects.filter(practitioner_user_id=user.pk, voided_at__isnull=True).values(
            "patient_id"
        )
    ) | Q(
        pk__in=Appointment.objects.filter(practitioner_user_id=user.pk)
        .exclude(status=Appointment.Status.CANCELLED)
        .values("patient_id")
    )
    return Q(**{f"{id_field}__in": Patient.objects.filter(in_care).values("pk")})


def patient_access(*, user: User, patient_id: object, resource: Resource, action: Action) -> Patient:
    """The patient, if `user` may do `action` to their `resource`; NotFound if missing or out of scope.

    Raises NotAllowed if the role may not do it to anyone.
    """
    scope = permission_require(user=user, resource=resource, action=action)
    wanted = record_id(patient_id)
    patient = Patient.objects.filter(pk=wanted).first() if wanted is not None else None
    if patient is None:
        raise NotFound(PATIENT_NOT_FOUND)
    out_of_scope = (scope == Scope.OWN and patient.user_id != user.pk) or (
        scope == Scope.CARE and not patient_in_care(user=user, patient_id=patient.pk)
    )
    if out_of_scope:
        # The same words as a missing patient; the audit log alone learns who it was.
        raise NotFound(PATIENT_NOT_FOUND, resource=resource, action=action, patient_id=patient.pk)
    return patient
