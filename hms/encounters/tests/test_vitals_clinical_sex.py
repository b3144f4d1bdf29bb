"""Vital signs are flagged for the patient's sex for clinical use, read the way lab results read
it (hms.patients.clinical.patient_clinical_sex): a child recorded as male whose sex for clinical
use is female is read against the girls' blood pressure band."""

import datetime

import pytest
from django.utils import timezone

from hms.care.assignments import care_assign
from hms.encounters.services import encounter_start, observation_record_vitals
from hms.encounters.services.observations import VitalsQualifiers
from hms.encounters.vitals import DIASTOLIC, SYSTOLIC
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory

# At 2 years the boys' systolic band ends at 99 mmHg and the girls' at 100 (AAP 2017).
TWO_AND_A_HALF_YEARS = 2 * 365 + 180


@pytest.mark.parametrize(("sex_for_clinical_use", "flag"), [("female", ""), ("", "H")])
def test_a_childs_systolic_pressure_is_read_for_the_sex_for_clinical_use(
    staff, in_hospital, sex_for_clinical_use, flag
):
    patient = PatientFactory(
        birth_date=timezone.localdate() - datetime.timedelta(days=TWO_AND_A_HALF_YEARS),
        sex=Patient.Sex.MALE,
        sex_for_clinical_use=sex_for_clinical_use,
    )
    care_assign(
        acting_user=staff.receptionist,
        patient_id=patient.pk,
        clinician_user_id=staff.doctor.pk,
        reason="Walk-in",
    )
    encounter = encounter_start(acting_user=staff.doctor, patient=patient)
    rows = observation_record_vitals(
        acting_user=staff.nurse,
        encounter=encounter,
        values={SYSTOLIC: ("100", "mmHg"), DIASTOLIC: ("55", "mmHg")},
        qualifiers=VitalsQualifiers(),
    )
    assert {row.loinc_code: row.abnormal_flag for row in rows}[SYSTOLIC] == flag
