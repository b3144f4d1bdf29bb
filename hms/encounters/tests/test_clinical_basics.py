"""Encounter class, allergy type and criticality, "no known allergies" and the problem list: the
services' rules and the pages (issue 14)."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import Encounter, NoKnownAllergies, ProblemListItem
from hms.encounters.selectors import allergy_record_for_patient, problem_list_for_patient
from hms.encounters.services import (
    allergy_record,
    allergy_status_set,
    diagnosis_add,
    diagnosis_void,
    encounter_start,
    nka_record,
    nka_void,
    problem_add,
    problem_status_set,
    problem_void,
)
from hms.encounters.tests.factories import ProblemListItemFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
LATEX = {"substance": "Latex", "category": "environment", "severity": "moderate"}


def _url(name, **ids):
    return reverse(f"encounters:{name}", kwargs={"hospital_code": "DMC001", **ids})


# Encounter class


def test_an_encounter_is_started_with_its_class(staff, chart, in_hospital):
    encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient, encounter_class="EMER")
    assert Encounter.objects.get().encounter_class == "EMER" == encounter.encounter_class
    event = AuditEvent.objects.get(action="encounter.start")
    assert event.detail["encounter_class"] == "EMER"


def test_an_unknown_class_is_refused_and_nothing_started(staff, chart, in_hospital):
    with pytest.raises(ApplicationError) as refused:
        encounter_start(acting_user=staff.doctor, patient=chart.patient, encounter_class="ICU")
    assert "encounter_class" in refused.value.details
    assert not Encounter.objects.exists()


def test_the_start_form_takes_the_class_and_the_page_shows_it(client, staff, chart):
    client.force_login(staff.doctor)
    page = client.get(_url("patient", patient_id=chart.patient.pk)).content.decode()
    assert 'name="encounter_class"' in page and "Emergency" in page
    response = client.post(_url("start", patient_id=chart.patient.pk), {"encounter_class": "IMP"})
    assert response.status_code == 302
    with hospital_context("DMC001"):
        encounter = Encounter.objects.get()
    assert encounter.encounter_class == "IMP"
    assert "Inpatient" in client.get(_url("detail", encounter_id=encounter.pk)).content.decode()


# Allergy type and criticality; no known allergies


def test_an_allergy_is_recorded_with_its_type_and_criticality(staff, chart, in_hospital):
    made = allergy_record(
        acting_user=staff.nurse, patient=chart.patient, **LATEX, type="intolerance", criticality="low"
    )
    assert (made.type, made.criticality) == ("intolerance", "low")
    plain = allergy_record(acting_user=staff.nurse, patient=chart.patient, **{**LATEX, "substance": "Egg"})
    assert (plain.type, plain.criticality) == ("allergy", "unable-to-assess")
    with pytest.raises(ApplicationError):
        allergy_record(
            acting_user=staff.nurse, patient=chart.patient, **{**LATEX, "substance": "X"}, type="other"
        )


def test_no_known_allergies_is_a_statement_with_its_date_and_author(staff, chart, in_hospital):
    assert allergy_record_for_patient(user=staff.nurse, patient_id=chart.patient.pk).summary == (
        "Allergies not recorded"
    )
    statement = nka_record(acting_user=staff.nurse, patient=chart.patient, client_address="10.0.0.9")
    record = allergy_record_for_patient(user=staff.nurse, patient_id=chart.patient.pk)
    assert record.summary == "No known allergies"
    assert (record.no_known, record.no_known_by) == (statement, "nurse_amina")
    assert AuditEvent.objects.filter(action="allergy.no_known", patient_id=chart.patient.pk).exists()
    again = nka_record(acting_user=staff.nurse, patient=chart.patient)  # asked again later: a new statement
    statement.refresh_from_db()
    assert statement.superseded_at is not None and statement.superseded_by is None
    assert allergy_record_for_patient(user=staff.nurse, patient_id=chart.patient.pk).no_known == again


def test_an_allergy_recorded_afterwards_supersedes_it(staff, chart, in_hospital):
    statement = nka_record(acting_user=staff.nurse, patient=chart.patient)
    latex = allergy_record(acting_user=staff.nurse, patient=chart.patient, **LATEX)
    statement.refresh_from_db()
    assert (statement.superseded_by, statement.superseded_at) == (latex, latex.created_at)
    record = allergy_record_for_patient(user=staff.nurse, patient_id=chart.patient.pk)
    assert (record.summary, record.no_known) == ("", None)
    assert AuditEvent.objects.get(action="allergy.record").detail["superseded_nka_id"] == statement.pk
    with pytest.raises(ApplicationError) as refused:
        nka_record(acting_user=staff.nurse, patient=chart.patient)
    assert "Latex" in refused.value.message
    allergy_status_set(acting_user=staff.nurse, allergy=latex, status="inactive")
    nka_record(acting_user=staff.nurse, patient=chart.patient)  # none active now: it may be stated


def test_one_current_statement_per_patient_is_held_by_the_database(staff, chart, in_hospital):
    NoKnownAllergies.objects.create(patient=chart.patient, recorded_by_id=staff.nurse.pk)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        NoKnownAllergies.objects.create(patient=chart.patient, recorded_by_id=staff.nurse.pk)


def test_no_known_allergies_rights_and_voiding(staff, chart, in_hospital):
    with pytest.raises(NotAllowed):
        nka_record(acting_user=staff.receptionist, patient=chart.patient)
    with pytest.raises(NotFound):
        nka_record(acting_user=staff.other_doctor, patient=chart.patient)  # not in their care
    statement = nka_record(acting_user=staff.nurse, patient=chart.patient)
    with pytest.raises(NotAllowed):
        nka_void(acting_user=staff.nurse, statement=statement, reason="Wrong patient")
    encounter_start(acting_user=staff.doctor, patient=chart.patient)
    nka_void(acting_user=staff.doctor, statement=statement, reason="Wrong patient")
    assert allergy_record_for_patient(user=staff.nurse, patient_id=chart.patient.pk).summary == (
        "Allergies not recorded"
    )


def test_the_allergy_page_states_and_shows_no_known_allergies(client, staff, chart):
    client.force_login(staff.nurse)
    with hospital_context("DMC001"):
        encounter_start(acting_user=staff.doctor, patient=chart.patient)
    page = client.get(_url("allergy-new", patient_id=chart.patient.pk)).content.decode()
    assert "Allergies not recorded" in page
    assert client.post(_url("nka-new", patient_id=chart.patient.pk)).status_code == 302
    page = client.get(_url("allergy-new", patient_id=chart.patient.pk)).content.decode()
    assert "<strong>No known allergies</strong>: stated" in page
    encounters = client.get(_url("patient", patient_id=chart.patient.pk)).content.decode()
    assert "no known allergies (stated" in encounters
    posted = client.post(
        _url("allergy-new", patient_id=chart.patient.pk),
        {**LATEX, "type": "intolerance", "criticality": "high"},
    )
    assert posted.status_code == 302
    page = client.get(_url("allergy-new", patient_id=chart.patient.pk)).content.decode()
    assert "No known allergies" not in page and "Intolerance" in page and "High risk" in page
    refused = client.post(_url("nka-new", patient_id=chart.patient.pk))
    assert refused.status_code == 400 and "Latex" in refused.content.decode()


# The problem list


@pytest.fixture
def diagnosis(staff, chart, in_hospital):
    encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient)
    return diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10")


def test_a_doctor_adds_a_diagnosis_to_the_problem_list(staff, chart, diagnosis):
    problem = problem_add(acting_user=staff.doctor, diagnosis=diagnosis, client_address="10.0.0.5")
    assert (problem.code, problem.code_system, problem.code_system_version, problem.description) == (
        diagnosis.icd10_code,
        diagnosis.code_system,
        diagnosis.code_system_version,
        diagnosis.description,
    )
    assert problem.onset_date == timezone.localdate(diagnosis.encounter.started_at)
    assert (problem.status, problem.diagnosis, problem.recorded_by_id) == (
        "active",
        diagnosis,
        staff.doctor.pk,
    )
    assert AuditEvent.objects.get(action="problem.add").detail["diagnosis_id"] == diagnosis.pk
    with pytest.raises(ApplicationError) as twice:
        problem_add(acting_user=staff.doctor, diagnosis=diagnosis)
    assert "already on the problem list" in twice.value.message
    diagnosis_void(acting_user=staff.doctor, diagnosis=diagnosis, reason="Wrong code")
    assert ProblemListItem.objects.live().get() == problem  # the list is the patient's, not the visit's


def test_a_problem_is_added_directly_in_the_hospitals_code_system(staff, chart, diagnosis):
    problem = problem_add(
        acting_user=staff.doctor, patient=chart.patient, code="e11.9", onset_date=datetime.date(2019, 5, 1)
    )
    assert (problem.code, problem.onset_date, problem.diagnosis) == ("E11.9", datetime.date(2019, 5, 1), None)
    assert problem.code_system_version
    with pytest.raises(ApplicationError) as category:
        problem_add(acting_user=staff.doctor, patient=chart.patient, code="E11")
    assert category.value.details["suggestions"] and "category" in category.value.message
    with pytest.raises(ApplicationError):
        problem_add(acting_user=staff.doctor, patient=chart.patient, code="NOT1")
    with pytest.raises(ApplicationError) as future:
        problem_add(
            acting_user=staff.doctor,
            patient=chart.patient,
            code="J45.9",
            onset_date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "future" in future.value.message


def test_resolving_reactivating_and_voiding(staff, chart, diagnosis):
    problem = problem_add(acting_user=staff.doctor, diagnosis=diagnosis, onset_date=datetime.date(2020, 1, 1))
    with pytest.raises(ApplicationError):
        problem_status_set(
            acting_user=staff.doctor,
            problem=problem,
            status="resolved",
            resolved_date=datetime.date(2019, 1, 1),
        )
    with pytest.raises(ApplicationError):
        problem_status_set(
            acting_user=staff.doctor,
            problem=problem,
            status="inactive",
            resolved_date=datetime.date(2021, 1, 1),
        )
    resolved = problem_status_set(acting_user=staff.doctor, problem=problem, status="resolved")
    assert (resolved.status, resolved.resolved_date) == ("resolved", timezone.localdate())
    recurrence = problem_add(acting_user=staff.doctor, patient=chart.patient, code="I10")
    with pytest.raises(ApplicationError) as twin:
        problem_status_set(acting_user=staff.doctor, problem=problem, status="active")
    assert "again" in twin.value.message
    problem_void(acting_user=staff.doctor, problem=recurrence, reason="Added twice")
    active = problem_status_set(acting_user=staff.doctor, problem=problem, status="active")
    assert (active.status, active.resolved_date) == ("active", None)
    with pytest.raises(ApplicationError):
        problem_status_set(acting_user=staff.doctor, problem=recurrence, status="resolved")  # voided
    rows = problem_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk, include_voided=True)
    assert [(r.problem.code, r.problem.status_display) for r in rows] == [
        ("I10", "Active"),
        ("I10", "Entered in error"),
    ]


def test_the_database_holds_a_resolved_date_with_resolution_only(staff, chart, in_hospital):
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        ProblemListItemFactory(patient=chart.patient, status="resolved", resolved_date=None)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        ProblemListItemFactory(patient=chart.patient, resolved_date=datetime.date(2024, 1, 1))
    ProblemListItemFactory(patient=chart.patient)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        ProblemListItemFactory(patient=chart.patient)  # the same code, unresolved, twice


def test_problem_rights(staff, chart, diagnosis):
    with pytest.raises(NotAllowed):
        problem_add(acting_user=staff.nurse, patient=chart.patient, code="I10")
    with pytest.raises(NotFound):
        problem_add(acting_user=staff.other_doctor, patient=chart.patient, code="I10")
    with pytest.raises(NotFound):
        problem_add(acting_user=staff.doctor, patient=chart.stranger, diagnosis=diagnosis)  # not theirs
    problem = problem_add(acting_user=staff.doctor, diagnosis=diagnosis)
    with pytest.raises(NotAllowed):
        problem_status_set(acting_user=staff.nurse, problem=problem, status="inactive")
    with pytest.raises(NotFound):
        problem_status_set(acting_user=staff.other_doctor, problem=problem, status="inactive")
    assert [
        r.problem for r in problem_list_for_patient(user=staff.patient_user, patient_id=chart.patient.pk)
    ] == [problem]


def test_the_problem_list_pages(client, staff, chart, diagnosis):
    client.force_login(staff.doctor)
    detail = client.get(_url("detail", encounter_id=diagnosis.encounter_id)).content.decode()
    assert "Add to the problem list" in detail
    added = client.post(
        _url("problem-from-diagnosis"), {"diagnosis": diagnosis.pk, "encounter": diagnosis.encounter_id}
    )
    assert added.status_code == 302 and added.url.endswith("#diagnoses")
    problems = _url("problems", patient_id=chart.patient.pk)
    searched = client.get(problems, {"q": "asthma"}).content.decode()
    assert "Essential (primary) hypertension" in searched and "J45" in searched
    assert client.post(problems, {"code": "J45.9", "onset_date": "2001-03-01"}).status_code == 302
    refused = client.post(problems, {"code": "E11"})
    assert refused.status_code == 400 and "category" in refused.content.decode()
    with hospital_context("DMC001"):
        asthma = ProblemListItem.objects.get(code="J45.9")
    resolved = client.post(_url("problem-status", problem_id=asthma.pk), {"status": "resolved"})
    assert resolved.status_code == 302
    early = client.post(
        _url("problem-status", problem_id=asthma.pk), {"status": "active", "resolved_date": "2020-01-01"}
    )
    assert early.status_code == 400
    voided = client.post(_url("problem-void", problem_id=asthma.pk), {"reason": "Wrong patient"})
    assert voided.status_code == 302
    page = client.get(problems).content.decode()
    assert "Asthma" not in page and "Essential (primary) hypertension" in page
    assert "Asthma" in client.get(problems, {"voided": "1"}).content.decode()
    client.force_login(staff.nurse)
    nurse_page = client.get(problems)
    assert nurse_page.status_code == 200 and "Add a problem" not in nurse_page.content.decode()
    assert client.post(problems, {"code": "J45.9"}).status_code == 403
