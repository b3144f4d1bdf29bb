"""Two escalation runs at the same moment (the timer and a start page): the alert escalates once."""

import datetime
import threading

import pytest
from django.db import connections

from hms.alerts.services import critical_alerts_escalate
from hms.alerts.tests.helpers import audited, the_alert, validated_potassium
from hms.tenancy.context import hospital_context

RUNS = 2


@pytest.mark.django_db(transaction=True)
def test_two_escalation_runs_in_parallel_escalate_once(
    doctor, nurse, scientist, encounter, colleague, departments
):
    with hospital_context("DMC001"):
        validated_potassium(doctor, nurse, scientist, encounter)
        now = the_alert().due_at + datetime.timedelta(minutes=1)
    barrier = threading.Barrier(RUNS)
    outcomes, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            with hospital_context("DMC001"):
                barrier.wait(timeout=30)
                escalated = critical_alerts_escalate(now=now)
            with lock:
                outcomes.append(len(escalated))
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert sorted(outcomes) == [0, 1]
    with hospital_context("DMC001"):
        assert the_alert().escalated_to_id == colleague.pk
        assert len(audited("critical_alert.escalate")) == 1
