"""Walk-ins: reception sends a patient to a clinician of this hospital, and that is care."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.care.access import patient_in_care
from hms.care.assignments import care_assign, care_assignment_end
from hms.care.models import CareAssignment
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.services import encounter_start
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


def test_a_walk_in_sent_to_a_doctor_lets_that_doctor_start_the_visit(people, patient):
    with hospital_context("TH001"):
        assignment = care_assign(
            acting_user=people.receptionist,
            patient_id=patient.pk,
            clinician_user_id=people.doctor.pk,
            reason="  Walk-in:   fever ",
        )
        assert assignment.reason == "Walk-in: fever"
        assert patient_in_care(user=people.doctor, patient_id=patient.pk)
        assert not patient_in_care(user=people.other_doctor, patient_id=patient.pk)
        encounter_start(acting_user=people.doctor, patient=patient.pk)
        with pytest.raises(NotFound):
            encounter_start(acting_user=people.other_doctor, patient=patient.pk)
        event = AuditEvent.objects.get(action="care_assignment.create")
        assert (
            event.detail["clinician_user_id"] == people.doctor.pk and event.actor_id == people.receptionist.pk
        )


def test_it_ends_by_hand_or_by_time(people, patient):
    with hospital_context("TH001"):
        first = care_assign(
            acting_user=people.nurse, patient_id=patient.pk, clinician_user_id=people.doctor.pk, reason="x"
        )
        care_assignment_end(acting_user=people.receptionist, assignment_id=first.pk)
        assert not patient_in_care(user=people.doctor, patient_id=patient.pk)
        second = care_assign(
            acting_user=people.nurse, patient_id=patient.pk, clinician_user_id=people.doctor.pk, reason="y"
        )
        past = timezone.now() - datetime.timedelta(hours=25)
        later = past + datetime.timedelta(days=1)
        CareAssignment.objects.filter(pk=second.pk).update(created_at=past, expires_at=later)
        assert not patient_in_care(user=people.doctor, patient_id=patient.pk)


def test_an_unknown_clinician_and_another_hospitals_answer_alike(people, patient):
    with hospital_context("TH001"):
        answers = set()
        for clinician in (people.foreign_doctor.pk, 999999, people.nurse.pk):
            with pytest.raises(NotFound) as refused:
                care_assign(
                    acting_user=people.receptionist,
                    patient_id=patient.pk,
                    clinician_user_id=clinician,
                    reason="x",
                )
            answers.add(refused.value.message)
        assert answers == {"No such clinician here."}
        assert not CareAssignment.objects.exists()


def test_doctors_and_patients_do_not_assign_and_a_reason_is_required(people, patient):
    with hospital_context("TH001"):
        with pytest.raises(NotAllowed):
            care_assign(
                acting_user=people.doctor,
                patient_id=patient.pk,
                clinician_user_id=people.doctor.pk,
                reason="me",
            )
        with pytest.raises(ApplicationError, match="reason is required"):
            care_assign(
                acting_user=people.receptionist,
                patient_id=patient.pk,
                clinician_user_id=people.doctor.pk,
                reason="",
            )


def test_the_desk_page_sends_a_walk_in(client, people, patient):
    url = reverse("care:assign", kwargs={"hospital_code": "TH001", "patient_id": patient.pk})
    client.force_login(people.receptionist)
    page = client.get(url)
    assert page.status_code == 200 and "dr_a" in page.content.decode()
    assert "dmc_doc" not in page.content.decode()
    assert client.post(url, {"clinician_user_id": people.doctor.pk, "reason": ""}).status_code == 400
    assert client.post(url, {"clinician_user_id": people.foreign_doctor.pk, "reason": "x"}).status_code in (
        400,
        404,
    )
    done = client.post(url, {"clinician_user_id": people.doctor.pk, "reason": "Walk-in: cough"})
    assert done.status_code == 302
    with hospital_context("TH001"):
        assert CareAssignment.objects.get().clinician_user_id == people.doctor.pk
    client.force_login(people.doctor)
    assert client.get(url).status_code == 403
