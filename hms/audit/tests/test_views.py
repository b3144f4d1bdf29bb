import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify, audit_record
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context


def _log(hospital_code="DMC001"):
    return reverse("audit:log", kwargs={"hospital_code": hospital_code})


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001", time_zone="Africa/Lagos")


@pytest.mark.django_db
def test_an_admin_reads_and_filters_the_log_and_the_reading_is_recorded(client, dmc, make_user):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=dmc)
    with hospital_context("DMC001"):
        audit_record(acting_user=doctor, action="patient.view", resource="Patient", patient_id=7)
        audit_record(acting_user=doctor, action="note.sign", resource="ClinicalNote", patient_id=8)
    client.force_login(admin)
    response = client.get(_log(), {"patient": "7"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>patient.view</td>" in body and "<td>note.sign</td>" not in body
    assert "<td>note.sign</td>" in client.get(_log(), {"action": "note."}).content.decode()
    with hospital_context("DMC001"):
        reads = AuditEvent.objects.filter(action="audit.view", actor_id=admin.pk)
        assert reads.count() == 2
        assert reads.first().patient_id == 7


@pytest.mark.django_db
def test_the_page_verifies_the_chain(client, dmc, make_user):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    client.force_login(admin)
    assert "The chain is intact" in client.get(_log(), {"verify": "1"}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["patient=abc", "actor=-1", "patient=99999999999999999999999"])
def test_bad_filters_answer_400_with_the_reason(client, dmc, make_user, query):
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=dmc))
    response = client.get(f"{_log()}?{query}")
    assert response.status_code == 400
    assert "Not a record number" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_only_the_hospitals_administrators_read_the_log_and_attempts_are_recorded(
    client, dmc, make_user, role
):
    user = make_user("someone", role=role, hospital=dmc)
    client.force_login(user)
    assert client.get(_log(), REMOTE_ADDR="192.0.2.9").status_code == 403
    with hospital_context("DMC001"):
        attempt = AuditEvent.objects.get()
    assert (attempt.actor_id, attempt.action, attempt.outcome, attempt.client_address) == (
        user.pk,
        "audit_log.view",
        "denied",
        "192.0.2.9",
    )
    assert attempt.detail == {"path": _log(), "method": "GET", "refusal": "permission_denied"}


@pytest.mark.django_db
def test_a_doctor_opening_a_patient_outside_their_care_is_recorded_by_patient(client, dmc, make_user):
    from hms.patients.tests.factories import PatientFactory

    doctor = make_user("doc", role=Role.DOCTOR, hospital=dmc)
    with hospital_context("DMC001"):
        stranger = PatientFactory()
    client.force_login(doctor)

    def prescriptions(patient_id):
        kwargs = {"hospital_code": "DMC001", "patient_id": patient_id}
        return reverse("orders:patient-prescriptions", kwargs=kwargs)

    response = client.get(prescriptions(stranger.pk))
    missing = client.get(prescriptions(987654))
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content
    with hospital_context("DMC001"):
        denied = list(AuditEvent.objects.filter(outcome="denied").order_by("id"))
        assert audit_chain_verify().intact
    assert [(e.patient_id, e.action) for e in denied] == [
        (stranger.pk, "prescription.view"),
        (None, "access"),
    ]


@pytest.mark.django_db
def test_anonymous_and_hospital_less_refusals_record_nothing_and_still_answer(client, dmc):
    assert client.get(_log()).status_code == 302  # to the login page
    with hospital_context("DMC001"):
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_the_log_runs_the_same_queries_for_three_times_the_events(client, dmc, make_user):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=dmc)
    client.force_login(admin)
    counts = []
    for added, shown in ((5, 5), (10, 15)):
        with hospital_context("DMC001"):
            for number in range(1, added + 1):
                audit_record(acting_user=doctor, action="patient.view", resource="Patient", patient_id=number)
        client.get(_log())  # sign-in and per-process look-ups out of the way
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias("DMC001")]) as hospital,
        ):
            response = client.get(_log(), {"action": "patient.view"})
        assert response.status_code == 200
        assert response.content.decode().count("<td>patient.view</td>") == shown
        counts.append((len(shared), len(hospital)))
    assert counts[0] == counts[1]
