"""Vital signs: recording them in an encounter in progress (BMI computed, blood pressure as one
panel), voiding one in error (with what was made from it or with it)."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.alerts.services import Finding, critical_alerts_raise
from hms.audit.records import audit_row
from hms.care.voiding import Voiding
from hms.clinical.ages import age_on
from hms.clinical.growth import bmi_centile
from hms.clinical.profiles import clinical_profile
from hms.core.exceptions import ApplicationError
from hms.core.voiding import mark_voided, void_reason_clean
from hms.encounters import vitals
from hms.encounters.models import Encounter, Observation
from hms.encounters.selectors import NOT_FOUND
from hms.encounters.services.shared import encounter_live_check, live_encounter_lock, row_lock
from hms.patients.clinical import patient_clinical_sex
from hms.patients.models import Patient
from hms.scheduling.wallclock import hospital_zone
from hms.tenancy.context import current_tenant

# A vital sign: its value and the unit it is in. Pages give the value read by their form
# (a Decimal); the vitals module also reads digits in a string ("37,5"), for other callers.
# A coded observation (ACVPU) gives its answer ("A") and no unit.
TypedVital = tuple[Decimal | int | str, str | None]

# A time taken may be this far ahead of the server's clock (a ward clock a little fast) ...
CLOCK_SKEW = datetime.timedelta(minutes=2)
# ... and this far before the encounter began (observations taken at triage, typed later).
BEFORE_ENCOUNTER = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class VitalsQualifiers:
    """What is said about the set besides the values: when it was taken, the blood pressure's
    position, where the temperature was taken, and whether unusual values were confirmed."""

    taken_at: datetime.datetime | None = None
    body_position: str = ""
    temperature_site: str = ""
    confirmed: bool = False


def observation_record_vitals(
    *,
    acting_user: User,
    encounter: Encounter | int,
    values: Mapping[str, TypedVital],
    qualifiers: VitalsQualifiers | None = None,
    client_address: str | None = None,
) -> list[Observation]:
    """Record vital signs, `{loinc_code: (value, unit)}`, taken together in an encounter in progress:
    all or nothing.

    Every unit is explicit (a blank one is refused where the vital has units). Values are
    converted to the stored UCUM unit; an impossible value is refused, an unusual one recorded
    only when `qualifiers.confirmed`; each is flagged (L/H, LL/HH) against the band for the
    patient's age on the day taken and sex for clinical use. Systolic and diastolic pressures
    are the components of one blood pressure panel. BMI is added when a weight or height is
    recorded and the other is known in this encounter (a child's read as a centile). Errors are
    given per code in `details`.
    """
    permission_require(user=acting_user, resource=Resource.OBSERVATION, action=Action.CREATE)
    qualifiers = qualifiers or VitalsQualifiers()
    if not values:
        raise ApplicationError("Enter at least one vital sign.")
    typed: dict[str, TypedVital] = {}
    errors: dict[str, list[str]] = {}
    for code, given in values.items():
        if isinstance(given, str | bytes) or not isinstance(given, Sequence) or len(given) != 2:
            errors[str(code)] = ["Give a value and a unit."]
        else:
            typed[code] = given
    now = timezone.now()
    taken_at = _taken_at(qualifiers.taken_at, now, errors)
    _qualifiers_check(qualifiers, typed, errors)
    if errors:
        raise ApplicationError(vitals.vitals_refused(errors), details=errors)

    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = live_encounter_lock(encounter, acting_user, Resource.OBSERVATION, Action.CREATE)
        if current.status != Encounter.Status.IN_PROGRESS:
            raise ApplicationError(
                "This encounter is finished; vital signs are recorded during an encounter."
            )
        if taken_at < current.started_at - BEFORE_ENCOUNTER:
            raise ApplicationError(
                "Nothing was recorded: the time taken is more than a day before this encounter began.",
                details={"taken_at": ["Give the time the values were measured, in this encounter."]},
            )
        patient = Patient.objects.using(alias).get(pk=current.patient_id)
        subject = _subject(patient, taken_at)
        measurements = _measured(typed, subject, confirmed=qualifiers.confirmed)
        stamp = _Stamp(current, acting_user.pk, now, taken_at, alias)
        created = _saved(measurements, stamp, qualifiers)
        bmi = _bmi_record(stamp, created, patient, subject)
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
            flags={code: o.abnormal_flag for code, o in created.items() if o.abnormal_flag},
        )
        # A critical value goes to the encounter's doctor to acknowledge (hms.alerts).
        critical_alerts_raise(
            acting_user=acting_user,
            clinician_id=current.practitioner_user_id,
            findings=[
                Finding(
                    "Observation",
                    o.pk,
                    o.patient_id,
                    vitals.vital_name(o.loinc_code),
                    o.value,
                    o.unit,
                    o.abnormal_flag,
                )
                for o in created.values()
            ],
            client_address=client_address,
        )
    return list(created.values())


def _taken_at(
    given: datetime.datetime | None, now: datetime.datetime, errors: dict[str, list[str]]
) -> datetime.datetime:
    if given is None:
        return now
    if timezone.is_naive(given):
        errors["taken_at"] = ["Give the time taken with its time zone."]
        return now
    if given > now + CLOCK_SKEW:
        errors["taken_at"] = ["The time taken is in the future; give the time the values were measured."]
    return given


def _qualifiers_check(
    qualifiers: VitalsQualifiers, typed: Mapping[str, TypedVital], errors: dict[str, list[str]]
) -> None:
    position, site = qualifiers.body_position, qualifiers.temperature_site
    if position and position not in Observation.BodyPosition.values:
        errors["body_position"] = [f"The position is one of: {', '.join(Observation.BodyPosition.values)}."]
    elif position and vitals.SYSTOLIC not in typed and vitals.DIASTOLIC not in typed:
        errors["body_position"] = ["The position is that of a blood pressure; enter the blood pressure."]
    if site and site not in Observation.BodySite.values:
        errors["temperature_site"] = [f"The site is one of: {', '.join(Observation.BodySite.values)}."]
    elif site and vitals.TEMPERATURE not in typed:
        errors["temperature_site"] = ["The site is where a temperature was taken; enter the temperature."]


def _subject(patient: Patient, taken_at: datetime.datetime) -> vitals.Subject:
    """The patient as the bands read them on the day (in the hospital's time zone) the values were taken."""
    day = timezone.localtime(taken_at, hospital_zone()).date()
    if day < patient.birth_date:
        raise ApplicationError(
            "Nothing was recorded: the time taken is before the patient's birth date.",
            details={"taken_at": ["Check the time taken, or the patient's birth date."]},
        )
    return vitals.Subject(age_on(patient.birth_date, day), patient_clinical_sex(patient))


def _measured(
    typed: Mapping[str, TypedVital], subject: vitals.Subject, *, confirmed: bool
) -> dict[str, vitals.Measurement]:
    measurements: dict[str, vitals.Measurement] = {}
    errors: dict[str, list[str]] = {}
    unconfirmed = False
    for code, (value, unit) in typed.items():
        try:
            measurements[code] = vitals.vital_measure(code, value, unit, subject=subject, confirmed=confirmed)
        except vitals.VitalError as exc:
            errors[str(code)] = [str(exc)]
            unconfirmed = unconfirmed or isinstance(exc, vitals.VitalUnconfirmed)
    systolic, diastolic = (
        measurements[c].value if c in measurements else None for c in (vitals.SYSTOLIC, vitals.DIASTOLIC)
    )
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        errors[vitals.DIASTOLIC] = [
            f"Diastolic pressure ({diastolic} mmHg) must be lower than systolic ({systolic} mmHg)."
        ]
    _gcs_total(measurements, errors)
    if errors:
        if unconfirmed:
            errors["confirm"] = ["Some values are very unusual: check them, then confirm them."]
        raise ApplicationError(
            vitals.vitals_refused(code for code in errors if code != "confirm"), details=errors
        )
    return measurements


def _gcs_total(measurements: dict[str, vitals.Measurement], errors: dict[str, list[str]]) -> None:
    """With the three GCS components, their total: added where it was not typed, refused where a
    typed total differs from it. Components without all three leave the total as typed."""
    parts = [measurements.get(code) for code in vitals.GCS_COMPONENTS]
    if any(part is None or part.value is None for part in parts):
        return
    total = sum((part.number for part in parts if part is not None), Decimal(0))
    typed = measurements.get(vitals.GCS_TOTAL)
    if typed is None:
        measurements[vitals.GCS_TOTAL] = vitals.Measurement(
            vitals.VITALS[vitals.GCS_TOTAL], total, None, "", ""
        )
    elif typed.value != total:
        errors[vitals.GCS_TOTAL] = [f"The total of eye, verbal and motor is {total}, not {typed.value}."]


@dataclass(frozen=True)
class _Stamp:
    """Who recorded a set of observations, in which encounter, when typed and when taken."""

    encounter: Encounter
    user_id: int
    recorded_at: datetime.datetime
    taken_at: datetime.datetime
    alias: str


def observation_of(
    encounter: Encounter,
    measurement: vitals.Measurement,
    *,
    recorded_by_id: int,
    recorded_at: datetime.datetime,
    effective_at: datetime.datetime | None = None,
) -> Observation:
    """A measured vital sign as a row of `encounter` (not saved): the value in the vital's unit,
    what was typed, and its flag; taken when recorded unless `effective_at` says otherwise."""
    return Observation(
        encounter=encounter,
        patient_id=encounter.patient_id,
        loinc_code=measurement.vital.code,
        value=measurement.value,
        value_code=measurement.value_code,
        unit=measurement.vital.unit,
        entered_value=measurement.entered_value,
        entered_unit=measurement.entered_unit,
        abnormal_flag=measurement.flag,
        centile=measurement.centile,
        effective_at=effective_at or recorded_at,
        recorded_at=recorded_at,
        recorded_by_id=recorded_by_id,
    )


def _saved(
    measurements: Mapping[str, vitals.Measurement], stamp: _Stamp, qualifiers: VitalsQualifiers
) -> dict[str, Observation]:
    created: dict[str, Observation] = {}
    pressures = [code for code in (vitals.SYSTOLIC, vitals.DIASTOLIC) if code in measurements]
    panel = None
    if pressures:
        panel = observation_of(
            stamp.encounter,
            vitals.Measurement(vitals.BP_PANEL_VITAL, None, None, "", ""),
            recorded_by_id=stamp.user_id,
            recorded_at=stamp.recorded_at,
            effective_at=stamp.taken_at,
        )
        panel.body_position = qualifiers.body_position
        panel.save(using=stamp.alias)
        created[vitals.BP_PANEL] = panel
    for code, measurement in measurements.items():
        row = _row(stamp, measurement)
        if code in pressures:
            row.panel = panel
        if code == vitals.TEMPERATURE:
            row.body_site = qualifiers.temperature_site
        row.save(using=stamp.alias)
        created[code] = row
    total = measurements.get(vitals.GCS_TOTAL)
    if total is not None and total.entered_value is None:  # computed from its three components
        created[vitals.GCS_TOTAL].derived_from.set([created[code] for code in vitals.GCS_COMPONENTS])
    return created


def _row(stamp: _Stamp, measurement: vitals.Measurement) -> Observation:
    return observation_of(
        stamp.encounter,
        measurement,
        recorded_by_id=stamp.user_id,
        recorded_at=stamp.recorded_at,
        effective_at=stamp.taken_at,
    )


def bmi_for_age(
    measurement: vitals.Measurement, patient: Patient, subject: vitals.Subject
) -> vitals.Measurement:
    """A BMI read for the patient's age: no flag under 2 years, a child's (2-17) against the
    hospital's growth charts as a centile, an adult's against the adult cut-offs (as measured)."""
    value = measurement.value
    if value is None or subject.age.years >= 18:
        return measurement
    if subject.age.years < 2:
        return vitals.Measurement(measurement.vital, value, None, "", "")
    on = patient.birth_date + datetime.timedelta(days=subject.age.days)
    reading = bmi_centile(
        bmi=value,
        sex=subject.sex,
        birth_date=patient.birth_date,
        on=on,
        reference=clinical_profile().growth_reference,
        age_years=subject.age.years,
    )
    centile = None if reading.centile is None else Decimal(str(reading.centile))
    flag = reading.flag if reading.flag in ("L", "H") else ""
    return vitals.Measurement(measurement.vital, value, None, "", flag, centile=centile)


def _bmi_record(
    stamp: _Stamp, created: Mapping[str, Observation], patient: Patient, subject: vitals.Subject
) -> Observation | None:
    if vitals.WEIGHT not in created and vitals.HEIGHT not in created:
        return None
    weight = created.get(vitals.WEIGHT) or _latest(stamp.encounter, vitals.WEIGHT)
    height = created.get(vitals.HEIGHT) or _latest(stamp.encounter, vitals.HEIGHT)
    if weight is None or height is None or weight.value is None or height.value is None:
        return None
    try:
        measurement = vitals.bmi_measure(weight_kg=Decimal(weight.value), height_cm=Decimal(height.value))
    except vitals.VitalError as exc:
        raise ApplicationError(
            "Nothing was recorded; the weight and the height cannot both be right.",
            details={vitals.BMI: [str(exc)]},
        ) from exc
    bmi = _row(stamp, bmi_for_age(measurement, patient, subject))
    bmi.save(using=stamp.alias)
    bmi.derived_from.set([weight, height])
    return bmi


def _latest(encounter: Encounter, code: str) -> Observation | None:
    return (
        Observation.objects.live()
        .filter(encounter=encounter, loinc_code=code)
        .order_by("-effective_at", "-recorded_at", "-id")
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
    """Void a vital sign entered in error, with what goes with it: a blood pressure is one panel
    (voiding the panel, its systolic or its diastolic voids all three: no pressure is left alone),
    and a BMI computed from a voided weight or height is voided too."""
    reason = void_reason_clean(reason)
    with transaction.atomic(using=current_tenant().alias):
        current = row_lock(Observation, observation, acting_user, Resource.OBSERVATION, Action.VOID)
        asked = current.pk
        if current.panel_id is not None:  # a pressure: the panel is what is voided
            current = row_lock(Observation, current.panel_id, acting_user, Resource.OBSERVATION, Action.VOID)
        parts = list(current.components.live())
        derived = list(
            Observation.objects.live().filter(derived_from__in=[current, *parts]).distinct().order_by("id")
        )
        current = OBSERVATION_VOIDING.void(
            current,
            acting_user,
            reason,
            client_address,
            check=encounter_live_check,
            detail={
                "observation_ids": [current.pk, *(row.pk for row in [*parts, *derived])],
                "encounter_id": current.encounter_id,
            },
        )
        for row in parts:
            mark_voided(
                row, user_id=acting_user.pk, reason=f"Part of observation {current.pk}, voided: {reason}"
            )
        for row in derived:
            mark_voided(
                row,
                user_id=acting_user.pk,
                reason=f"Computed from observation {current.pk}, voided: {reason}",
            )
    return current if current.pk == asked else Observation.objects.get(pk=asked)
