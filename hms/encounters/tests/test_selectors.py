import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.audit.models import AuditEvent
from hms.care.tests.factories import CareAssignmentFactory
from hms.core.exceptions import NotAllowed, NotFound
from hms.encounters.selectors import encounter_detail, encounter_list_for_patient
from hms.encounters.services import (
    allergy_record,
    diagnosis_add,
    diagnosis_void,
    encounter_finish,
    encounter_start,
    encounter_void,
    note_create,
    note_sign,
    observation_record_vitals,
)
from hms.encounters.vitals import HEART_RATE, TEMPERATURE

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(staff, chart, in_hospital):
    """A finished encounter with vitals, a diagnosis (and a voided one), an allergy and a signed note."""
    encounter = encounter_start(
        acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment
    )
    observation_record_vitals(
        acting_user=staff.nurse,
        encounter=encounter,
        values={HEART_RATE: ("110", "/min"), TEMPERATURE: ("37", "Cel")},
    )
    diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="J06.9", kind="primary")
    wrong = diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10")
    diagnosis_void(acting_user=staff.doctor, diagnosis=wrong, reason="wrong code")
    allergy_record(
        acting_user=staff.nurse,
        patient=chart.patient,
        substance="Penicillin",
        category="medication",
        severity="severe",
    )
    note = note_create(acting_user=staff.doctor, encounter=encounter, assessment="URTI", plan="Fluids")
    note_sign(acting_user=staff.doctor, note=note)
    encounter_finish(acting_user=staff.doctor, encounter=encounter)
    return encounter


def test_the_encounter_page_has_everything_recorded_in_it(staff, chart, visit):
    detail = encounter_detail(user=staff.doctor, encounter_id=str(visit.pk), client_address="10.0.0.5")

    assert detail.encounter.pk == visit.pk and detail.patient.pk == chart.patient.pk
    assert detail.practitioner_name == "dr_rahman"
    vitals = {row.observation.loinc_code: row for row in detail.vitals}
    assert set(vitals) == {HEART_RATE, TEMPERATURE}
    assert vitals[HEART_RATE].observation.abnormal_flag == "H"
    assert vitals[HEART_RATE].vital.display == "Heart rate"
    assert vitals[HEART_RATE].recorded_by_name == "nurse_amina"
    assert [d.icd10_code for d in detail.diagnoses] == ["J06.9"]
    assert [a.substance for a in detail.allergies] == ["Penicillin"]
    assert [(view.note.assessment, view.author_name) for view in detail.notes] == [("URTI", "dr_rahman")]
    assert detail.may["amend_note"] and not detail.may["record_vitals"] and not detail.may["finish"]

    event = AuditEvent.objects.filter(action="encounter.view").get()
    assert (event.patient_id, event.actor_id, event.client_address) == (
        chart.patient.pk,
        staff.doctor.pk,
        "10.0.0.5",
    )
    assert event.detail["encounter_id"] == visit.pk
    assert sorted(event.detail["observation_ids"]) == sorted(row.observation.pk for row in detail.vitals)
    assert event.detail["note_ids"] == [detail.notes[0].note.pk]


def test_voided_rows_only_when_asked(staff, visit):
    assert len(encounter_detail(user=staff.doctor, encounter_id=visit.pk).diagnoses) == 1
    shown = encounter_detail(user=staff.doctor, encounter_id=visit.pk, include_voided=True).diagnoses
    assert sorted(d.icd10_code for d in shown) == ["I10", "J06.9"]
    patient_view = encounter_detail(user=staff.patient_user, encounter_id=visit.pk, include_voided=True)
    assert [d.icd10_code for d in patient_view.diagnoses] == ["J06.9"]


def test_what_each_role_sees_of_an_encounter(staff, visit):
    nurse = encounter_detail(user=staff.nurse, encounter_id=visit.pk)
    assert nurse.vitals and nurse.diagnoses and nurse.allergies and nurse.notes
    assert not nurse.may["write_note"] and not nurse.may["add_diagnosis"] and nurse.may["record_allergy"]
    patient = encounter_detail(user=staff.patient_user, encounter_id=visit.pk)
    assert patient.vitals and patient.diagnoses and patient.allergies and patient.notes
    assert not any(patient.may.values())
    with pytest.raises(NotFound, match="No such encounter"):
        encounter_detail(user=staff.other_doctor, encounter_id=visit.pk)
    with pytest.raises(NotFound):
        encounter_detail(user=staff.other_patient_user, encounter_id=visit.pk)
    for who in (staff.receptionist, staff.admin):
        with pytest.raises(NotAllowed):
            encounter_detail(user=who, encounter_id=visit.pk)
    for ref in (999999, "abc", None, -1):
        with pytest.raises(NotFound, match="No such encounter"):
            encounter_detail(user=staff.doctor, encounter_id=ref)


def test_a_voided_encounter_is_shown_to_staff_marked_and_hidden_from_the_patient(staff, chart, visit):
    encounter_void(acting_user=staff.doctor, encounter=visit, reason="Wrong patient")
    # The voided encounter no longer keeps the patient in the doctor's care; the appointment still does.
    detail = encounter_detail(user=staff.doctor, encounter_id=visit.pk)
    assert detail.encounter.is_voided and not detail.may["add_diagnosis"]
    with pytest.raises(NotFound):
        encounter_detail(user=staff.patient_user, encounter_id=visit.pk)
    assert list(encounter_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk)) == []
    assert [
        s.encounter.pk
        for s in encounter_list_for_patient(
            user=staff.nurse, patient_id=chart.patient.pk, include_voided=True
        )
    ] == [visit.pk]
    assert (
        list(
            encounter_list_for_patient(
                user=staff.patient_user, patient_id=chart.patient.pk, include_voided=True
            )
        )
        == []
    )


def test_the_list_is_newest_first_scoped_and_audited(staff, chart, visit):
    later = encounter_start(acting_user=staff.doctor, patient=chart.patient)
    CareAssignmentFactory(patient=chart.stranger, clinician_user_id=staff.other_doctor.pk)
    other = encounter_start(acting_user=staff.other_doctor, patient=chart.stranger)

    listed = encounter_list_for_patient(
        user=staff.doctor, patient_id=chart.patient.pk, client_address="10.0.0.6"
    )

    assert [s.encounter.pk for s in listed] == [later.pk, visit.pk]
    assert {s.practitioner_name for s in listed} == {"dr_rahman"}
    event = AuditEvent.objects.get(action="encounter.list")
    assert (event.patient_id, event.client_address) == (chart.patient.pk, "10.0.0.6")
    assert event.detail["encounter_ids"] == [later.pk, visit.pk]
    assert [
        s.encounter.pk
        for s in encounter_list_for_patient(user=staff.patient_user, patient_id=chart.patient.pk)
    ]
    assert [
        s.encounter.pk
        for s in encounter_list_for_patient(user=staff.other_doctor, patient_id=chart.stranger.pk)
    ] == [other.pk]
    with pytest.raises(NotFound):
        encounter_list_for_patient(user=staff.other_doctor, patient_id=chart.patient.pk)
    with pytest.raises(NotFound):
        encounter_list_for_patient(user=staff.patient_user, patient_id=chart.stranger.pk)
    with pytest.raises(NotAllowed):
        encounter_list_for_patient(user=staff.receptionist, patient_id=chart.patient.pk)


def test_the_list_costs_the_same_few_queries_for_one_or_many_encounters(staff, chart, in_hospital):
    def queries():
        tenant = connections[in_hospital.alias]
        shared = connections["default"]
        with CaptureQueriesContext(tenant) as local, CaptureQueriesContext(shared) as users:
            encounter_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk)
        return len(local), len(users)

    CareAssignmentFactory(patient=chart.patient, clinician_user_id=staff.other_doctor.pk)
    encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient)
    one = queries()
    encounter_finish(acting_user=staff.doctor, encounter=encounter)
    for doctor in (staff.doctor, staff.other_doctor):
        encounter_finish(
            acting_user=doctor, encounter=encounter_start(acting_user=doctor, patient=chart.patient)
        )
    assert queries() == one
    assert one[1] == 2  # the practitioners' names in one query, and the audit checkpoint moved


def test_a_long_history_comes_25_a_page_newest_first(staff, chart, in_hospital):
    import datetime

    from django.utils import timezone

    from hms.encounters.models import Encounter

    start = timezone.now() - datetime.timedelta(days=400)
    Encounter.objects.bulk_create(
        Encounter(
            patient=chart.patient,
            practitioner_user_id=staff.doctor.pk,
            status=Encounter.Status.FINISHED,
            started_at=start + datetime.timedelta(days=n),
            ended_at=start + datetime.timedelta(days=n, minutes=20),
        )
        for n in range(30)
    )
    first = encounter_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk)
    second = encounter_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk, page_number="2")
    beyond = encounter_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk, page_number="junk")
    assert (first.paginator.count, len(first), len(second), beyond.number) == (30, 25, 5, 1)
    starts = [s.encounter.started_at for s in [*first, *second]]
    assert starts == sorted(starts, reverse=True)
    pages = list(AuditEvent.objects.filter(action="encounter.list").values_list("detail__page", flat=True))
    assert pages == [1, 2, 1]
