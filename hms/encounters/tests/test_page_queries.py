"""Every list page of encounters costs the same number of queries for N rows as for 3N."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hms.encounters.models import Diagnosis, Encounter, Observation
from hms.encounters.tests.factories import (
    AllergyFactory,
    ClinicalNoteFactory,
    DiagnosisFactory,
    EncounterFactory,
    NoteAmendmentFactory,
    ObservationFactory,
    ProblemListItemFactory,
)
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
N = 3


def _queries(client, url):
    """(hospital database, shared database) queries of one page view."""
    with (
        hospital_context("DMC001") as tenant,  # the page opens the same connection within it
        CaptureQueriesContext(connections[tenant.alias]) as hospital,
        CaptureQueriesContext(connections["default"]) as shared,
    ):
        response = client.get(url)
    assert response.status_code == 200, url
    assert len(hospital) > 0  # the page's own reads were seen
    return len(hospital), len(shared)


def _url(name, **ids):
    return reverse(f"encounters:{name}", kwargs={"hospital_code": "DMC001", **ids})


def test_a_patients_encounters_and_allergies(client, staff, chart):
    client.force_login(staff.nurse)
    url = _url("patient", patient_id=chart.patient.pk)

    def add(count):
        with hospital_context("DMC001"):
            for doctor in (staff.doctor, staff.other_doctor) * count:
                EncounterFactory(
                    patient=chart.patient,
                    practitioner_user_id=doctor.pk,
                    status=Encounter.Status.FINISHED,
                    ended_at=timezone.now(),
                )
                AllergyFactory(patient=chart.patient, recorded_by_id=doctor.pk)

    add(1)  # the nurse sees the patient once a doctor has them in care
    _queries(client, url)
    add(N)
    few = _queries(client, url)
    add(2 * N)
    assert _queries(client, url) == few


def test_the_allergy_page(client, staff, chart):
    client.force_login(staff.nurse)
    with hospital_context("DMC001"):
        EncounterFactory(patient=chart.patient, practitioner_user_id=staff.doctor.pk)
    url = _url("allergy-new", patient_id=chart.patient.pk)

    def add(count):
        with hospital_context("DMC001"):
            AllergyFactory.create_batch(count, patient=chart.patient, recorded_by_id=staff.nurse.pk)

    _queries(client, url)
    add(N)
    few = _queries(client, url)
    add(2 * N)
    assert _queries(client, url) == few


def test_an_encounters_vitals_diagnoses_and_notes(client, staff, chart):
    client.force_login(staff.doctor)
    with hospital_context("DMC001"):
        encounter = EncounterFactory(patient=chart.patient, practitioner_user_id=staff.doctor.pk)
    url = _url("detail", encounter_id=encounter.pk)
    authors = (staff.doctor, staff.other_doctor, staff.nurse)

    def add(count):
        with hospital_context("DMC001"):
            for _ in range(count):
                author = authors[Observation.objects.count() % len(authors)]
                ObservationFactory(encounter=encounter, recorded_by_id=author.pk)
                DiagnosisFactory(encounter=encounter, icd10_code=f"Z{Diagnosis.objects.count():02d}")
                note = ClinicalNoteFactory(encounter=encounter, author_id=author.pk, signed=True)
                NoteAmendmentFactory(note=note, author_id=author.pk)
                AllergyFactory(patient=chart.patient, recorded_by_id=author.pk)

    _queries(client, url)
    add(N)
    few = _queries(client, url)
    add(2 * N)
    assert _queries(client, url) == few


def test_the_problem_list_page(client, staff, chart):
    """Problems from a diagnosis (their encounter linked) and added directly, by two doctors."""
    client.force_login(staff.doctor)
    url = _url("problems", patient_id=chart.patient.pk)

    def add(count):
        with hospital_context("DMC001"):
            for _ in range(count):
                encounter = EncounterFactory(
                    patient=chart.patient,
                    practitioner_user_id=staff.doctor.pk,
                    status=Encounter.Status.FINISHED,
                    ended_at=timezone.now(),
                )
                diagnosis = DiagnosisFactory(encounter=encounter)
                ProblemListItemFactory(
                    patient=chart.patient,
                    code=f"A{diagnosis.pk}",
                    diagnosis=diagnosis,
                    recorded_by_id=staff.doctor.pk,
                )
                ProblemListItemFactory(
                    patient=chart.patient, code=f"B{diagnosis.pk}", recorded_by_id=staff.other_doctor.pk
                )

    add(1)
    _queries(client, url)
    add(N)
    few = _queries(client, url)
    add(2 * N)
    assert _queries(client, url) == few
