"""The per-patient access report and its CSV export: for the hospital's ADMIN only."""

import csv
import io

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.audit.services import audit_record
from hms.care.emergency import emergency_access_start
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


def _url(patient, **query):
    url = reverse("care:access-report", kwargs={"hospital_code": "TH001", "patient_id": patient.pk})
    return url + ("?format=csv" if query.get("csv") else "")


def test_the_report_shows_who_when_from_where_and_why(client, people, patient):
    with hospital_context("TH001"):
        audit_record(
            acting_user=people.nurse,
            action="patient.view",
            resource="Patient",
            patient_id=patient.pk,
            client_address="198.51.100.2",
        )
        emergency_access_start(acting_user=people.doctor, patient_id=patient.pk, reason="covering")
        audit_record(
            acting_user=people.doctor, action="note.view", resource="ClinicalNote", patient_id=patient.pk
        )
    client.force_login(people.admin)
    page = client.get(_url(patient))
    assert page.status_code == 200
    body = page.content.decode()
    assert "nurse" in body and "198.51.100.2" in body and "Covering for a colleague" in body

    export = client.get(_url(patient, csv=True))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:4] == ["time_utc", "user", "role", "action"]
    by_action = {row[3]: row for row in rows[1:]}
    assert by_action["patient.view"][5] == "198.51.100.2"
    assert by_action["note.view"][7] == "Covering for a colleague"
    with hospital_context("TH001"):
        assert AuditEvent.objects.filter(
            action="patient.access_report_export", actor_id=people.admin.pk
        ).exists()


def test_only_the_hospitals_admin_reads_it(client, people, patient):
    for user in (people.doctor, people.nurse, people.receptionist):
        client.force_login(user)
        assert client.get(_url(patient)).status_code == 403
        assert client.get(_url(patient, csv=True)).status_code == 403
    client.force_login(people.foreign_admin)
    assert client.get(_url(patient)).status_code == 404
    other = reverse("care:access-report", kwargs={"hospital_code": "DMC001", "patient_id": patient.pk})
    assert client.get(other).status_code == 404
