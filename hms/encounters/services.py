"""Writes of encounters and what is recorded in them; each checks the matrix and is audited.

Input is checked before the transaction (so a slow check never holds the hospital's
write lock); the record-level check, the state checks and the write happen in one
transaction with the audit row. Nothing is deleted: rows are voided with a reason.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.services import audit_record
from hms.care.access import patient_access
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters import icd10, vitals
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, NoteAmendment, Observation
from hms.encounters.selectors import encounter_access, record_access, record_pk
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.tenancy.context import current_tenant

REASON_MAX = 255
NOTE_SECTIONS = ("subjective", "objective", "assessment", "plan")
NOTE_SECTION_MAX = 50_000
ICD10_SUGGESTIONS_SHOWN = 8
STARTABLE_APPOINTMENT = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED)


# Encounters


def encounter_start(
    *,
    acting_user: User,
    patient: Patient | int | str,
    appointment: Appointment | int | str | None = None,
    reason: str = "",
    client_address: str | None = None,
) -> Encounter:
    """Start an encounter of `acting_user` (a doctor) with `patient`, now.

    From an appointment: it must be this doctor's, for this patient, booked or arrived;
    it becomes in consultation in the same transaction. Without one it is a walk-in,
    which brings the patient into the doctor's care. A doctor has at most one encounter
    in progress with a patient.
    """
    permission_require(user=acting_user, resource=Resource.ENCOUNTER, action=Action.CREATE)
    if appointment is not None:
        permission_require(user=acting_user, resource=Resource.APPOINTMENT, action=Action.UPDATE)
    _refuse_control_characters(reason=reason)
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise ApplicationError(
            f"The reason for the visit is too long ({len(reason)} characters; at most {REASON_MAX}).",
            details={"reason": [f"At most {REASON_MAX} characters."]},
        )
    alias = current_tenant().alias
    patient_pk = record_pk(patient, model=Patient) if isinstance(patient, Patient) else patient
    try:
        with transaction.atomic(using=alias):
            found = patient_access(
                user=acting_user, patient_id=patient_pk, resource=Resource.ENCOUNTER, action=Action.CREATE
            )
            booked = (
                _appointment_for_start(acting_user, found, appointment) if appointment is not None else None
            )
            open_one = Encounter.objects.filter(
                patient=found,
                practitioner_user_id=acting_user.pk,
                status=Encounter.Status.IN_PROGRESS,
                voided_at__isnull=True,
            ).first()
            if open_one is not None:
                raise ApplicationError(
                    "You already have an encounter in progress with this patient; continue or finish it.",
                    details={"encounter_id": open_one.pk},
                )
            if not reason and booked is not None:
                reason = booked.reason
            encounter = Encounter(
                patient=found,
                practitioner_user_id=acting_user.pk,
                appointment=booked,
                started_at=timezone.now(),
                reason=reason,
            )
            encounter.full_clean(validate_unique=False, validate_constraints=False)
            encounter.save(using=alias)
            detail = {"encounter_id": encounter.pk, "appointment_id": booked.pk if booked else None}
            if booked is not None:
                detail["appointment_status"] = [booked.status, Appointment.Status.IN_CONSULTATION]
                _appointment_status_move(
                    booked.pk, STARTABLE_APPOINTMENT, Appointment.Status.IN_CONSULTATION, acting_user
                )
                booked.status = Appointment.Status.IN_CONSULTATION
            audit_record(
                acting_user=acting_user,
                action="encounter.start",
                resource="Encounter",
                patient_id=found.pk,
                client_address=client_address,
                detail=detail,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "This encounter was started by someone else at the same moment; open the patient's encounters."
        ) from exc
    return encounter


def _appointment_for_start(acting_user: User, patient: Patient, ref: object) -> Appointment:
    try:
        pk = record_pk(ref, model=Appointment)  # an Appointment of another hospital is no appointment here
    except NotFound:
        pk = None
    booked = Appointment.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
    problem = None
    if booked is None:
        problem = "There is no such appointment here."
    elif booked.practitioner_user_id != acting_user.pk:
        problem = "This appointment is with another doctor; only that doctor can start its encounter."
    elif booked.patient_id != patient.pk:
        problem = "This appointment is for another patient."
    elif booked.status not in STARTABLE_APPOINTMENT:
        problem = (
            f"This appointment is {booked.get_status_display().lower()}; an encounter can only be "
            "started from a booked or arrived appointment."
        )
    elif Encounter.objects.filter(appointment=booked).exists():
        problem = "An encounter was already started from this appointment."
    if problem:
        raise ApplicationError(problem, details={"appointment": [problem]})
    return booked


def _appointment_status_move(pk: int, from_statuses: tuple[str, ...], to: str, user: User) -> bool:
    """Move an appointment's status in the caller's transaction; False if it was not in `from_statuses`.

    Written here directly rather than through the scheduling services (built alongside
    this app) so an appointment and its encounter change in one transaction; keep this
    in step with those services. Who changed it and when are recorded where the
    appointment model has those fields.
    """
    now = timezone.now()
    changes: dict[str, object] = {"status": to, "updated_at": now}
    fields = {field.name for field in Appointment._meta.concrete_fields}
    if "status_changed_at" in fields:
        changes["status_changed_at"] = now
    if "status_changed_by_id" in fields:
        changes["status_changed_by_id"] = user.pk
    return bool(Appointment.objects.filter(pk=pk, status__in=from_statuses).update(**changes))


def encounter_finish(
    *, acting_user: User, encounter: Encounter | int | str, client_address: str | None = None
) -> Encounter:
    """End an encounter in progress now; its appointment (if in consultation) becomes completed."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = encounter_access(
            user=acting_user,
            encounter=encounter,
            resource=Resource.ENCOUNTER,
            action=Action.UPDATE,
            for_update=True,
        )
        _require_live(current)
        if current.status != Encounter.Status.IN_PROGRESS:
            raise ApplicationError("This encounter is already finished.")
        current.status = Encounter.Status.FINISHED
        current.ended_at = max(timezone.now(), current.started_at)
        current.save(update_fields=["status", "ended_at", "updated_at"])
        detail = {"encounter_id": current.pk, "appointment_id": current.appointment_id}
        if current.appointment_id is not None:
            changed = _appointment_status_move(
                current.appointment_id,
                (Appointment.Status.IN_CONSULTATION,),
                Appointment.Status.COMPLETED,
                acting_user,
            )
            if changed:
                detail["appointment_status"] = [
                    Appointment.Status.IN_CONSULTATION,
                    Appointment.Status.COMPLETED,
                ]
        audit_record(
            acting_user=acting_user,
            action="encounter.finish",
            resource="Encounter",
            patient_id=current.patient_id,
            client_address=client_address,
            detail=detail,
        )
    return current


def encounter_void(
    *, acting_user: User, encounter: Encounter | int | str, reason: str, client_address: str | None = None
) -> Encounter:
    """Void an encounter entered in error (wrong patient, started twice); what is recorded in it stays.

    An appointment it was started from is released: it goes back to arrived if it was in
    consultation, and can start a new encounter; its id is kept on the voided encounter.
    """
    reason = _void_reason(reason)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = encounter_access(
            user=acting_user,
            encounter=encounter,
            resource=Resource.ENCOUNTER,
            action=Action.VOID,
            for_update=True,
        )
        _require_live(current, what="This encounter is already voided.")
        appointment_id = current.appointment_id
        current.voided_at = timezone.now()
        current.voided_by_id = acting_user.pk
        current.void_reason = reason
        current.voided_appointment_id = appointment_id
        current.appointment = None
        current.save(
            update_fields=[
                "voided_at",
                "voided_by_id",
                "void_reason",
                "voided_appointment_id",
                "appointment",
                "updated_at",
            ]
        )
        detail = {"encounter_id": current.pk, "reason": reason, "appointment_id": appointment_id}
        if appointment_id is not None:
            changed = _appointment_status_move(
                appointment_id, (Appointment.Status.IN_CONSULTATION,), Appointment.Status.ARRIVED, acting_user
            )
            if changed:
                detail["appointment_status"] = [
                    Appointment.Status.IN_CONSULTATION,
                    Appointment.Status.ARRIVED,
                ]
        audit_record(
            acting_user=acting_user,
            action="encounter.void",
            resource="Encounter",
            patient_id=current.patient_id,
            client_address=client_address,
            detail=detail,
        )
    return current


# Vital signs


def observation_record_vitals(
    *,
    acting_user: User,
    encounter: Encounter | int | str,
    values: Mapping[str, tuple[object, str | None]],
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
        raise ApplicationError(_vitals_refused(errors), details=errors)

    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = encounter_access(
            user=acting_user,
            encounter=encounter,
            resource=Resource.OBSERVATION,
            action=Action.CREATE,
            for_update=True,
        )
        _require_live(current)
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
        audit_record(
            acting_user=acting_user,
            action="observation.record",
            resource="Observation",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={
                "encounter_id": current.pk,
                "observation_ids": [o.pk for o in created.values()],
                "codes": list(created),
            },
        )
    return list(created.values())


def _vitals_refused(errors: Mapping[str, list[str]]) -> str:
    named = [vitals.VITALS[code].display if code in vitals.VITALS else code for code in errors]
    return f"Nothing was recorded; check {', '.join(named)}."


def _observation_save(
    encounter: Encounter, measurement: vitals.Measurement, user: User, now, alias: str
) -> Observation:
    observation = Observation(
        encounter=encounter,
        patient_id=encounter.patient_id,
        loinc_code=measurement.vital.code,
        value=measurement.value,
        unit=measurement.vital.unit,
        entered_value=measurement.entered_value,
        entered_unit=measurement.entered_unit,
        abnormal_flag=measurement.flag,
        recorded_at=now,
        recorded_by_id=user.pk,
    )
    observation.save(using=alias)
    return observation


def _bmi_record(
    encounter: Encounter, created: Mapping[str, Observation], user: User, now, alias: str
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
        Observation.objects.filter(encounter=encounter, loinc_code=code, voided_at__isnull=True)
        .order_by("-recorded_at", "-id")
        .first()
    )


def observation_void(
    *, acting_user: User, observation: Observation | int | str, reason: str, client_address: str | None = None
) -> Observation:
    """Void a vital sign entered in error; a BMI computed from it is voided with it."""
    reason = _void_reason(reason)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = record_access(
            Observation,
            observation,
            user=acting_user,
            resource=Resource.OBSERVATION,
            action=Action.VOID,
            for_update=True,
        )
        _require_live(current, what="This observation is already voided.")
        now = timezone.now()
        voided = [current, *current.derivations.filter(voided_at__isnull=True)]
        for row in voided:
            row.voided_at, row.voided_by_id = now, acting_user.pk
            row.void_reason = (
                reason if row is current else f"Computed from observation {current.pk}, voided: {reason}"
            )
            row.save(update_fields=["voided_at", "voided_by_id", "void_reason", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="observation.void",
            resource="Observation",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={
                "observation_ids": [row.pk for row in voided],
                "encounter_id": current.encounter_id,
                "reason": reason,
            },
        )
    return current


# Diagnoses


def diagnosis_add(
    *,
    acting_user: User,
    encounter: Encounter | int | str,
    icd10_code: str,
    kind: str = Diagnosis.Kind.SECONDARY,
    certainty: str = Diagnosis.Certainty.CONFIRMED,
    client_address: str | None = None,
) -> Diagnosis:
    """Add an ICD-10-CM coded diagnosis to an encounter (a doctor with the patient in care).

    Only billable codes: a category (E11) is refused with its billable codes suggested.
    The description is copied from the code set as it is today. One primary diagnosis
    per encounter, and a code once per encounter.
    """
    permission_require(user=acting_user, resource=Resource.DIAGNOSIS, action=Action.CREATE)
    errors: dict[str, list[str]] = {}
    if kind not in Diagnosis.Kind.values:
        errors["kind"] = [f"Choose {' or '.join(Diagnosis.Kind.values)}."]
    if certainty not in Diagnosis.Certainty.values:
        errors["certainty"] = [f"Choose {' or '.join(Diagnosis.Certainty.values)}."]
    entry = icd10.icd10_lookup(icd10_code) if icd10_code and icd10_code.strip() else None
    suggestions: list[icd10.Icd10Code] = []
    if not (icd10_code or "").strip():
        errors["icd10_code"] = ["Enter an ICD-10-CM code; search by words or code to find it."]
    elif entry is None:
        errors["icd10_code"] = [
            f"{icd10_code.strip()} is not an ICD-10-CM code; search by words or by the start of the code."
        ]
    elif not entry.billable:
        suggestions = icd10.icd10_billable_under(entry.code)
        errors["icd10_code"] = [_category_refused(entry, suggestions)]
    if errors:
        message = errors["icd10_code"][0] if "icd10_code" in errors else "The diagnosis is not valid."
        details: dict[str, list[str]] = dict(errors)
        if suggestions:
            details["suggestions"] = [s.code for s in suggestions]
        raise ApplicationError(message, details=details)

    alias = current_tenant().alias
    try:
        with transaction.atomic(using=alias):
            current = encounter_access(
                user=acting_user,
                encounter=encounter,
                resource=Resource.DIAGNOSIS,
                action=Action.CREATE,
                for_update=True,
            )
            _require_live(current)
            live = Diagnosis.objects.filter(encounter=current, voided_at__isnull=True)
            if live.filter(icd10_code=entry.code).exists():
                raise ApplicationError(f"{entry.code} is already recorded in this encounter.")
            primary = (
                live.filter(kind=Diagnosis.Kind.PRIMARY).first() if kind == Diagnosis.Kind.PRIMARY else None
            )
            if primary is not None:
                raise ApplicationError(
                    "This encounter already has a primary diagnosis "
                    f"({primary.icd10_code} {primary.description}); "
                    "add this one as secondary, or void that one first.",
                    details={"kind": ["Only one primary diagnosis per encounter."]},
                )
            diagnosis = Diagnosis(
                encounter=current,
                patient_id=current.patient_id,
                icd10_code=entry.code,
                description=entry.description,
                kind=kind,
                certainty=certainty,
                recorded_by_id=acting_user.pk,
            )
            diagnosis.save(using=alias)
            audit_record(
                acting_user=acting_user,
                action="diagnosis.add",
                resource="Diagnosis",
                patient_id=current.patient_id,
                client_address=client_address,
                detail={"diagnosis_id": diagnosis.pk, "encounter_id": current.pk, "icd10_code": entry.code},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "Another diagnosis was added to this encounter at the same moment; "
            "reload the encounter and try again."
        ) from exc
    return diagnosis


def _category_refused(entry: icd10.Icd10Code, billable: list[icd10.Icd10Code]) -> str:
    shown = "; ".join(f"{s.code} {s.description}" for s in billable[:ICD10_SUGGESTIONS_SHOWN])
    more = len(billable) - ICD10_SUGGESTIONS_SHOWN
    tail = f" (and {more} more: search {entry.code} to see them all)" if more > 0 else ""
    return (
        f"{entry.code} ({entry.description}) is a category, not a billable code; "
        f"choose a more specific one: {shown}{tail}."
    )


def diagnosis_void(
    *, acting_user: User, diagnosis: Diagnosis | int | str, reason: str, client_address: str | None = None
) -> Diagnosis:
    """Void a diagnosis entered in error (to change it: void it and add the right one)."""
    reason = _void_reason(reason)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = record_access(
            Diagnosis,
            diagnosis,
            user=acting_user,
            resource=Resource.DIAGNOSIS,
            action=Action.VOID,
            for_update=True,
        )
        _require_live(current, what="This diagnosis is already voided.")
        _void(current, acting_user, reason)
        audit_record(
            acting_user=acting_user,
            action="diagnosis.void",
            resource="Diagnosis",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"diagnosis_id": current.pk, "encounter_id": current.encounter_id, "reason": reason},
        )
    return current


# Allergies


def allergy_record(
    *,
    acting_user: User,
    patient: Patient | int | str,
    substance: str,
    category: str,
    severity: str,
    reaction: str = "",
    client_address: str | None = None,
) -> Allergy:
    """Record an active allergy; a second active allergy to the same substance (any case) is refused."""
    permission_require(user=acting_user, resource=Resource.ALLERGY, action=Action.CREATE)
    _refuse_control_characters(substance=substance, reaction=reaction)
    allergy = Allergy(
        substance=" ".join((substance or "").split()),
        category=category,
        severity=severity,
        reaction=" ".join((reaction or "").split()),
        recorded_by_id=acting_user.pk,
    )
    try:
        allergy.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError("The allergy's details are not valid.", details=exc.message_dict) from exc
    alias = current_tenant().alias
    patient_pk = record_pk(patient, model=Patient) if isinstance(patient, Patient) else patient
    try:
        with transaction.atomic(using=alias):
            found = patient_access(
                user=acting_user, patient_id=patient_pk, resource=Resource.ALLERGY, action=Action.CREATE
            )
            _allergy_check_no_active_twin(found, allergy.substance)
            allergy.patient = found
            allergy.save(using=alias)
            audit_record(
                acting_user=acting_user,
                action="allergy.record",
                resource="Allergy",
                patient_id=found.pk,
                client_address=client_address,
                detail={
                    "allergy_id": allergy.pk,
                    "substance": allergy.substance,
                    "severity": allergy.severity,
                },
            )
    except IntegrityError as exc:
        raise ApplicationError(
            f"An allergy to {allergy.substance} was recorded by someone else at the same moment."
        ) from exc
    return allergy


def _allergy_check_no_active_twin(patient: Patient, substance: str, *, other_than: int | None = None) -> None:
    twins = Allergy.objects.filter(
        patient=patient, substance__iexact=substance, status=Allergy.Status.ACTIVE, voided_at__isnull=True
    )
    if other_than is not None:
        twins = twins.exclude(pk=other_than)
    twin = twins.first()
    if twin is not None:
        raise ApplicationError(
            f"An active allergy to {twin.substance} is already recorded for this patient.",
            details={"substance": ["Already recorded and active."]},
        )


def allergy_status_set(
    *, acting_user: User, allergy: Allergy | int | str, status: str, client_address: str | None = None
) -> Allergy:
    """Mark an allergy active or inactive (no longer a problem); for one entered in error, void it."""
    if status not in Allergy.Status.values:
        raise ApplicationError(
            f"Choose {' or '.join(Allergy.Status.values)}.", details={"status": ["Not a status."]}
        )
    alias = current_tenant().alias
    try:
        with transaction.atomic(using=alias):
            current = record_access(
                Allergy,
                allergy,
                user=acting_user,
                resource=Resource.ALLERGY,
                action=Action.UPDATE,
                for_update=True,
            )
            _require_live(
                current, what="This allergy was entered in error (voided); record it again if needed."
            )
            if current.status == status:
                raise ApplicationError(f"This allergy is already {current.get_status_display().lower()}.")
            if status == Allergy.Status.ACTIVE:
                _allergy_check_no_active_twin(current.patient, current.substance, other_than=current.pk)
            previous, current.status = current.status, status
            current.save(update_fields=["status", "updated_at"])
            audit_record(
                acting_user=acting_user,
                action="allergy.status",
                resource="Allergy",
                patient_id=current.patient_id,
                client_address=client_address,
                detail={"allergy_id": current.pk, "status": [previous, status]},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "This allergy was changed by someone else at the same moment; try again."
        ) from exc
    return current


def allergy_void(
    *, acting_user: User, allergy: Allergy | int | str, reason: str, client_address: str | None = None
) -> Allergy:
    """Mark an allergy entered in error (voided); it stays in the record, hidden from lists."""
    reason = _void_reason(reason)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = record_access(
            Allergy, allergy, user=acting_user, resource=Resource.ALLERGY, action=Action.VOID, for_update=True
        )
        _require_live(current, what="This allergy is already marked entered in error.")
        _void(current, acting_user, reason)
        audit_record(
            acting_user=acting_user,
            action="allergy.void",
            resource="Allergy",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"allergy_id": current.pk, "reason": reason},
        )
    return current


# Clinical notes


def note_create(
    *,
    acting_user: User,
    encounter: Encounter | int | str,
    subjective: str = "",
    objective: str = "",
    assessment: str = "",
    plan: str = "",
    client_address: str | None = None,
) -> ClinicalNote:
    """Start a draft SOAP note in an encounter (also after it finished, not once it is voided)."""
    permission_require(user=acting_user, resource=Resource.NOTE, action=Action.CREATE)
    sections = _note_sections(subjective=subjective, objective=objective, assessment=assessment, plan=plan)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = encounter_access(
            user=acting_user,
            encounter=encounter,
            resource=Resource.NOTE,
            action=Action.CREATE,
            for_update=True,
        )
        _require_live(current)
        note = ClinicalNote(
            encounter=current, patient_id=current.patient_id, author_id=acting_user.pk, **sections
        )
        note.save(using=alias)
        audit_record(
            acting_user=acting_user,
            action="note.create",
            resource="ClinicalNote",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"note_id": note.pk, "encounter_id": current.pk},
        )
    return note


def note_update_draft(
    *,
    acting_user: User,
    note: ClinicalNote | int | str,
    subjective: str | None = None,
    objective: str | None = None,
    assessment: str | None = None,
    plan: str | None = None,
    client_address: str | None = None,
) -> ClinicalNote:
    """Change sections of a draft (its author only); sections given as None stay as they are."""
    given = {
        name: value
        for name, value in {
            "subjective": subjective,
            "objective": objective,
            "assessment": assessment,
            "plan": plan,
        }.items()
        if value is not None
    }
    sections = _note_sections(**given)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _note_for_author(acting_user, note, Action.UPDATE, verb="edit")
        changed = [name for name, value in sections.items() if getattr(current, name) != value]
        for name in changed:
            setattr(current, name, sections[name])
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="note.update",
            resource="ClinicalNote",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"note_id": current.pk, "sections": changed},
        )
    return current


def note_sign(
    *, acting_user: User, note: ClinicalNote | int | str, client_address: str | None = None
) -> ClinicalNote:
    """Sign a draft (its author only). From then on the note's text never changes; amend it instead."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _note_for_author(acting_user, note, Action.SIGN, verb="sign")
        if not any(getattr(current, name).strip() for name in NOTE_SECTIONS):
            raise ApplicationError("An empty note cannot be signed; write at least one section.")
        current.status = ClinicalNote.Status.SIGNED
        current.signed_at = timezone.now()
        current.signed_by_id = acting_user.pk
        current.save(update_fields=["status", "signed_at", "signed_by_id", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="note.sign",
            resource="ClinicalNote",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"note_id": current.pk, "encounter_id": current.encounter_id},
        )
    return current


def _note_for_author(user: User, ref: object, action: Action, *, verb: str) -> ClinicalNote:
    current = record_access(
        ClinicalNote, ref, user=user, resource=Resource.NOTE, action=action, for_update=True
    )
    _require_live(current, what="This note was voided.")
    if current.author_id != user.pk:
        raise NotAllowed(f"Only the note's author may {verb} it.")
    if current.is_signed:
        raise ApplicationError(f"This note is signed and cannot be {verb}ed again; add an amendment instead.")
    return current


def note_amend(
    *,
    acting_user: User,
    note: ClinicalNote | int | str,
    text: str,
    reason: str,
    client_address: str | None = None,
) -> NoteAmendment:
    """Add an amendment to a signed note; the note as signed stays unchanged beside it."""
    _refuse_control_characters(text=text, reason=reason)
    text = (text or "").strip()
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Write the amendment."]
    elif len(text) > NOTE_SECTION_MAX:
        errors["text"] = [f"At most {NOTE_SECTION_MAX} characters."]
    if not reason:
        errors["reason"] = ["Say why the note is amended."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"At most {REASON_MAX} characters."]
    if errors:
        raise ApplicationError("The amendment needs its text and a reason.", details=errors)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = record_access(
            ClinicalNote,
            note,
            user=acting_user,
            resource=Resource.NOTE,
            action=Action.UPDATE,
            for_update=True,
        )
        _require_live(current, what="This note was voided.")
        if not current.is_signed:
            raise ApplicationError("This note is still a draft: edit it rather than amend it.")
        amendment = NoteAmendment(note=current, author_id=acting_user.pk, text=text, reason=reason)
        amendment.save(using=alias)
        audit_record(
            acting_user=acting_user,
            action="note.amend",
            resource="ClinicalNote",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"note_id": current.pk, "amendment_id": amendment.pk, "reason": reason},
        )
    return amendment


def note_void(
    *, acting_user: User, note: ClinicalNote | int | str, reason: str, client_address: str | None = None
) -> ClinicalNote:
    """Void a note written in error (a discarded draft, a note on the wrong patient); its text stays."""
    reason = _void_reason(reason)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = record_access(
            ClinicalNote, note, user=acting_user, resource=Resource.NOTE, action=Action.VOID, for_update=True
        )
        _require_live(current, what="This note is already voided.")
        _void(current, acting_user, reason)
        audit_record(
            acting_user=acting_user,
            action="note.void",
            resource="ClinicalNote",
            patient_id=current.patient_id,
            client_address=client_address,
            detail={"note_id": current.pk, "encounter_id": current.encounter_id, "reason": reason},
        )
    return current


def _note_sections(**sections: str) -> dict[str, str]:
    _refuse_control_characters(**sections)
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in sections.items():
        text = (value or "").strip()
        if len(text) > NOTE_SECTION_MAX:
            errors[name] = [f"At most {NOTE_SECTION_MAX} characters ({len(text)} given)."]
        cleaned[name] = text
    if errors:
        raise ApplicationError("A section of the note is too long.", details=errors)
    return cleaned


# Shared pieces


def _refuse_control_characters(**texts: str | None) -> None:
    """NUL cannot be stored in PostgreSQL text; it is never meant anyway (a pasted binary)."""
    bad = {
        name: ["Contains a character that cannot be stored (NUL)."]
        for name, text in texts.items()
        if text and "\x00" in text
    }
    if bad:
        raise ApplicationError("Some text contains a character that cannot be stored.", details=bad)


def _void_reason(reason: str | None) -> str:
    _refuse_control_characters(reason=reason)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ApplicationError("Give a reason for voiding.", details={"reason": ["A reason is required."]})
    if len(reason) > REASON_MAX:
        raise ApplicationError(
            f"The reason is too long ({len(reason)} characters; at most {REASON_MAX}).",
            details={"reason": [f"At most {REASON_MAX} characters."]},
        )
    return reason


def _require_live(
    row: Encounter | Observation | Diagnosis | Allergy | ClinicalNote, *, what: str = ""
) -> None:
    if row.voided_at is not None:
        raise ApplicationError(what or "This encounter was voided; nothing more can be recorded in it.")
    if not isinstance(row, Encounter) and hasattr(row, "encounter_id"):
        encounter = Encounter.objects.only("voided_at").filter(pk=row.encounter_id).first()
        if encounter is None or encounter.voided_at is not None:
            raise ApplicationError("This encounter was voided; nothing in it can be changed.")


def _void(row: Observation | Diagnosis | Allergy | ClinicalNote, user: User, reason: str) -> None:
    row.voided_at = timezone.now()
    row.voided_by_id = user.pk
    row.void_reason = reason
    row.save(update_fields=["voided_at", "voided_by_id", "void_reason", "updated_at"])
