import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_record
from hms.tenancy.context import hospital_context


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
    response = client.get("/h/DMC001/audit/?patient=7")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>patient.view</td>" in body and "<td>note.sign</td>" not in body
    assert "<td>note.sign</td>" in client.get("/h/DMC001/audit/?action=note.").content.decode()
    with hospital_context("DMC001"):
        reads = AuditEvent.objects.filter(action="audit.view", actor_id=admin.pk)
        assert reads.count() == 2
        assert reads.first().patient_id == 7


@pytest.mark.django_db
def test_the_page_verifies_the_chain(client, dmc, make_user):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    client.force_login(admin)
    assert "The chain is intact" in client.get("/h/DMC001/audit/?verify=1").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["patient=abc", "actor=-1", "patient=99999999999999999999999"])
def test_bad_filters_answer_400_with_the_reason(client, dmc, make_user, query):
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=dmc))
    response = client.get(f"/h/DMC001/audit/?{query}")
    assert response.status_code == 400
    assert "Not a record number" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_only_the_hospitals_administrators_read_the_log(client, dmc, make_user, role):
    client.force_login(make_user("someone", role=role, hospital=dmc))
    assert client.get("/h/DMC001/audit/").status_code == 403
    with hospital_context("DMC001"):
        assert not AuditEvent.objects.exists()
