"""Critical results are acted on: raised to the responsible clinician, acknowledged with a
read-back of the value, escalated once when nobody acknowledges them in time."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from hms.alerts.configuration import alert_settings_update
from hms.alerts.models import CriticalAlert
from hms.alerts.selectors import critical_alerts_page, critical_alerts_to_acknowledge
from hms.alerts.services import Finding, critical_alert_acknowledge, critical_alert_raise
from hms.alerts.tests.helpers import audited, the_alert, validated_potassium
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.services.observations import VitalsQualifiers, observation_record_vitals
from hms.hospitals.models import Hospital
from hms.orders import services
from hms.tenancy.context import hospital_context

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def alert(doctor, nurse, scientist, encounter):
    with hospital_context("DMC001"):
        validated_potassium(doctor, nurse, scientist, encounter)
        return the_alert()


@pytest.mark.django_db
def test_a_validated_critical_potassium_raises_one_alert_to_the_ordering_doctor(
    doctor, nurse, scientist, encounter, django_capture_on_commit_callbacks
):
    with hospital_context("DMC001"), django_capture_on_commit_callbacks(execute=True):
        order = services.lab_order_create(acting_user=doctor, encounter_id=encounter.pk, test_code="2823-3")[
            0
        ]
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        result = services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="6.9", unit="mmol/L")
        assert not CriticalAlert.objects.exists()  # entered, not yet validated by the laboratory

        services.lab_result_verify(acting_user=scientist, result_id=result.pk)

        alert = the_alert()
        assert (alert.clinician_id, alert.resource, alert.record_id) == (doctor.pk, "LabResult", result.pk)
        assert alert.text == "Potassium 6.9 mmol/L (HH)"
        assert alert.state == CriticalAlert.State.OPEN
        assert alert.due_at - alert.raised_at == 30 * MINUTE  # the default
        assert [event.detail["alert_id"] for event in audited("critical_alert.raise")] == [alert.pk]
        finding = Finding(
            "LabResult", result.pk, encounter.patient_id, "Potassium", Decimal("6.9"), "mmol/L", "HH"
        )
        again = critical_alert_raise(acting_user=scientist, clinician_id=doctor.pk, finding=finding)
        assert again is not None and again.pk == alert.pk
        assert CriticalAlert.objects.count() == 1
    # The doctor is told by e-mail, without the patient's name or the value.
    assert [message.to for message in mail.outbox] == [["dr_house@example.org"]]
    assert "6.9" not in mail.outbox[0].body and "Uddin" not in mail.outbox[0].body
    assert "/h/DMC001/alerts/" in mail.outbox[0].body
    assert "UTC+6 it is escalated" in mail.outbox[0].body  # the hospital's own time (Asia/Dhaka)


@pytest.mark.django_db
def test_a_result_that_is_not_critical_raises_nothing(doctor, nurse, scientist, encounter):
    with hospital_context("DMC001"):
        validated_potassium(doctor, nurse, scientist, encounter, value="5.5")  # high, not critical
        assert not CriticalAlert.objects.exists()


@pytest.mark.django_db
def test_a_wrong_read_back_is_refused_and_nothing_is_recorded(doctor, alert):
    with hospital_context("DMC001"):
        for read_back in ("K 9.6, repeat it", "potassium high", ""):
            with pytest.raises(ApplicationError) as refused:
                critical_alert_acknowledge(acting_user=doctor, alert_id=alert.pk, read_back=read_back)
            assert "read_back" in refused.value.details
        with pytest.raises(ApplicationError, match="does not state the value 6.9; nothing was recorded"):
            critical_alert_acknowledge(acting_user=doctor, alert_id=alert.pk, read_back="K 9.6")
        alert.refresh_from_db()
        assert alert.state == CriticalAlert.State.OPEN
        assert (alert.acknowledged_at, alert.acknowledged_by_id, alert.read_back) == (None, None, "")
        assert audited("critical_alert.acknowledge") == []


@pytest.mark.django_db
def test_the_right_read_back_is_recorded_and_audited(doctor, alert):
    with hospital_context("DMC001"):
        done = critical_alert_acknowledge(
            acting_user=doctor,
            alert_id=alert.pk,
            read_back="  K 6.9   mmol/L, repeating and treating ",
            client_address="10.0.0.9",
        )
        alert.refresh_from_db()
        assert alert.state == CriticalAlert.State.ACKNOWLEDGED == done.state
        assert alert.acknowledged_by_id == doctor.pk and alert.acknowledged_at is not None
        assert alert.read_back == "K 6.9 mmol/L, repeating and treating"
        [event] = audited("critical_alert.acknowledge")
        assert (event.actor_id, event.patient_id, event.client_address) == (
            doctor.pk,
            alert.patient_id,
            "10.0.0.9",
        )
        assert event.detail["read_back"] == alert.read_back and event.detail["record_id"] == alert.record_id
        with pytest.raises(ApplicationError, match="already acknowledged"):
            critical_alert_acknowledge(acting_user=doctor, alert_id=alert.pk, read_back="6.9")
        assert critical_alerts_to_acknowledge(user=doctor) == []


@pytest.mark.django_db
def test_only_the_clinicians_it_is_addressed_to_may_acknowledge(alert, colleague, nurse, admin, scientist):
    with hospital_context("DMC001"):
        with pytest.raises(NotFound):  # another doctor: as a missing alert
            critical_alert_acknowledge(acting_user=colleague, alert_id=alert.pk, read_back="6.9")
        for user in (nurse, admin, scientist):
            with pytest.raises(NotAllowed):
                critical_alert_acknowledge(acting_user=user, alert_id=alert.pk, read_back="6.9")
        with pytest.raises(NotFound):
            critical_alert_acknowledge(acting_user=colleague, alert_id="junk", read_back="6.9")
        assert critical_alerts_to_acknowledge(user=colleague) == []
        assert the_alert().state == CriticalAlert.State.OPEN


def _escalate(now):
    out = io.StringIO()
    call_command("escalate_critical_alerts", "--now", now.isoformat(), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_an_alert_unacknowledged_past_its_time_is_escalated_to_the_second_clinician_once(
    alert, doctor, colleague, departments, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        early = _escalate(alert.due_at - MINUTE)
    with hospital_context("DMC001"):
        assert the_alert().state == CriticalAlert.State.OPEN and audited("critical_alert.escalate") == []
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        output = _escalate(alert.due_at + MINUTE)
        again = _escalate(alert.due_at + 10 * MINUTE)

    assert "DMC001" in output and "DMC001" in early
    with hospital_context("DMC001"):
        escalated = the_alert()
        assert escalated.state == CriticalAlert.State.ESCALATED
        assert escalated.escalated_to_id == colleague.pk  # the doctor's department, not surgery
        assert escalated.escalated_at == alert.due_at + MINUTE
        [event] = audited("critical_alert.escalate")
        assert event.actor_id is None and event.detail["escalated_to_id"] == colleague.pk
        assert event.patient_id == alert.patient_id
        # Now on the colleague's list too; either of them may acknowledge it.
        assert [entry.alert.pk for entry in critical_alerts_to_acknowledge(user=colleague)] == [alert.pk]
        critical_alert_acknowledge(acting_user=colleague, alert_id=alert.pk, read_back="6.9 noted")
        assert the_alert().acknowledged_by_id == colleague.pk
    assert [message.to for message in mail.outbox] == [["dr_cuddy@example.org"]]
    assert "0" in again.split()  # the second run escalated none


@pytest.mark.django_db
def test_escalation_goes_to_the_hospitals_escalation_clinician_first_and_else_to_the_admins(
    doctor, nurse, scientist, encounter, other_doctor, admin
):
    with hospital_context("DMC001"):
        validated_potassium(doctor, nurse, scientist, encounter)
        first = the_alert()
    _escalate(first.due_at)  # no department, no escalation clinician: the administrators
    with hospital_context("DMC001"):
        assert the_alert().escalated_to_id == admin.pk
        alert_settings_update(
            acting_user=admin, escalation_minutes=15, escalation_clinician_id=other_doctor.pk, channels=[]
        )
        second = validated_potassium(doctor, nurse, scientist, encounter, value="2.1")
        alert = CriticalAlert.objects.get(record_id=second.pk)
        assert alert.text == "Potassium 2.1 mmol/L (LL)" and alert.due_at - alert.raised_at == 15 * MINUTE
    _escalate(alert.due_at)
    with hospital_context("DMC001"):
        assert CriticalAlert.objects.get(pk=alert.pk).escalated_to_id == other_doctor.pk


@pytest.mark.django_db
def test_another_hospitals_user_can_neither_see_nor_acknowledge_it(alert, foreign_doctor, client):
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):
            critical_alert_acknowledge(acting_user=foreign_doctor, alert_id=alert.pk, read_back="6.9")
        with pytest.raises(NotAllowed):
            critical_alerts_page(user=foreign_doctor, include_acknowledged=True)
    with hospital_context("ELSE001"):
        assert critical_alerts_to_acknowledge(user=foreign_doctor) == []
        assert not CriticalAlert.objects.exists()
    client.force_login(foreign_doctor)
    assert client.get("/h/DMC001/alerts/").status_code == 404
    posted = client.post(f"/h/DMC001/alerts/{alert.pk}/acknowledge/", {"read_back": "6.9"})
    assert posted.status_code == 404
    with hospital_context("DMC001"):
        assert the_alert().state == CriticalAlert.State.OPEN


@pytest.mark.django_db
def test_the_settings_are_the_admins_and_checked(admin, doctor, other_doctor):
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):
            alert_settings_update(
                acting_user=doctor, escalation_minutes=20, escalation_clinician_id=None, channels=[]
            )
        with pytest.raises(ApplicationError) as refused:
            alert_settings_update(
                acting_user=admin, escalation_minutes=2, escalation_clinician_id=admin.pk, channels=["pager"]
            )
        assert set(refused.value.details) == {"escalation_minutes", "escalation_clinician_id", "channels"}
        assert audited("alert_settings.update") == []
        alert_settings_update(
            acting_user=admin,
            escalation_minutes=20,
            escalation_clinician_id=other_doctor.pk,
            channels=["email"],
        )
        [event] = audited("alert_settings.update")
        assert event.detail["changed"] == {
            "escalation_minutes": [30, 20],
            "escalation_clinician_id": [None, other_doctor.pk],
        }


@pytest.mark.django_db
def test_a_critical_finding_without_a_number_or_flag_raises_nothing(doctor, patient):
    with hospital_context("DMC001"):
        for value, flag in ((None, "HH"), (Decimal(7), "H"), (Decimal(7), "")):
            finding = Finding("LabResult", 1, patient.pk, "Potassium", value, "mmol/L", flag)
            assert critical_alert_raise(acting_user=doctor, clinician_id=doctor.pk, finding=finding) is None
        assert not CriticalAlert.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_a_time_without_its_offset(dmc):
    with pytest.raises(CommandError, match="offset"):
        call_command("escalate_critical_alerts", "--now", "2026-12-06T09:30:00")
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("escalate_critical_alerts", "--now", "tomorrow")


@pytest.mark.django_db
def test_a_critical_vital_sign_raises_an_alert_to_the_encounters_doctor(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        rows = observation_record_vitals(
            acting_user=nurse,
            encounter=encounter.pk,
            values={"59408-5": (Decimal(45), "%"), "8867-4": (Decimal(80), "/min")},
            qualifiers=VitalsQualifiers(confirmed=True),
        )
        spo2 = next(row for row in rows if row.loinc_code == "59408-5")
        assert spo2.abnormal_flag == "LL"
        alert = the_alert()  # the heart rate of 80 raises none
        assert (alert.resource, alert.record_id, alert.clinician_id) == ("Observation", spo2.pk, doctor.pk)
        assert alert.text.endswith("45 % (LL)") and alert.raised_by_id == nurse.pk


@pytest.mark.django_db
def test_a_hospital_being_moved_is_escalated_after_the_move(alert, colleague, departments):
    Hospital.objects.filter(code="DMC001").update(read_only=True)
    assert _escalate(alert.due_at + MINUTE).splitlines()[1].split() == ["DMC001", "ok", "0"]
    with hospital_context("DMC001"):
        assert the_alert().state == CriticalAlert.State.OPEN
    Hospital.objects.filter(code="DMC001").update(read_only=False)
    _escalate(alert.due_at + 2 * MINUTE)
    with hospital_context("DMC001"):
        assert the_alert().escalated_to_id == colleague.pk
