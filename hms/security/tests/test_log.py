"""The security log: what it records, and tampering with it as someone with database access but no key."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from hms.accounts.models import Role
from hms.security.chain import GENESIS
from hms.security.log import Kind, security_log_verify, security_record
from hms.security.models import SecurityChainHead, SecurityEvent


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _triggers_drop():
    if connection.vendor == "sqlite":
        _raw("DROP TRIGGER security_event_no_update")
    else:
        _raw("DROP TRIGGER security_event_append_only ON security_securityevent")


@pytest.fixture
def doctor(make_hospital, make_user):
    return make_user("doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))


@pytest.mark.django_db
def test_sign_in_failed_sign_in_and_sign_out_are_recorded_without_the_password(client, doctor):
    client.post(
        reverse("login"), {"username": "doc", "password": "wrong-password-1"}, REMOTE_ADDR="203.0.113.9"
    )
    client.post(reverse("login"), {"username": "nobody", "password": "wrong-password-2"})
    client.post(
        reverse("login"), {"username": "doc", "password": "pw-for-tests-1"}, REMOTE_ADDR="203.0.113.9"
    )
    client.post(reverse("logout"))

    signing = (Kind.LOGIN, Kind.LOGIN_FAILED, Kind.LOGOUT)
    events = list(SecurityEvent.objects.filter(kind__in=signing).order_by("id"))
    assert [(e.kind, e.username) for e in events] == [
        (Kind.LOGIN_FAILED, "doc"),
        (Kind.LOGIN_FAILED, "nobody"),
        (Kind.LOGIN, "doc"),
        (Kind.LOGOUT, "doc"),
    ]
    assert events[0].client_address == "203.0.113.9"
    assert events[2].user_id == doctor.pk and events[2].hospital_code == "TH001"
    stored = str(list(SecurityEvent.objects.values()))
    assert "wrong-password" not in stored and "pw-for-tests" not in stored
    assert security_log_verify().intact


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete(doctor):
    security_record(Kind.LOGIN, user=doctor)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        SecurityEvent.objects.update(username="x")
    if connection.vendor == "postgresql":
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            SecurityEvent.objects.filter(pk__gt=0).delete()


@pytest.mark.django_db
def test_a_row_rewritten_without_the_key_is_reported_at_that_row(doctor):
    events = [security_record(Kind.LOGIN_FAILED, username=f"u{n}") for n in range(4)]
    _triggers_drop()
    _raw("UPDATE security_securityevent SET username = 'someone-else' WHERE id = %s", [events[1].pk])
    report = security_log_verify()
    assert not report.intact
    assert report.first_broken_id == events[1].pk


@pytest.mark.django_db
def test_deleting_the_newest_events_and_pointing_the_head_back_is_reported(doctor):
    events = [security_record(Kind.LOGIN_FAILED, username=f"u{n}") for n in range(4)]
    _triggers_drop()
    _raw("DELETE FROM security_securityevent WHERE id > %s", [events[1].pk])
    _raw(
        "UPDATE security_securitychainhead SET last_hash = %s, last_event_id = %s WHERE id = 1",
        [events[1].hash, events[1].pk],
    )
    report = security_log_verify()
    assert not report.intact
    assert "rewritten" in report.reason


@pytest.mark.django_db
def test_deleting_the_newest_event_alone_is_reported(doctor):
    events = [security_record(Kind.LOGIN_FAILED, username=f"u{n}") for n in range(3)]
    _triggers_drop()
    _raw("DELETE FROM security_securityevent WHERE id = %s", [events[-1].pk])
    report = security_log_verify()
    assert not report.intact
    assert "missing" in report.reason


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_race_and_the_chain_stays_whole(doctor):
    """Eight threads append at once; the head lock serialises them into one unbroken chain."""
    errors = []
    start = threading.Barrier(8)

    def write(n):
        try:
            start.wait()
            for i in range(5):
                security_record(Kind.LOGIN_FAILED, username=f"t{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).count() == 40
    report = security_log_verify()
    assert report.intact, report.reason
    head = SecurityChainHead.objects.get()
    assert head.last_event_id == SecurityEvent.objects.order_by("-id").first().pk


@pytest.mark.django_db
def test_an_empty_log_is_intact_and_an_emptied_head_is_made_again():
    assert SecurityChainHead.objects.get().last_hash == GENESIS
    assert security_log_verify().intact
    SecurityChainHead.objects.all().delete()
    assert security_log_verify().intact
    first = security_record(Kind.LOGIN_FAILED, username="someone")
    assert first.previous_hash == GENESIS
    assert security_log_verify().intact
