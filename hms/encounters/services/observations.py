"""Vital signs: recording them in an encounter in progress (BMI computed), voiding one in error."""

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError
from hms.core.voiding import mark_voided, void_reason_clean
from hms.encounters import vitals
from hms.encounters.models import Encounter, Observation
from hms.encounters.selectors import NOT_FOUND
from hms.encounters.services.shared import encounter_live_check, live_encounter_lock, row_lock
from hms.tenancy.context import current_tenant

# A vital sign: its value and the unit it is in. Pages give the value read by their form
# (a Decimal); the vitals module also reads digits in a string ("37,5"), for other callers.
TypedVital = tuple[Decimal | int | str, str | None]


def observation_record_vitals(
    *,
    acting_user: User,
    encounter: Encounter | int,
    values: Mapping[str, TypedVital],
    client_address: str | None = None,
) -> list[Observation]:
    """Record vital signs, `{loinc_code: (value, unit)}`, in an encounter in progress: all or nothing.

    Values are converted to the stored UCUM unit and refused outside the plausibility
    limits; each is flagged H/L against its normal range. BMI is added when a weight
    or height is recorded and the other is known in this encounter. Errors are given
    per code in `details`.
    """
    permission_require(user=acting_user, resource=Resource.OBSERVATION, action=Action.CREATE)
    if not values:
        raise ApplicationError("Enter at least one vital sign.")
    measurements: dict[str, vitals.Measurement] = {}
    errors: dict[str, list[str]] = {}
    for code, given in values.items():
        if isinstance(given, str | bytes) or not isinstance(given, Sequence) or len(given) != 2:
            errors[str(code)] = ["Give a value and a unit."]
            continue
        value, unit = given
        try:
            measurements[code] = vitals.vital_measure(code, value, unit)
        except vitals.VitalError as exc:
            errors[str(code)] = [str(exc)]
    systolic, diastolic = measurements.get(vitals.SYSTOLIC), measurements.get(vitals.DIASTOLIC)
    if systolic and diastolic and diastolic.value >= systolic.value:
        errors[vitals.DIASTOLIC] = [
            f"Diastolic pressure ({diastolic.value} mmHg) must be lower than "
            f"systolic ({systolic.value} mmHg)."
        ]
    if errors:
        raise ApplicationError(vitals.vitals_refused(errors), details=errors)

    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = live_encounter_lock(encounter, acting_user, Resource.OBSERVATION, Action.CREATE)
        if current.status != Encounter.Status.IN_PROGRESS:
            raise ApplicationError(
                "This encounter is finished; vital signs are recorded during an encounter."
            )
        now = timezone.now()
        created: dict[str, Observation] = {}
        for code, measurement in measurements.items():
            created[code] = _observation_save(current, measurement, acting_user, now, alias)
        bmi = _bmi_record(current, created, acting_user, now, alias)
        if bmi is not None:
            created[vitals.BMI] = bmi
        audit_row(
            acting_user,
            "observation.record",
            current,
            client_address,
            resource="Observation",
            encounter_id=current.pk,
            observation_ids=[o.pk for o in created.values()],
            codes=list(created),
        )
    return list(created.values())


def observation_of(
    encounter: Encounter,
    measurement: vitals.Measurement,
    *,
    recorded_by_id: int,
    recorded_at: datetime.datetime,
) -> Observation:
    """A measured vital sign as a row of `encounter` (not saved): the value in the vital's unit,
    what was typed, and its flag."""
    return Observation(
        encounter=encounter,
        patient_id=encounter.patient_id,
        loinc_code=measurement.vital.code,
        value=measurement.value,
        unit=measurement.vital.unit,
        entered_value=measurement.entered_value,
        entered_unit=measurement.entered_unit,
        abnormal_flag=measurement.flag,
        recorded_at=recorded_at,
        recorded_by_id=recorded_by_id,
    )


def _observation_save(
    encounter: Encounter, measurement: vitals.Measurement, user: User, now: datetime.datetime, alias: str
) -> Observation:
    observation = observation_of(encounter, measurement, recorded_by_id=user.pk, recorded_at=now)
    observation.save(using=alias)
    return observation


def _bmi_record(
    encounter: Encounter, created: Mapping[str, Observation], user: User, now: datetime.datetime, alias: str
) -> Observation | None:
    if vitals.WEIGHT not in created and vitals.HEIGHT not in created:
        return None
    weight = created.get(vitals.WEIGHT) or _latest(encounter, vitals.WEIGHT)
    height = created.get(vitals.HEIGHT) or _latest(encounter, vitals.HEIGHT)
    if weight is None or height is None:
        return None
    try:
        measurement = vitals.bmi_measure(weight_kg=Decimal(weight.value), height_cm=Decimal(height.value))
    except vitals.VitalError as exc:
        raise ApplicationError(
            "Nothing was recorded; the weight and the height cannot both be right.",
            details={vitals.BMI: [str(exc)]},
        ) from exc
    bmi = _observation_save(encounter, measurement, user, now, alias)
    bmi.derived_from.set([weight, height])
    return bmi


def _latest(encounter: Encounter, code: str) -> Observation | None:
    return (
        Observation.objects.live()
        .filter(encounter=encounter, loinc_code=code)
        .order_by("-recorded_at", "-id")
        .first()
    )


OBSERVATION_VOIDING = Voiding(
    Observation,
    Resource.OBSERVATION,
    missing=NOT_FOUND[Observation],
    already="This observation is already voided.",
)


def observation_void(
    *, acting_user: User, observation: Observation | int, reason: str, client_address: str | None = None
) -> Observation:
    """Void a vital sign entered in error; a BMI computed from it is voided with it."""
    reason = void_reason_clean(reason)
    with transaction.atomic(using=current_tenant().alias):
        current = row_lock(Observation, observation, acting_user, Resource.OBSERVATION, Action.VOID)
        derived = list(current.derivations.live())
        current = OBSERVATION_VOIDING.void(
            current,
            acting_user,
            reason,
            client_address,
            check=encounter_live_check,
            detail={
                "observation_ids": [current.pk, *(row.pk for row in derived)],
                "encounter_id": current.encounter_id,
            },
        )
        for row in derived:
            mark_voided(
                row,
                user_id=acting_user.pk,
                reason=f"Computed from observation {current.pk}, voided: {reason}",
            )
    return current
