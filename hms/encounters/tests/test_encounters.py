import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.care.access import patient_in_care
from hms.care.assignments import care_assign, care_assignment_end
from hms.care.tests.factories import CareAssignmentFactory
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import Encounter
from hms.encounters.services import (
    encounter_finish,
    encounter_start,
    encounter_void,
    observation_record_vitals,
)
from hms.encounters.vitals import HEART_RATE
from hms.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def _nothing_written():
    return not Encounter.objects.exists() and not AuditEvent.objects.exists()


def test_a_doctor_starts_no_encounter_with_a_patient_outside_their_care(staff, chart, in_hospital):
    """Starting an encounter is no back door into a record (ADR 0011): 404, as a missing patient."""
    with pytest.raises(NotFound, match="No such patient"):
        encounter_start(acting_user=staff.other_doctor, patient=chart.stranger, reason="Chest pain")
    assert not patient_in_care(user=staff.other_doctor, patient_id=chart.stranger.pk)
    assert not Encounter.objects.exists()


def test_a_walk_in_sent_by_reception_starts_an_encounter_and_stays_in_care(staff, chart, in_hospital):
    assert not patient_in_care(user=staff.other_doctor, patient_id=chart.stranger.pk)
    assignment = care_assign(
        acting_user=staff.receptionist,
        patient_id=chart.stranger.pk,
        clinician_user_id=staff.other_doctor.pk,
        reason="Walk-in: chest pain",
    )
    assert patient_in_care(user=staff.other_doctor, patient_id=chart.stranger.pk)

    encounter = encounter_start(
        acting_user=staff.other_doctor,
        patient=chart.stranger,
        reason=" Chest  pain ",
        client_address="10.0.0.9",
    )

    stored = Encounter.objects.get()
    assert stored.pk == encounter.pk
    assert (stored.patient_id, stored.practitioner_user_id) == (chart.stranger.pk, staff.other_doctor.pk)
    assert (stored.status, stored.reason, stored.appointment_id, stored.ended_at) == (
        "in_progress",
        "Chest pain",
        None,
        None,
    )
    assert stored.started_at <= timezone.now()
    care_assignment_end(acting_user=staff.receptionist, assignment_id=assignment.pk)
    assert patient_in_care(user=staff.other_doctor, patient_id=chart.stranger.pk)  # the encounter's care
    event = AuditEvent.objects.get(action="encounter.start")
    assert (event.action, event.resource, event.patient_id, event.actor_id) == (
        "encounter.start",
        "Encounter",
        chart.stranger.pk,
        staff.other_doctor.pk,
    )
    assert event.detail == {"encounter_id": encounter.pk, "appointment_id": None, "encounter_class": "AMB"}
    assert event.client_address == "10.0.0.9"


@pytest.mark.parametrize("status", [Appointment.Status.BOOKED, Appointment.Status.ARRIVED])
def test_an_encounter_from_an_appointment_puts_it_in_consultation_then_completed(
    staff, chart, in_hospital, status
):
    Appointment.objects.filter(pk=chart.appointment.pk).update(status=status)

    encounter = encounter_start(
        acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment.pk
    )

    chart.appointment.refresh_from_db()
    assert chart.appointment.status == Appointment.Status.IN_CONSULTATION
    assert encounter.appointment_id == chart.appointment.pk
    assert encounter.reason == "Follow-up"  # taken from the appointment when none is given
    start = AuditEvent.objects.get(action="encounter.start")
    assert start.detail["appointment_status"] == [status, "in_consultation"]

    finished = encounter_finish(acting_user=staff.doctor, encounter=encounter)

    chart.appointment.refresh_from_db()
    stored = Encounter.objects.get()
    assert chart.appointment.status == Appointment.Status.COMPLETED
    assert (
        stored.status == "finished" and stored.ended_at is not None and stored.ended_at >= stored.started_at
    )
    assert finished.ended_at == stored.ended_at
    event = AuditEvent.objects.get(action="encounter.finish")
    assert event.patient_id == chart.patient.pk
    assert event.detail["appointment_status"] == ["in_consultation", "completed"]
    # The appointment moved by scheduling's own rules, which recorded who and audited each move.
    assert chart.appointment.status_changed_by_id == staff.doctor.pk
    moves = AuditEvent.objects.filter(action="appointment.status").order_by("id")
    assert [(m.detail["from"], m.detail["to"], m.detail["by"]) for m in moves] == [
        (status, "in_consultation", "encounter.start"),
        ("in_consultation", "completed", "encounter.finish"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"practitioner_user_id": "other_doctor"}, "with another doctor"),
        ({"status": Appointment.Status.COMPLETED}, "is completed"),
        ({"status": Appointment.Status.CANCELLED}, "is cancelled"),
        ({"status": Appointment.Status.NO_SHOW}, "is no-show"),
    ],
)
def test_an_appointment_must_be_this_doctors_and_still_open(staff, chart, in_hospital, change, message):
    if change.get("practitioner_user_id"):
        change = {"practitioner_user_id": staff.other_doctor.pk}
    Appointment.objects.filter(pk=chart.appointment.pk).update(**change)
    # Still in the doctor's care (sent as a walk-in), so the appointment itself is what is refused.
    CareAssignmentFactory(patient=chart.patient, clinician_user_id=staff.doctor.pk)

    with pytest.raises(ApplicationError, match=message) as refused:
        encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment)

    assert "appointment" in refused.value.details
    assert _nothing_written()


def test_an_appointment_of_another_patient_or_none_at_all_is_refused(staff, chart, in_hospital):
    # The stranger was sent to the doctor as a walk-in, but not on the patient's appointment.
    CareAssignmentFactory(patient=chart.stranger, clinician_user_id=staff.doctor.pk)
    with pytest.raises(ApplicationError, match="for another patient"):
        encounter_start(acting_user=staff.doctor, patient=chart.stranger, appointment=chart.appointment)
    with pytest.raises(ApplicationError, match="no such appointment"):
        encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=999999)
    with pytest.raises(ApplicationError, match="no such appointment"):
        encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment="abc")
    assert _nothing_written()
    chart.appointment.refresh_from_db()
    assert chart.appointment.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("who", ["nurse", "receptionist", "admin", "patient_user"])
def test_only_doctors_start_encounters(staff, chart, in_hospital, who):
    with pytest.raises(NotAllowed):
        encounter_start(acting_user=getattr(staff, who), patient=chart.patient)
    assert _nothing_written()


def test_an_unknown_patient_is_not_found(staff, chart, in_hospital):
    for ref in (999999, "x", None):
        with pytest.raises(NotFound):
            encounter_start(acting_user=staff.doctor, patient=ref)
    assert _nothing_written()


def test_one_encounter_in_progress_per_doctor_and_patient(staff, chart, in_hospital):
    first = encounter_start(acting_user=staff.doctor, patient=chart.patient)
    with pytest.raises(ApplicationError, match="already have an encounter in progress") as refused:
        encounter_start(acting_user=staff.doctor, patient=chart.patient)
    assert refused.value.details == {"encounter_id": first.pk}
    CareAssignmentFactory(patient=chart.patient, clinician_user_id=staff.other_doctor.pk)
    encounter_start(acting_user=staff.other_doctor, patient=chart.patient)  # another doctor may

    encounter_finish(acting_user=staff.doctor, encounter=first)
    encounter_start(acting_user=staff.doctor, patient=chart.patient)
    assert Encounter.objects.count() == 3


def test_the_database_holds_one_open_encounter_per_doctor_and_patient(staff, chart, in_hospital):
    now = timezone.now()
    Encounter.objects.create(patient=chart.patient, practitioner_user_id=staff.doctor.pk, started_at=now)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        Encounter.objects.create(patient=chart.patient, practitioner_user_id=staff.doctor.pk, started_at=now)


def test_finishing_twice_or_out_of_care_is_refused(staff, chart, in_hospital):
    encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient)
    with pytest.raises(NotFound, match="No such encounter"):
        encounter_finish(acting_user=staff.other_doctor, encounter=encounter.pk)
    with pytest.raises(NotAllowed):
        encounter_finish(acting_user=staff.nurse, encounter=encounter.pk)
    encounter_finish(acting_user=staff.doctor, encounter=encounter.pk)
    with pytest.raises(ApplicationError, match="already finished"):
        encounter_finish(acting_user=staff.doctor, encounter=encounter.pk)
    assert AuditEvent.objects.filter(action="encounter.finish").count() == 1


def test_voiding_needs_a_reason_and_releases_the_appointment(staff, chart, in_hospital):
    encounter = encounter_start(
        acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment
    )
    for reason in ("", "   ", "x" * 300):
        with pytest.raises(ApplicationError, match="reason"):
            encounter_void(acting_user=staff.doctor, encounter=encounter, reason=reason)
    assert not AuditEvent.objects.filter(action="encounter.void").exists()

    encounter_void(acting_user=staff.doctor, encounter=encounter, reason="Started on the wrong patient")

    stored = Encounter.objects.get(pk=encounter.pk)
    assert stored.is_voided and stored.voided_by_id == staff.doctor.pk
    assert stored.void_reason == "Started on the wrong patient"
    assert (stored.appointment_id, stored.voided_appointment_id) == (None, chart.appointment.pk)
    chart.appointment.refresh_from_db()
    assert chart.appointment.status == Appointment.Status.ARRIVED
    event = AuditEvent.objects.get(action="encounter.void")
    assert event.patient_id == chart.patient.pk and event.detail["reason"] == "Started on the wrong patient"

    with pytest.raises(ApplicationError, match="already voided"):
        encounter_void(acting_user=staff.doctor, encounter=encounter, reason="again")
    with pytest.raises(ApplicationError, match="voided"):
        encounter_finish(acting_user=staff.doctor, encounter=encounter)
    with pytest.raises(ApplicationError, match="voided"):
        observation_record_vitals(
            acting_user=staff.nurse, encounter=encounter, values={HEART_RATE: (70, "/min")}
        )
    again = encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment)
    assert again.appointment_id == chart.appointment.pk


def test_a_voided_walk_in_ends_the_care_it_gave(staff, chart, in_hospital):
    assignment = CareAssignmentFactory(patient=chart.stranger, clinician_user_id=staff.other_doctor.pk)
    encounter = encounter_start(acting_user=staff.other_doctor, patient=chart.stranger)
    care_assignment_end(acting_user=staff.receptionist, assignment_id=assignment.pk)
    encounter_void(acting_user=staff.other_doctor, encounter=encounter, reason="wrong patient")
    assert not patient_in_care(user=staff.other_doctor, patient_id=chart.stranger.pk)
    with pytest.raises(NotFound):
        encounter_finish(acting_user=staff.other_doctor, encounter=encounter)


def test_an_encounter_of_another_hospital_is_not_found(staff, chart, make_hospital, make_user):
    from hms.accounts.models import Role
    from hms.tenancy.context import hospital_context

    other = make_hospital("TH001")
    th_doctor = make_user("th_doc", role=Role.DOCTOR, hospital=other)
    with hospital_context("DMC001"):
        encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient)
    with hospital_context("TH001"), pytest.raises(NotFound):
        encounter_finish(acting_user=th_doctor, encounter=encounter)
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):  # a doctor of another hospital has no rights here at all
            encounter_finish(acting_user=th_doctor, encounter=encounter.pk)
        assert Encounter.objects.get().status == "in_progress"
