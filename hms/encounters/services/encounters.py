"""Starting, finishing and voiding encounters; the appointment they start from moves with them
through scheduling's own service (its encounter transitions), in the same transaction."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.access import author_require
from hms.care.rows import row_save
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.locking import atomic_write
from hms.core.text import reason_clean
from hms.core.voiding import void_reason_clean
from hms.encounters.models import Encounter
from hms.encounters.selectors import ENCOUNTER_NOT_FOUND, record_pk
from hms.encounters.services.shared import live_encounter_lock, patient_for_recording, row_lock
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.scheduling.services import ENCOUNTER_STARTABLE, appointment_encounter_move
from hms.tenancy.context import current_tenant

STARTABLE_APPOINTMENT = ENCOUNTER_STARTABLE


def encounter_start(
    *,
    acting_user: User,
    patient: Patient | int,
    appointment: Appointment | int | None = None,
    reason: str = "",
    encounter_class: str = Encounter.Class.AMBULATORY,
    client_address: str | None = None,
) -> Encounter:
    """Start an encounter of `acting_user` (a doctor) with `patient`, now, of `encounter_class`
    (outpatient unless said: emergency, inpatient, home health, virtual).

    From an appointment: it must be this doctor's, for this patient, booked, arrived or in
    consultation (called in from the day list) with no encounter yet; it becomes (or stays)
    in consultation in the same transaction. Without one it is a walk-in, which brings the
    patient into the doctor's care. A doctor has at most one encounter
    in progress with a patient.
    """
    permission_require(user=acting_user, resource=Resource.ENCOUNTER, action=Action.CREATE)
    if appointment is not None:
        permission_require(user=acting_user, resource=Resource.APPOINTMENT, action=Action.UPDATE)
    reason = reason_clean(reason, label="The reason for the visit")
    if encounter_class not in Encounter.Class.values:
        raise ApplicationError(
            f"Choose the encounter's class: {', '.join(Encounter.Class.values)}.",
            details={"encounter_class": ["Not a class of encounter."]},
        )
    alias = current_tenant().alias
    with atomic_write(
        using=alias,
        raced="This encounter was started by someone else at the same moment; open the patient's encounters.",
    ):
        found = patient_for_recording(patient, acting_user, Resource.ENCOUNTER)
        booked = _appointment_for_start(acting_user, found, appointment) if appointment is not None else None
        open_one = (
            Encounter.objects.live()
            .filter(patient=found, practitioner_user_id=acting_user.pk, status=Encounter.Status.IN_PROGRESS)
            .first()
        )
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
            encounter_class=encounter_class,
        )
        encounter.full_clean(validate_unique=False, validate_constraints=False)
        encounter.save(using=alias)
        detail: dict[str, Any] = {
            "encounter_id": encounter.pk,
            "appointment_id": booked.pk if booked else None,
            "encounter_class": encounter_class,
        }
        if booked is not None:
            _appointment_follow(acting_user, encounter, "start", detail, client_address)
            booked.status = Appointment.Status.IN_CONSULTATION
        audit_row(acting_user, "encounter.start", encounter, client_address, **detail)
    return encounter


def _appointment_for_start(acting_user: User, patient: Patient, ref: Appointment | int) -> Appointment:
    try:
        pk = record_pk(ref, model=Appointment)  # an Appointment of another hospital is no appointment here
    except NotFound:
        pk = None
    booked = Appointment.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
    if booked is None:
        raise _appointment_refusal("There is no such appointment here.")
    if booked.practitioner_user_id != acting_user.pk:
        raise _appointment_refusal(
            "This appointment is with another doctor; only that doctor can start its encounter."
        )
    if booked.patient_id != patient.pk:
        raise _appointment_refusal("This appointment is for another patient.")
    if booked.status not in STARTABLE_APPOINTMENT:
        raise _appointment_refusal(
            f"This appointment is {booked.get_status_display().lower()}; an encounter can only be "
            "started from a booked, arrived or in-consultation appointment."
        )
    if Encounter.objects.filter(appointment=booked).exists():
        raise _appointment_refusal("An encounter was already started from this appointment.")
    return booked


def _appointment_refusal(problem: str) -> ApplicationError:
    return ApplicationError(problem, details={"appointment": [problem]})


def _appointment_follow(
    user: User, encounter: Encounter, event: str, detail: dict[str, Any], client_address: str | None
) -> None:
    """Move the encounter's appointment for `event` (scheduling's rules and audit); note the move in
    the encounter's audit `detail`."""
    assert encounter.appointment_id is not None
    moved = appointment_encounter_move(
        acting_user=user,
        appointment_id=encounter.appointment_id,
        event=event,
        encounter_id=encounter.pk,
        client_address=client_address,
    )
    if moved is not None:
        detail["appointment_status"] = list(moved)


def encounter_finish(
    *, acting_user: User, encounter: Encounter | int, client_address: str | None = None
) -> Encounter:
    """End an encounter in progress now; its appointment (if in consultation) becomes completed."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = live_encounter_lock(encounter, acting_user, Resource.ENCOUNTER, Action.UPDATE)
        author_require(current, user=acting_user, resource=Resource.ENCOUNTER, action=Action.UPDATE)
        if current.status != Encounter.Status.IN_PROGRESS:
            raise ApplicationError("This encounter is already finished.")
        row_save(current, status=Encounter.Status.FINISHED, ended_at=max(timezone.now(), current.started_at))
        detail: dict[str, Any] = {"encounter_id": current.pk, "appointment_id": current.appointment_id}
        if current.appointment_id is not None:
            _appointment_follow(acting_user, current, "finish", detail, client_address)
        audit_row(acting_user, "encounter.finish", current, client_address, **detail)
    return current


ENCOUNTER_VOIDING = Voiding(
    Encounter, Resource.ENCOUNTER, missing=ENCOUNTER_NOT_FOUND, already="This encounter is already voided."
)


def encounter_void(
    *, acting_user: User, encounter: Encounter | int, reason: str, client_address: str | None = None
) -> Encounter:
    """Void an encounter entered in error (wrong patient, started twice); what is recorded in it stays.

    An appointment it was started from is released: it goes back to arrived if it was in
    consultation, and can start a new encounter; its id is kept on the voided encounter.
    """
    reason = void_reason_clean(reason)
    with transaction.atomic(using=current_tenant().alias):
        current = row_lock(Encounter, encounter, acting_user, Resource.ENCOUNTER, Action.VOID)
        appointment_id = current.appointment_id
        current = ENCOUNTER_VOIDING.void(
            current, acting_user, reason, client_address, detail={"appointment_id": appointment_id}
        )
        if appointment_id is not None:
            row_save(current, voided_appointment_id=appointment_id, appointment=None)
            appointment_encounter_move(
                acting_user=acting_user,
                appointment_id=appointment_id,
                event="void",
                encounter_id=current.pk,
                client_address=client_address,
            )
    return current
