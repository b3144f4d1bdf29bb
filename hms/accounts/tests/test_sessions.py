"""Automatic logoff: idle time and an absolute lifetime, by role and by setting."""

import time

import pytest
from django.contrib.auth import SESSION_KEY

from hms.accounts.models import Role
from hms.accounts.sessions import LAST_SEEN_AT, SIGNED_IN_AT
from hms.accounts.tests.conftest import sign_in
from hms.security.log import Kind
from hms.security.models import SecurityEvent

pytestmark = pytest.mark.django_db


def _age(client, **seconds_ago):
    """Move the session's stored times back (the clock itself is left alone)."""
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "seen": LAST_SEEN_AT}[key]] = now - ago
    session.save()


def _expired_to_login(client, path="/h/TH001/"):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"
    assert SESSION_KEY not in client.session
    return client.get(response["Location"])


def test_a_staff_session_idle_for_sixteen_minutes_ends(client, doctor):
    sign_in(client, "doc")
    _age(client, seen=16 * 60)

    login_page = _expired_to_login(client)

    assert b"Nothing was done for 15 minutes" in login_page.content
    event = SecurityEvent.objects.get(kind=Kind.SESSION_EXPIRED)
    assert (event.user_id, event.detail) == (doctor.pk, {"reason": "idle"})
    assert not SecurityEvent.objects.filter(kind=Kind.LOGOUT).exists()


def test_a_session_used_fourteen_minutes_ago_goes_on_and_its_time_is_renewed(client, doctor):
    sign_in(client, "doc")
    _age(client, seen=14 * 60)

    assert client.get("/h/TH001/").status_code == 200

    assert time.time() - client.session[LAST_SEEN_AT] < 60


def test_a_patient_session_has_its_own_idle_limit(client, th001, make_user):
    make_user("pat", role=Role.PATIENT, hospital=th001)
    sign_in(client, "pat")
    _age(client, seen=20 * 60)
    assert client.get("/h/TH001/").status_code == 200
    _age(client, seen=31 * 60)
    _expired_to_login(client)


def test_the_idle_limit_is_a_setting(client, doctor, settings):
    settings.HMS_SESSION_IDLE_MINUTES = 5
    sign_in(client, "doc")
    _age(client, seen=6 * 60)
    _expired_to_login(client)


def test_a_busy_session_ends_after_its_absolute_lifetime(client, doctor):
    sign_in(client, "doc")
    _age(client, signed_in=11 * 3600, seen=10)
    assert client.get("/h/TH001/").status_code == 200

    _age(client, signed_in=12 * 3600 + 60, seen=10)
    login_page = _expired_to_login(client)

    assert b"signed in for 12 hours" in login_page.content
    assert SecurityEvent.objects.get(kind=Kind.SESSION_EXPIRED).detail == {"reason": "lifetime"}


def test_the_lifetime_is_a_setting(client, doctor, settings):
    settings.HMS_SESSION_MAX_HOURS = 2
    sign_in(client, "doc")
    _age(client, signed_in=2 * 3600 + 1, seen=1)
    _expired_to_login(client)


def test_an_expired_form_post_goes_to_sign_in_and_then_home(client, doctor):
    sign_in(client, "doc")
    _age(client, seen=3600)
    response = client.post("/h/TH001/", {})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/"
