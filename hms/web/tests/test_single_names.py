"""A patient with one name (only a given name, or only a family name) shows as that one name on
the staff pages that list patients: no stray ", " or leading space where the missing name would be."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role
from hms.care.tests.factories import CareAssignmentFactory
from hms.encounters.tests.factories import EncounterFactory
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

# What a hand-built "family, given" or "given family" makes of a missing name.
ARTEFACT = re.compile(r"(>\s*, )|(, \s*<)|(, \()|(>\s+Onename)|(Mononym\s+<)")


@pytest.fixture
def hospital(make_hospital):
    return make_hospital("TH001", name="Test Hospital")


@pytest.fixture
def single_named(hospital, make_user):
    """Two single-name patients, each with an arrived appointment today and a walk-in
    assignment; returns the doctor they are booked with."""
    doctor = make_user("doctor", role=Role.DOCTOR, hospital=hospital)
    starts = timezone.now().replace(hour=0, minute=15, second=0, microsecond=0)
    with hospital_context(hospital):
        for slot, (given, family, mrn) in enumerate((("Onename", "", "MRN-G"), ("", "Mononym", "MRN-F"))):
            patient = PatientFactory(given_name=given, family_name=family, mrn=mrn)
            EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)
            AppointmentFactory(
                patient=patient,
                practitioner_user_id=doctor.pk,
                starts_at=starts + datetime.timedelta(minutes=15 * slot),
                ends_at=starts + datetime.timedelta(minutes=15 * (slot + 1)),
                status=Appointment.Status.ARRIVED,
            )
            CareAssignmentFactory(patient=patient, clinician_user_id=doctor.pk)
    return doctor


def _page(client, user, url_name, **kwargs):
    client.force_login(user)
    response = client.get(reverse(url_name, kwargs={"hospital_code": "TH001", **kwargs}))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (Role.RECEPTIONIST, "patient-list"),
        (Role.RECEPTIONIST, "hospital-home"),
        (Role.NURSE, "hospital-home"),
        (Role.DOCTOR, "hospital-home"),
    ],
)
def test_a_single_name_patient_shows_as_that_one_name(
    client, make_user, hospital, single_named, role, url_name
):
    user = single_named if role == Role.DOCTOR else make_user("staff", role=role, hospital=hospital)
    body = _page(client, user, url_name)
    assert "Onename" in body and "Mononym" in body
    assert ARTEFACT.search(body) is None, ARTEFACT.search(body)


@pytest.mark.django_db
def test_a_single_name_patient_heads_their_encounter_page_without_a_stray_comma(
    client, make_user, hospital, single_named
):
    with hospital_context(hospital):
        patient = Patient.objects.get(mrn="MRN-F")
    body = _page(client, single_named, "encounters:patient", patient_id=patient.pk)
    assert "<h1>Encounters: Mononym</h1>" in body
