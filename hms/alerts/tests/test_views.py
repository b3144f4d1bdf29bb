"""The alert pages: the doctor's start page and list, the acknowledgement, the ADMIN's settings."""

import pytest
from django.urls import reverse

from hms.alerts.models import AlertSettings, CriticalAlert
from hms.alerts.tests.factories import CriticalAlertFactory
from hms.alerts.tests.helpers import audited, the_alert
from hms.tenancy.context import hospital_context


def _url(name, **kwargs):
    return reverse(name, kwargs={"hospital_code": "DMC001", **kwargs})


@pytest.fixture
def alert(encounter, doctor):
    with hospital_context("DMC001"):
        return CriticalAlertFactory(patient=encounter.patient, clinician_id=doctor.pk)


@pytest.mark.django_db
def test_the_doctor_acknowledges_from_the_start_page(client, doctor, alert):
    client.force_login(doctor)
    home = client.get(_url("hospital-home")).content.decode()
    assert 'id="critical-alerts"' in home
    assert home.index("critical-alerts") < home.index('id="clinic"')  # first on the page
    assert "Potassium 6.9 mmol/L (HH)" in home and "Uddin, Rahim" in home

    refused = client.post(
        _url("alerts:acknowledge", alert_id=alert.pk), {"read_back": "K 9.6", "next": _url("hospital-home")}
    )
    assert refused.status_code == 400
    assert "does not state the value 6.9" in refused.content.decode()
    assert 'value="K 9.6"' in refused.content.decode()  # what was typed stays in the form

    done = client.post(
        _url("alerts:acknowledge", alert_id=alert.pk),
        {"read_back": "K 6.9, treating", "next": _url("hospital-home")},
    )
    assert done.status_code == 302 and done["Location"] == _url("hospital-home")
    home = client.get(done["Location"]).content.decode()
    assert "Acknowledged: Potassium 6.9 mmol/L (HH)" in home
    assert 'id="critical-alerts"' not in home
    with hospital_context("DMC001"):
        assert the_alert().read_back == "K 6.9, treating"


@pytest.mark.django_db
def test_a_start_page_without_alerts_audits_no_alert_list(client, doctor, encounter):
    client.force_login(doctor)
    assert 'id="critical-alerts"' not in client.get(_url("hospital-home")).content.decode()
    with hospital_context("DMC001"):
        assert audited("critical_alert.list") == []


@pytest.mark.django_db
def test_an_acknowledgement_goes_back_only_to_a_page_of_this_site(client, doctor, alert):
    client.force_login(doctor)
    done = client.post(
        _url("alerts:acknowledge", alert_id=alert.pk), {"read_back": "6.9", "next": "https://evil.example/"}
    )
    assert done["Location"] == _url("alerts:list")


@pytest.mark.django_db
def test_the_list_shows_a_doctor_their_own_and_the_admin_every_one(
    client, doctor, colleague, admin, alert, departments
):
    client.force_login(colleague)
    assert "Potassium" not in client.get(_url("alerts:list")).content.decode()
    client.force_login(doctor)
    mine = client.get(_url("alerts:list")).content.decode()
    assert "Potassium 6.9 mmol/L (HH)" in mine and 'name="read_back"' in mine
    client.force_login(admin)
    everyone = client.get(_url("alerts:list")).content.decode()
    assert "Potassium 6.9 mmol/L (HH)" in everyone and "Dr Gregory House" in everyone
    assert "Alert settings" in everyone and "Alert settings" not in mine
    assert 'name="read_back"' not in everyone  # the administrator does not acknowledge
    with hospital_context("DMC001"):
        [listed] = [event for event in audited("critical_alert.list") if event.actor_id == admin.pk]
        assert listed.detail["criticalalert_ids"] == [alert.pk]
        assert listed.detail["patient_ids"] == [alert.patient_id]


@pytest.mark.django_db
def test_an_overdue_alert_is_escalated_when_a_start_page_loads(client, doctor, other_doctor, alert, admin):
    with hospital_context("DMC001"):
        CriticalAlert.objects.filter(pk=alert.pk).update(
            raised_at=alert.raised_at.replace(year=2020), due_at=alert.due_at.replace(year=2020)
        )
    client.force_login(other_doctor)
    client.get(_url("hospital-home"))
    with hospital_context("DMC001"):
        assert the_alert().escalated_to_id == admin.pk  # no department: the administrator


@pytest.mark.django_db
def test_the_admin_sets_the_escalation(client, admin, doctor, other_doctor):
    client.force_login(admin)
    page = client.get(_url("alerts:settings")).content.decode()
    assert 'value="30"' in page and "Dr James Wilson" in page and 'value="email"' in page
    refused = client.post(
        _url("alerts:settings"), {"escalation_minutes": "300", "escalation_clinician_id": ""}
    )
    assert refused.status_code == 400 and "Choose between 5 and 240 minutes." in refused.content.decode()
    saved = client.post(
        _url("alerts:settings"),
        {"escalation_minutes": "20", "escalation_clinician_id": str(other_doctor.pk)},
    )
    assert saved.status_code == 302
    with hospital_context("DMC001"):
        settings = AlertSettings.objects.get()
        assert (settings.escalation_minutes, settings.escalation_clinician_id, settings.channels) == (
            20,
            other_doctor.pk,
            [],
        )
    client.force_login(doctor)
    assert client.get(_url("alerts:settings")).status_code == 403
    assert client.post(_url("alerts:settings"), {"escalation_minutes": "20"}).status_code == 403
