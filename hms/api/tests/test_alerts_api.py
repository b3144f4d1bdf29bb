"""Critical result alerts through the API: the caller's alerts awaiting acknowledgement, one alert,
and the acknowledgement with its read-back; the alert pages' rules of who sees and acknowledges
which, and their audit rows."""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hms.accounts.display import display_name
from hms.alerts.models import CriticalAlert
from hms.alerts.tests.factories import CriticalAlertFactory
from hms.api.tests.clinic import OTHER, problem, url
from hms.audit.models import AuditEvent
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
JSON = "application/json"
POTASSIUM = "2823-3"


def _alert(clinic, who="doctor", **fields):
    with hospital_context("CL001"):
        return CriticalAlertFactory(patient=clinic.in_care, clinician_id=clinic.users[who].pk, **fields)


def _acknowledge(clinic, alert_id, read_back, who="doctor"):
    return clinic.api(who).post(
        url(f"critical-alerts/{alert_id}/acknowledge"), {"read_back": read_back}, content_type=JSON
    )


def _stored(alert_id):
    with hospital_context("CL001"):
        return CriticalAlert.objects.get(pk=alert_id)


def _audited(action, outcome=AuditEvent.Outcome.SUCCESS, **filters):
    with hospital_context("CL001"):
        return list(AuditEvent.objects.filter(action=action, outcome=outcome, **filters).order_by("id"))


def _critical_potassium(clinic) -> None:
    """A potassium of 6.9 ordered by the doctor, entered by the nurse, verified by the second doctor."""
    doctor, nurse = clinic.api("doctor"), clinic.api("nurse")
    encounter = doctor.post(url(f"patients/{clinic.in_care.pk}/encounters"), {}, content_type=JSON).json()
    (order,) = doctor.post(
        url(f"encounters/{encounter['id']}/lab-orders"), {"test_code": POTASSIUM}, content_type=JSON
    ).json()
    nurse.post(url(f"lab-orders/{order['id']}/collect"), content_type=JSON)
    entered = nurse.post(
        url(f"lab-orders/{order['id']}/results"), {"value": "6.9", "unit": "mmol/L"}, content_type=JSON
    )
    result = entered.json()["results"][0]
    assert result["flag"] == "HH", result
    verified = doctor.post(url(f"lab-results/{result['id']}/verify"), content_type=JSON)
    assert verified.status_code == 200, verified.content


def test_a_critical_result_waits_for_its_doctor_who_acknowledges_it_with_the_value(clinic):
    _critical_potassium(clinic)
    doctor = clinic.api("doctor")
    listed = doctor.get(url("critical-alerts"))
    assert listed.status_code == 200, listed.content
    page = listed.json()
    assert (page["next"], page["previous"]) == (None, None)
    (row,) = page["results"]
    patient = clinic.in_care
    assert row["patient"] == {"id": patient.pk, "mrn": patient.mrn, "name": "Carey Incare"}
    assert row["text"].startswith("Potassium 6.9") and row["text"].endswith("(HH)")
    assert (row["value"], row["unit"], row["flag"], row["state"]) == ("6.9", "mmol/L", "HH", "open")
    assert row["resource"] == "LabResult" and row["record_id"] > 0
    assert row["clinician"] == {"id": clinic.users["doctor"].pk, "name": display_name(clinic.users["doctor"])}
    assert (row["escalated_at"], row["escalated_to"]) == (None, None)
    assert (row["acknowledged_at"], row["acknowledged_by"], row["read_back"]) == (None, None, "")
    assert row["raised_at"] < row["due_at"]
    assert doctor.get(url(f"critical-alerts/{row['id']}")).json() == row

    misheard = problem(_acknowledge(clinic, row["id"], "K 9.6, repeating it"), 400)
    assert "does not state the value 6.9" in misheard["detail"]
    assert misheard["errors"] == {"read_back": ["Write the value 6.9 as part of the read-back."]}
    assert _stored(row["id"]).state == CriticalAlert.State.OPEN
    assert not _audited("critical_alert.acknowledge")

    done = _acknowledge(clinic, row["id"], "  K 6,9 -  calcium gluconate now ")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["state"], body["read_back"]) == ("acknowledged", "K 6,9 - calcium gluconate now")
    assert body["acknowledged_by"] == row["clinician"] and body["acknowledged_at"]
    assert doctor.get(url("critical-alerts")).json()["results"] == []

    again = problem(_acknowledge(clinic, row["id"], "K 6.9"), 400)
    assert again["detail"] == "This alert was already acknowledged."
    assert _stored(row["id"]).read_back == "K 6,9 - calcium gluconate now"
    (acknowledged,) = _audited("critical_alert.acknowledge")
    assert (acknowledged.actor_username, acknowledged.patient_id) == ("cl-doctor", patient.pk)
    assert acknowledged.detail["read_back"] == "K 6,9 - calcium gluconate now"


def test_the_list_holds_the_callers_open_alerts_a_page_at_a_time(clinic):
    mine = [
        _alert(clinic, raised_at=timezone.now() - datetime.timedelta(minutes=n)) for n in range(26, 0, -1)
    ]
    _alert(
        clinic,
        state=CriticalAlert.State.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        acknowledged_by_id=clinic.users["doctor"].pk,
        read_back="K 6.9",
    )
    theirs = _alert(clinic, who="doctor2")
    doctor = clinic.api("doctor")
    first = doctor.get(url("critical-alerts")).json()
    assert [row["id"] for row in first["results"]] == [alert.pk for alert in mine[:25]]  # oldest first
    assert first["previous"] is None and first["next"]
    second = doctor.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [mine[25].pk]
    assert second["next"] is None and second["previous"]
    # Every page read is audited with the alerts it showed, and their patient.
    pages = _audited("critical_alert.list", actor_username="cl-doctor")
    assert [event.detail["criticalalert_ids"] for event in pages] == [
        [alert.pk for alert in mine[:25]],
        [mine[25].pk],
    ]
    assert pages[0].detail["patient_ids"] == [clinic.in_care.pk]
    # The second doctor's own alert, about a patient not in their care, is not theirs to see.
    assert clinic.api("doctor2").get(url("critical-alerts")).json()["results"] == []
    assert problem(doctor.get(url("critical-alerts?cursor=junk")), 404)
    assert theirs.pk not in {row["id"] for row in first["results"] + second["results"]}


def test_the_list_reads_the_same_number_of_queries_whatever_its_length(clinic):
    doctor = clinic.api("doctor")
    doctor.get(url("critical-alerts"))  # the token's and the hospital's first look-ups out of the way
    counts = []
    for added in (1, 4):
        for _ in range(added):
            _alert(clinic)
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias("CL001")]) as hospital,
        ):
            rows = doctor.get(url("critical-alerts")).json()["results"]
        counts.append((len(rows), len(shared), len(hospital)))
    assert [c[0] for c in counts] == [1, 5]
    assert counts[0][1:] == counts[1][1:]


def test_an_overdue_alert_is_escalated_before_it_is_read(clinic):
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    alert = _alert(clinic, raised_at=long_ago, due_at=long_ago + datetime.timedelta(minutes=30))
    (row,) = clinic.api("doctor").get(url("critical-alerts")).json()["results"]
    admin = clinic.users["admin"]  # no colleague in the doctor's department: the administrator
    assert row["state"] == "escalated" and row["escalated_at"]
    assert row["escalated_to"] == {"id": admin.pk, "name": display_name(admin)}
    assert [r["id"] for r in clinic.api("admin").get(url("critical-alerts")).json()["results"]] == [alert.pk]
    assert _audited("critical_alert.escalate")
    # The administrator sees it, but only a clinician acknowledges it.
    assert clinic.api("admin").get(url(f"critical-alerts/{alert.pk}")).json()["state"] == "escalated"
    refused = problem(_acknowledge(clinic, alert.pk, "K 6.9", who="admin"), 403)
    assert "may not update critical alert" in refused["detail"]
    assert _stored(alert.pk).acknowledged_at is None


@pytest.mark.parametrize("who", ["nurse", "reception", "patient"])
def test_a_role_without_alerts_is_refused_and_nothing_is_recorded(clinic, who):
    alert = _alert(clinic)
    client = clinic.api(who)
    problem(client.get(url("critical-alerts")), 403)
    problem(client.get(url(f"critical-alerts/{alert.pk}")), 403)
    # Refused before the body is read: even a read-back stating the value.
    problem(_acknowledge(clinic, alert.pk, "K 6.9", who=who), 403)
    problem(_acknowledge(clinic, alert.pk, "", who=who), 403)
    assert _stored(alert.pk).state == CriticalAlert.State.OPEN
    assert not _audited("critical_alert.view") and not _audited("critical_alert.list")
    # Each refusal is in the log as denied, naming what the matrix refused.
    denied = AuditEvent.Outcome.DENIED
    assert len(_audited("critical_alert.view", denied, actor_username=f"cl-{who}")) == 2
    assert len(_audited("critical_alert.update", denied, actor_username=f"cl-{who}")) == 2


def test_another_doctors_alert_answers_as_a_missing_one(clinic):
    alert = _alert(clinic)
    other = clinic.api("doctor2")
    missing = problem(other.get(url("critical-alerts/99999999")), 404)
    assert problem(other.get(url(f"critical-alerts/{alert.pk}")), 404) == missing
    assert missing["detail"] == "No such alert here."
    not_theirs = problem(_acknowledge(clinic, alert.pk, "K 6.9", who="doctor2"), 404)
    assert not_theirs == problem(_acknowledge(clinic, 99999999, "K 6.9", who="doctor2"), 404)
    assert _stored(alert.pk).state == CriticalAlert.State.OPEN
    assert not _audited("critical_alert.view")
    assert len(_audited("access", AuditEvent.Outcome.DENIED, actor_username="cl-doctor2")) == 4


def test_another_hospitals_token_reads_nothing(clinic):
    alert = _alert(clinic)
    outsider = clinic.api("outsider")
    for response in (
        outsider.get(url("critical-alerts")),
        outsider.get(url(f"critical-alerts/{alert.pk}")),
        _acknowledge(clinic, alert.pk, "K 6.9", who="outsider"),
    ):
        body = problem(response, 404)
        assert b"Incare" not in response.content and b"Potassium" not in response.content
        assert body == problem(outsider.get(url("critical-alerts", code="NOSUCH1")), 404)
    # Its own hospital's address with this hospital's alert id: as a missing alert there.
    theirs = problem(outsider.get(url(f"critical-alerts/{alert.pk}", code=OTHER)), 404)
    assert theirs == problem(outsider.get(url("critical-alerts/99999999", code=OTHER)), 404)
    theirs_acknowledged = _acknowledge(clinic, alert.pk, "K 6.9", who="outsider")
    assert theirs_acknowledged.status_code == 404
    assert _stored(alert.pk).state == CriticalAlert.State.OPEN
    assert not _audited("critical_alert.view") and not _audited("critical_alert.acknowledge")


def test_a_read_back_that_does_not_read_is_a_400_and_nothing_is_recorded(clinic):
    alert = _alert(clinic)
    doctor = clinic.api("doctor")
    address = url(f"critical-alerts/{alert.pk}/acknowledge")
    left_out = problem(doctor.post(address, {}, content_type=JSON), 400)
    assert left_out["errors"] == {"read_back": ["Read back the value (6.9) and what you will do."]}
    control = problem(doctor.post(address, {"read_back": "K 6.9\x00"}, content_type=JSON), 400)
    assert list(control["errors"]) == ["read_back"]
    too_long = problem(doctor.post(address, {"read_back": "6.9 " + "x" * 500}, content_type=JSON), 400)
    assert list(too_long["errors"]) == ["read_back"]
    wrong_type = problem(doctor.post(address, {"read_back": ["6.9"]}, content_type=JSON), 400)
    assert list(wrong_type["errors"]) == ["read_back"]
    problem(doctor.post(address, "{6.9", content_type=JSON), 400)
    assert _stored(alert.pk).state == CriticalAlert.State.OPEN
    assert not _audited("critical_alert.acknowledge")
