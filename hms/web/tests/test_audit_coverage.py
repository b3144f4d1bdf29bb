"""Every page that shows a patient's data records the read, for that patient, in the hospital's log."""

import re

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.care.tests.factories import CareAssignmentFactory
from hms.encounters.services import encounter_start, observation_record_vitals
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context
from hms.web.navigation import CHART_LINKS


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_each_part_of_a_record_a_role_opens_is_audited_for_that_patient(client, make_user, th001, role):
    doctor = make_user("doc", role=Role.DOCTOR, hospital=th001)
    user = doctor if role == Role.DOCTOR else make_user("user", role=role, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory(user_id=user.pk if role == Role.PATIENT else None)
        CareAssignmentFactory(patient=patient, clinician_user_id=doctor.pk)
        encounter = encounter_start(acting_user=doctor, patient=patient, reason="Headache")
        observation_record_vitals(acting_user=doctor, encounter=encounter, values={"8867-4": ("72", "/min")})
    client.force_login(user)
    record_page = reverse("patients:detail", kwargs={"hospital_code": "TH001", "patient_id": patient.pk})
    pages = [record_page, *_chart_hrefs(client.get(record_page).content.decode())]
    assert 1 < len(pages) <= 1 + len(CHART_LINKS)
    for page in pages:
        with hospital_context("TH001"):
            before = AuditEvent.objects.count()
        response = client.get(page, REMOTE_ADDR="198.51.100.4")
        assert response.status_code == 200, page
        with hospital_context("TH001"):
            new = list(AuditEvent.objects.order_by("id"))[before:]
        assert new, f"{page} showed patient data without an audit row"
        assert any(e.patient_id == patient.pk and e.outcome == "success" for e in new), page
        assert all(e.actor_id == user.pk and e.client_address == "198.51.100.4" for e in new), page
    with hospital_context("TH001"):
        assert audit_chain_verify().intact


def _chart_hrefs(html: str) -> list[str]:
    found = re.search(r'<ul class="chart-links">(.*?)</ul>', html, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []
