"""Break-the-glass: who may, for how long, what is marked, and the ADMIN's review."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.audit.services import audit_record
from hms.care.access import patient_in_care
from hms.care.emergency import emergency_access_end, emergency_access_review, emergency_access_start
from hms.care.models import EmergencyAccess
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


def _start(people, patient, **kwargs):
    return emergency_access_start(
        acting_user=people.doctor, patient_id=patient.pk, reason=kwargs.pop("reason", "emergency"), **kwargs
    )


def test_access_opens_care_for_its_time_and_then_ends(people, patient, settings):
    settings.HMS_EMERGENCY_ACCESS_MINUTES = 30
    with hospital_context("TH001"):
        assert not patient_in_care(user=people.doctor, patient_id=patient.pk)
        access = _start(people, patient, client_address="192.0.2.1")
        assert patient_in_care(user=people.doctor, patient_id=patient.pk)
        assert not patient_in_care(user=people.other_doctor, patient_id=patient.pk)
        length = access.expires_at - access.started_at
        assert length == datetime.timedelta(minutes=30)
        assert _start(people, patient).pk == access.pk  # one open access at a time, not extended
        # Time passes: the access expires by itself.
        past = timezone.now() - datetime.timedelta(minutes=31)
        EmergencyAccess.objects.filter(pk=access.pk).update(started_at=past, expires_at=past + length)
        assert not patient_in_care(user=people.doctor, patient_id=patient.pk)
        event = AuditEvent.objects.get(action="emergency_access.start")
        assert event.patient_id == patient.pk and event.client_address == "192.0.2.1"
        assert event.detail["reason"] == "emergency" and event.detail["minutes"] == 30


def test_ending_it_early_is_for_its_holder(people, patient):
    with hospital_context("TH001"):
        access = _start(people, patient)
        with pytest.raises(NotFound):
            emergency_access_end(acting_user=people.other_doctor, access_id=access.pk)
        emergency_access_end(acting_user=people.doctor, access_id=access.pk)
        assert not patient_in_care(user=people.doctor, patient_id=patient.pk)
        assert AuditEvent.objects.filter(action="emergency_access.end").count() == 1


def test_events_about_that_patient_are_marked_and_no_others(people, patient):
    with hospital_context("TH001"):
        other = PatientFactory()
        _start(people, patient)
        audit_record(
            acting_user=people.doctor, action="patient.view", resource="Patient", patient_id=patient.pk
        )
        audit_record(
            acting_user=people.doctor, action="patient.view", resource="Patient", patient_id=other.pk
        )
        audit_record(
            acting_user=people.nurse, action="patient.view", resource="Patient", patient_id=patient.pk
        )
        views = {
            (e.actor_id, e.patient_id): e.detail for e in AuditEvent.objects.filter(action="patient.view")
        }
    assert views[(people.doctor.pk, patient.pk)]["emergency_reason"] == "emergency"
    assert "emergency_access" not in views[(people.doctor.pk, other.pk)]
    assert "emergency_access" not in views[(people.nurse.pk, patient.pk)]


@pytest.mark.parametrize("who", ["nurse", "receptionist", "admin"])
def test_only_clinicians_with_care_scope_break_the_glass(people, patient, who):
    with hospital_context("TH001"), pytest.raises(NotAllowed):
        emergency_access_start(acting_user=getattr(people, who), patient_id=patient.pk, reason="emergency")


def test_reasons_are_from_the_list_and_other_needs_words(people, patient):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError, match="Choose a reason"):
            _start(people, patient, reason="curious")
        with pytest.raises(ApplicationError, match="explanation is required"):
            _start(people, patient, reason="other", explanation="  ")
        with pytest.raises(ApplicationError, match="cannot be stored"):
            _start(people, patient, reason="other", explanation="a\x00b")
        assert not EmergencyAccess.objects.exists() and not AuditEvent.objects.exists()
        assert _start(people, patient, reason="other", explanation="Asked by the ward").explanation


def test_another_hospitals_patient_is_not_found(people, patient):
    with hospital_context("DMC001"), pytest.raises(NotFound):
        emergency_access_start(acting_user=people.foreign_doctor, patient_id=patient.pk, reason="emergency")


def test_the_admin_reviews_each_access_once_with_a_note(people, patient):
    with hospital_context("TH001"):
        access = _start(people, patient)
        with pytest.raises(NotAllowed):
            emergency_access_review(acting_user=people.doctor, access_id=access.pk, note="fine")
        with pytest.raises(ApplicationError, match="note is required"):
            emergency_access_review(acting_user=people.admin, access_id=access.pk, note=" ")
        reviewed = emergency_access_review(acting_user=people.admin, access_id=access.pk, note="Seen in A&E")
        assert reviewed.reviewed_by_username == "th_admin" and reviewed.review_note == "Seen in A&E"
        with pytest.raises(ApplicationError, match="already reviewed"):
            emergency_access_review(acting_user=people.admin, access_id=access.pk, note="again")


def test_the_review_page_lists_what_is_left_to_review(client, people, patient):
    with hospital_context("TH001"):
        access = _start(people, patient, reason="covering")
    url = reverse("care:emergency-list", kwargs={"hospital_code": "TH001"})
    client.force_login(people.admin)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "dr_a" in body and "Covering for a colleague" in body and "Akter" in body
    review = reverse("care:emergency-review", kwargs={"hospital_code": "TH001", "access_id": access.pk})
    assert client.post(review, {"note": ""}).status_code == 400
    assert client.post(review, {"note": "Covering Dr B's list"}).status_code == 302
    assert "Nothing to review" in client.get(url).content.decode()
    assert "Covering Dr B&#x27;s list" in client.get(url + "?all=1").content.decode()
    client.force_login(people.doctor)
    assert client.get(url).status_code == 403
    client.force_login(people.foreign_admin)
    assert client.get(url).status_code == 404
    foreign = reverse("care:emergency-list", kwargs={"hospital_code": "DMC001"})
    assert "Akter" not in client.get(foreign).content.decode()
