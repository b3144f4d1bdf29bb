import csv
import datetime
import html
import io
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone as django_timezone

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify, audit_record
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context


def _log(hospital_code="DMC001"):
    return reverse("audit:log", kwargs={"hospital_code": hospital_code})


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001", time_zone="Africa/Lagos")


@pytest.fixture
def karim(dmc):
    with hospital_context("DMC001"):
        return PatientFactory(given_name="Karim", family_name="Uddin")


@pytest.mark.django_db
def test_an_admin_filters_the_log_by_mrn_and_the_reading_is_recorded(client, dmc, make_user, karim):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=dmc)
    with hospital_context("DMC001"):
        other = PatientFactory()
        audit_record(acting_user=doctor, action="patient.view", resource="Patient", patient_id=karim.pk)
        audit_record(acting_user=doctor, action="note.sign", resource="ClinicalNote", patient_id=other.pk)
    client.force_login(admin)
    response = client.get(_log(), {"mrn": karim.mrn})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>patient.view</td>" in body and "<td>note.sign</td>" not in body
    assert f"<td>Karim Uddin (MRN {karim.mrn})</td>" in body  # the patient by name and MRN, not an id
    assert "<td>note.sign</td>" in client.get(_log(), {"action": "note."}).content.decode()
    with hospital_context("DMC001"):
        reads = AuditEvent.objects.filter(action="audit.view", actor_id=admin.pk)
        assert reads.count() == 2
        assert reads.first().patient_id == karim.pk
        assert reads.first().detail["mrn"] == karim.mrn


@pytest.mark.django_db
def test_the_log_filters_by_username_and_shows_display_names(client, dmc, make_user):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    doctor = make_user("habib.ullah.doctor", role=Role.DOCTOR, hospital=dmc)
    doctor.first_name, doctor.last_name = "Habib", "Ullah"
    doctor.save()
    nurse = make_user("nurse", role=Role.NURSE, hospital=dmc)
    with hospital_context("DMC001"):
        audit_record(acting_user=doctor, action="patient.view", resource="Patient")
        audit_record(acting_user=nurse, action="observation.record", resource="Observation")
    client.force_login(admin)
    response = client.get(_log(), {"username": "Habib.Ullah.Doctor"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>patient.view</td>" in body and "<td>observation.record</td>" not in body
    assert "<td>Dr Habib Ullah</td>" in body


@pytest.mark.django_db
def test_the_log_filters_by_dates_of_the_hospital(client, dmc, make_user, monkeypatch):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    with hospital_context("DMC001"):
        for day, action in ((1, "patient.view"), (2, "note.sign"), (3, "patient.update")):
            # 22:30 UTC is 23:30 in Lagos (UTC+1), still that day there.
            moment = datetime.datetime(2026, 3, day, 22, 30, tzinfo=datetime.UTC)
            with monkeypatch.context() as patched:
                patched.setattr(django_timezone, "now", lambda moment=moment: moment)
                audit_record(acting_user=admin, action=action, resource="Patient")
    client.force_login(admin)
    body = client.get(_log(), {"date_from": "2026-03-02", "date_to": "2026-03-02"}).content.decode()
    assert "<td>note.sign</td>" in body
    assert "<td>patient.view</td>" not in body and "<td>patient.update</td>" not in body
    response = client.get(_log(), {"date_from": "2026-03-03", "date_to": "2026-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


@pytest.mark.django_db
def test_an_mrn_of_another_hospital_or_none_is_said_to_be_unknown(client, dmc, make_hospital, make_user):
    make_hospital("OTH001")
    with hospital_context("OTH001"):
        elsewhere = PatientFactory()
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=dmc))
    with hospital_context("DMC001"):
        assert not PatientFactory._meta.model.objects.filter(mrn=elsewhere.mrn).exists()
    for mrn in (elsewhere.mrn, "000000000"):
        response = client.get(_log(), {"mrn": mrn})
        assert response.status_code == 400
        assert f"No patient with MRN {mrn} in this hospital." in response.content.decode()


@pytest.mark.django_db
def test_the_csv_export_holds_the_rows_of_the_page(client, dmc, make_user, karim):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=dmc)
    with hospital_context("DMC001"):
        for action in ("patient.view", "=cmd|' /C calc'!A0", "note.sign"):
            audit_record(acting_user=doctor, action=action, resource="Patient", patient_id=karim.pk)
    client.force_login(admin)
    query = {"mrn": karim.mrn, "username": "doc"}
    page = client.get(_log(), query).content.decode()
    export = client.get(_log(), {**query, "export": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    table = re.search(r'<table class="audit-log">(.*?)</table>', page, re.S).group(1)
    header = [html.unescape(c) for c in re.findall(r"<th>([^<(]+?)(?: \([^)]*\))?</th>", table)]
    rows = [
        [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(<td>.*?)</tr>", table)
    ]
    exported = list(csv.reader(io.StringIO(export.content.decode())))
    assert exported[0] == header
    unquoted = [[cell.removeprefix("'") for cell in row] for row in exported[1:]]
    assert unquoted == rows
    assert len(rows) == 3
    assert any(row[4] == "'=cmd|' /C calc'!A0" for row in exported[1:])  # never a formula
    with hospital_context("DMC001"):
        export_event = AuditEvent.objects.get(action="audit.export")
    assert export_event.detail["rows"] == 3 and export_event.patient_id == karim.pk


@pytest.mark.django_db
def test_the_page_verifies_the_chain(client, dmc, make_user):
    admin = make_user("boss", role=Role.ADMIN, hospital=dmc)
    client.force_login(admin)
    assert "The chain is intact" in client.get(_log(), {"verify": "1"}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-02-30", "Enter a valid date."),
        ("date_to=12999-01-01", "Enter a valid date."),
        ("date_from=0999-01-01", "Choose a date between the years 1900 and 2999."),
        ("username=" + "x" * 151, "Ensure this value has at most 150 characters"),
    ],
)
def test_bad_filters_answer_400_with_the_reason(client, dmc, make_user, query, message):
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=dmc))
    response = client.get(f"{_log()}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


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
