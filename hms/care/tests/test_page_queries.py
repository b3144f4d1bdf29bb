"""Every list page of the care app costs the same number of queries for N rows as for 3N:
the break-the-glass review list and a patient's access report (page and CSV)."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.audit.services import audit_record
from hms.care.tests.factories import EmergencyAccessFactory
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
N = 3


def _queries(client, url):
    """(hospital database, shared database) queries of one page view."""
    with (
        hospital_context("TH001") as tenant,
        CaptureQueriesContext(connections[tenant.alias]) as hospital,
        CaptureQueriesContext(connections["default"]) as shared,
    ):
        response = client.get(url)
    assert response.status_code == 200, url
    assert len(hospital) > 0
    return len(hospital), len(shared)


def _same_cost(client, url, add):
    add(1)
    _queries(client, url)  # first view: caches (the hospital, the menu) are warm after it
    add(N)
    few = _queries(client, url)
    add(2 * N)
    assert _queries(client, url) == few


@pytest.mark.parametrize("everything", [False, True], ids=["to-review", "all"])
def test_the_break_the_glass_review_list(client, people, everything):
    """Each access names its holder (a shared user) and its patient: neither costs a query a row."""
    holders = (people.doctor, people.other_doctor)

    def add(count):
        with hospital_context("TH001"):
            for holder in holders * count:
                EmergencyAccessFactory(patient=PatientFactory(), user_id=holder.pk, username=holder.username)

    client.force_login(people.admin)
    url = reverse("care:emergency-list", kwargs={"hospital_code": "TH001"})
    _same_cost(client, url + ("?all=1" if everything else ""), add)


@pytest.mark.parametrize("export", [False, True], ids=["page", "csv"])
def test_a_patients_access_report(client, people, patient, export):
    """Each row names the user who read the record and their role, from the shared database."""
    readers = (people.doctor, people.nurse, people.receptionist)

    def add(count):
        with hospital_context("TH001"):
            for reader in readers * count:
                audit_record(
                    acting_user=reader,
                    action="patient.view",
                    resource="Patient",
                    patient_id=patient.pk,
                    client_address="198.51.100.7",
                )

    client.force_login(people.admin)
    url = reverse("care:access-report", kwargs={"hospital_code": "TH001", "patient_id": patient.pk})
    _same_cost(client, url + ("?format=csv" if export else ""), add)
