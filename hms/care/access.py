"""Record-level access: resolves the permission matrix's scopes against a patient.

Role-level refusals (a receptionist asking for notes) raise NotAllowed (403).
Record-level ones (a doctor asking for a patient not in their care, a patient for
someone else's record) raise NotFound, exactly as a patient who does not exist.

What puts a patient in a doctor's care is registered by the apps that know it
(`care_source_add`, from their AppConfig.ready): an appointment that was not
cancelled (scheduling), an encounter that was not voided (encounters). With no
source registered nobody is in anybody's care: the check fails closed.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.core.exceptions import NotAllowed, NotFound
from hms.core.ids import record_id
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

PATIENT_NOT_FOUND = "No such patient here."
RECORD_NOT_FOUND = "No such record here."

# user id -> the rows (each with a patient_id) that put patients in that user's care.
CareSource = Callable[[int], QuerySet[Any]]
_care_sources: dict[str, CareSource] = {}

Row = TypeVar("Row", bound=models.Model)


def care_source_add(name: str, source: CareSource) -> None:
    """Register what puts a patient in a user's care (once per app, at start-up)."""
    _care_sources[name] = source


def patient_in_care(*, user: User, patient_id: int) -> bool:
    """Whether any registered source puts the patient in `user`'s care."""
    return any(source(user.pk).filter(patient_id=patient_id).exists() for source in _care_sources.values())


def _in_care_ids(user: User) -> Q:
    in_care = Q(pk__in=[])
    for source in _care_sources.values():
        in_care |= Q(pk__in=source(user.pk).values("patient_id"))
    return in_care


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
    return Q(**{f"{id_field}__in": Patient.objects.filter(_in_care_ids(user)).values("pk")})


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


def record_pk(ref: object, *, model: type[models.Model], missing: str = RECORD_NOT_FOUND) -> int:
    """The primary key `ref` names (a row of this hospital, an int, a digit string); NotFound if none."""
    if isinstance(ref, models.Model):
        if not isinstance(ref, model) or ref.pk is None:
            raise NotFound(missing)
        if ref._state.db not in (None, current_tenant().alias):  # loaded from another hospital
            raise NotFound(missing)
        return int(ref.pk)
    pk = record_id(ref)
    if pk is None:
        raise NotFound(missing)
    return pk


def record_access(
    model: type[Row],
    ref: object,
    *,
    user: User,
    resource: Resource,
    action: Action,
    for_update: bool = False,
    missing: str = RECORD_NOT_FOUND,
) -> Row:
    """The row of `model` that `ref` names, if `user` may do `action` to its patient's `resource`.

    NotAllowed if the role may not do it at all; NotFound (with `missing`) if the row is
    missing or its patient is out of the user's scope. The row's `patient` is filled
    in. With `for_update` the row is locked until the caller's transaction ends.
    """
    permission_require(user=user, resource=resource, action=action)
    pk = record_pk(ref, model=model, missing=missing)
    queryset = model._default_manager.all()
    if for_update:
        queryset = queryset.select_for_update()
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise NotFound(missing)
    try:
        patient = patient_access(user=user, patient_id=row.patient_id, resource=resource, action=action)  # type: ignore[attr-defined]
    except NotFound:
        raise NotFound(missing) from None
    row.patient = patient  # type: ignore[attr-defined]
    return row


def record_lock(
    model: type[Row],
    ref: object,
    user: User,
    resource: Resource,
    action: Action,
    missing: str = RECORD_NOT_FOUND,
    /,
) -> Row:
    """record_access for a write: the row, locked until the caller's transaction ends."""
    return record_access(
        model, ref, user=user, resource=resource, action=action, for_update=True, missing=missing
    )


def author_require(row: models.Model, *, user: User, resource: Resource, action: Action) -> None:
    """With CARE scope, only the row's author voids or finishes it (ADR 0011).

    The model names its author's field in `AUTHOR_FIELD` (a shared user id). A role with
    ALL scope for the action (a nurse voiding a mistyped vital sign) may act on anyone's row.
    """
    field = getattr(type(row), "AUTHOR_FIELD", None)
    if field is None:
        return
    if permission_scope(user=user, resource=resource, action=action) != Scope.CARE:
        return
    if getattr(row, field) != user.pk:
        what = resource.replace("_", " ")
        raise NotAllowed(
            f"Only the clinician who recorded this {what} may {action} it.",
            resource=resource,
            action=action,
            patient_id=getattr(row, "patient_id", None),
        )
