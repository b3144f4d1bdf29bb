import datetime

import pytest
from django.utils import timezone

from hms.accounts.models import Role
from hms.accounts.permissions import Action, Resource
from hms.care.access import patient_access, patient_in_care, patient_scope_filter
from hms.core.exceptions import NotAllowed, NotFound
from hms.encounters.models import Encounter
from hms.encounters.tests.factories import EncounterFactory
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def people(dmc, make_user):
    return {
        "doctor": make_user("dr_a", role=Role.DOCTOR, hospital=dmc),
        "other_doctor": make_user("dr_b", role=Role.DOCTOR, hospital=dmc),
        "nurse": make_user("nurse", role=Role.NURSE, hospital=dmc),
        "receptionist": make_user("desk", role=Role.RECEPTIONIST, hospital=dmc),
        "patient_user": make_user("pat", role=Role.PATIENT, hospital=dmc),
    }


@pytest.fixture
def patients(people):
    now = timezone.now()
    with hospital_context("DMC001"):
        seen, booked, cancelled, stranger, own = PatientFactory.create_batch(5)
        own.user_id = people["patient_user"].pk
        own.save()
        EncounterFactory(patient=seen, practitioner_user_id=people["doctor"].pk, started_at=now)
        hour = datetime.timedelta(hours=1)
        AppointmentFactory(
            patient=booked,
            practitioner_user_id=people["doctor"].pk,
            starts_at=now + hour,
            ends_at=now + 2 * hour,
        )
        AppointmentFactory(
            patient=cancelled,
            practitioner_user_id=people["doctor"].pk,
            starts_at=now + hour,
            ends_at=now + 2 * hour,
            status=Appointment.Status.CANCELLED,
        )
    return {"seen": seen, "booked": booked, "cancelled": cancelled, "stranger": stranger, "own": own}


@pytest.mark.django_db
def test_a_doctors_care_is_their_encounters_and_live_appointments(people, patients):
    doctor = people["doctor"]
    with hospital_context("DMC001"):
        assert patient_in_care(user=doctor, patient_id=patients["seen"].pk)
        assert patient_in_care(user=doctor, patient_id=patients["booked"].pk)
        assert not patient_in_care(user=doctor, patient_id=patients["cancelled"].pk)
        assert not patient_in_care(user=doctor, patient_id=patients["stranger"].pk)
        visible = Patient.objects.filter(
            patient_scope_filter(user=doctor, resource=Resource.NOTE, action=Action.VIEW, field="pk")
        )
        assert set(visible) == {patients["seen"], patients["booked"]}


@pytest.mark.django_db
def test_a_voided_encounter_ends_the_care_it_gave(people, patients):
    with hospital_context("DMC001"):
        Encounter.objects.filter(patient=patients["seen"]).update(
            voided_at=timezone.now(), void_reason="wrong patient"
        )
        assert not patient_in_care(user=people["doctor"], patient_id=patients["seen"].pk)


@pytest.mark.django_db
def test_out_of_care_answers_exactly_like_a_missing_patient(people, patients):
    doctor = people["other_doctor"]
    with hospital_context("DMC001"):
        with pytest.raises(NotFound) as out_of_care:
            patient_access(
                user=doctor, patient_id=patients["seen"].pk, resource=Resource.NOTE, action=Action.VIEW
            )
        with pytest.raises(NotFound) as missing:
            patient_access(user=doctor, patient_id=999999, resource=Resource.NOTE, action=Action.VIEW)
        with pytest.raises(NotFound):
            patient_access(user=doctor, patient_id="abc", resource=Resource.NOTE, action=Action.VIEW)
    assert out_of_care.value.message == missing.value.message


@pytest.mark.django_db
def test_a_patient_reaches_only_their_own_record(people, patients):
    patient_user = people["patient_user"]
    with hospital_context("DMC001"):
        own = patient_access(
            user=patient_user, patient_id=patients["own"].pk, resource=Resource.DIAGNOSIS, action=Action.VIEW
        )
        assert own == patients["own"]
        with pytest.raises(NotFound):
            patient_access(
                user=patient_user,
                patient_id=patients["seen"].pk,
                resource=Resource.DIAGNOSIS,
                action=Action.VIEW,
            )
        own_only = Encounter.objects.filter(
            patient_scope_filter(user=patient_user, resource=Resource.ENCOUNTER, action=Action.VIEW)
        )
        assert not own_only.exists()


@pytest.mark.django_db
def test_nurses_reach_every_patient_and_receptionists_no_clinical_record(people, patients):
    with hospital_context("DMC001"):
        for patient in patients.values():
            patient_access(
                user=people["nurse"],
                patient_id=patient.pk,
                resource=Resource.OBSERVATION,
                action=Action.CREATE,
            )
        with pytest.raises(NotAllowed):
            patient_access(
                user=people["receptionist"],
                patient_id=patients["seen"].pk,
                resource=Resource.NOTE,
                action=Action.VIEW,
            )
        with pytest.raises(NotAllowed):
            patient_scope_filter(user=people["receptionist"], resource=Resource.NOTE, action=Action.VIEW)
