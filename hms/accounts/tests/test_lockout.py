"""Failed sign-ins lock an account, or a client address, for a while; the hospital's ADMIN sees
and clears the locks of their own hospital's accounts."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from hms.accounts.models import Role
from hms.accounts.tests.conftest import PASSWORD, sign_in
from hms.security.log import Kind, security_log_verify
from hms.security.models import SecurityEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lockouts_on")]


def _fail(client, username, times, address="192.0.2.10"):
    for attempt in range(times):
        response = sign_in(client, username, f"wrong-{attempt}", address=address)
        assert SESSION_KEY not in client.session
    return response


def _signed_in(client):
    return SESSION_KEY in client.session


def test_twelve_wrong_passwords_then_the_right_one_does_not_sign_in(client, doctor):
    _fail(client, "doc", 12)

    response = sign_in(client, "doc")

    assert response.status_code == 429
    assert not _signed_in(client)
    assert b"Sign-in locked" in response.content
    assert b"15 minutes" in response.content


def test_an_account_is_locked_after_five_failures_from_any_addresses(client, doctor):
    for attempt in range(4):
        assert sign_in(client, "doc", "wrong", address=f"198.51.100.{attempt + 1}").status_code == 200
    assert sign_in(client, "doc", "wrong", address="198.51.100.5").status_code == 429

    # The right password from a fresh address: still the account is locked.
    assert sign_in(client, "doc", address="198.51.100.99").status_code == 429
    assert not _signed_in(client)


def test_four_failures_do_not_lock(client, doctor):
    _fail(client, "doc", 4)
    sign_in(client, "doc")
    assert _signed_in(client)


def test_an_address_is_locked_after_thirty_failures_whatever_the_accounts(client, doctor, make_user, th001):
    make_user("nurse", role=Role.NURSE, hospital=th001)
    for attempt in range(30):  # never more than four for one name: no account lock
        sign_in(client, f"guess{attempt // 4}", "wrong", address="203.0.113.50")

    assert sign_in(client, "nurse", address="203.0.113.50").status_code == 429
    assert not _signed_in(client)
    # The accounts themselves are not locked: from another address they sign in.
    sign_in(client, "nurse", address="203.0.113.51")
    assert _signed_in(client)


def test_the_lock_is_checked_before_the_password(client, doctor):
    _fail(client, "doc", 5)
    failed_before = SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).count()

    response = sign_in(client, "doc")

    assert response.status_code == 429
    # Refused as a failed sign-in without the password being tried (so no sign-in event).
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).count() == failed_before + 1
    assert not SecurityEvent.objects.filter(kind=Kind.LOGIN).exists()


def test_a_lock_is_written_once_to_the_security_log(client, doctor):
    _fail(client, "doc", 5, address="203.0.113.9")
    _fail(client, "doc", 3, address="203.0.113.9")  # refused while locked: failed sign-ins only

    locks = list(SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT))
    assert len(locks) == 1
    assert locks[0].user_id == doctor.pk
    assert locks[0].hospital_code == "TH001"
    assert locks[0].client_address == "203.0.113.9"
    assert locks[0].detail == {"locked_by": "account"}
    assert "wrong" not in str(list(SecurityEvent.objects.values()))
    assert security_log_verify().intact


def test_a_lock_ends_by_itself_after_the_cool_off(client, doctor):
    _fail(client, "doc", 7)
    assert sign_in(client, "doc").status_code == 429

    # Fifteen minutes later (the rows' times moved back, not the clock).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    sign_in(client, "doc")
    assert _signed_in(client)


def test_tries_while_locked_do_not_extend_the_lock(client, doctor):
    _fail(client, "doc", 5)
    locked_at = AccessAttempt.objects.get().attempt_time
    _fail(client, "doc", 3)
    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_a_shorter_cool_off_setting_ends_locks_sooner(client, doctor, settings):
    _fail(client, "doc", 5)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=3))
    assert sign_in(client, "doc").status_code == 429

    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)

    sign_in(client, "doc")
    assert _signed_in(client)


def test_the_django_admin_sign_in_is_locked_too(client, make_user):
    make_user("root", role=Role.SUPERADMIN)
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="192.0.2.1")
    response = client.post(
        "/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="192.0.2.2"
    )
    assert response.status_code == 429
    assert not _signed_in(client)


# --- the hospital administrator's page -----------------------------------------------------


def _lockouts_url(code="TH001"):
    return reverse("accounts:lockouts", kwargs={"hospital_code": code})


def _clear_url(code="TH001"):
    return reverse("accounts:lockout-clear", kwargs={"hospital_code": code})


def test_the_admin_sees_the_locked_accounts_of_their_hospital(client, doctor, th_admin, dmc, make_user):
    make_user("dmc_doc", role=Role.DOCTOR, hospital=dmc)
    _fail(client, "doc", 6)
    _fail(client, "dmc_doc", 6, address="192.0.2.77")
    _fail(client, "nobody-here", 2, address="192.0.2.78")

    admin = client.__class__()
    admin.force_login(th_admin)
    response = admin.get(_lockouts_url())

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    shown = response.context["lockouts"]
    assert [(lockout.account.username, lockout.locked) for lockout in shown] == [("doc", True)]
    assert shown[0].failures == 5  # the sixth was refused while locked, not counted
    assert b"dmc_doc" not in response.content
    assert b"nobody-here" not in response.content
    assert b"Locked until" in response.content


def test_the_admin_clears_a_lock_and_the_owner_signs_in_at_once(client, doctor, th_admin):
    _fail(client, "doc", 5)
    admin = client.__class__()
    admin.force_login(th_admin)

    response = admin.post(_clear_url(), {"account": doctor.pk}, REMOTE_ADDR="192.0.2.200")

    assert response.status_code == 302
    assert response["Location"] == _lockouts_url()
    assert not AccessAttempt.objects.filter(username="doc").exists()
    event = SecurityEvent.objects.get(kind=Kind.LOCKOUT_CLEARED)
    assert (event.user_id, event.actor_id, event.hospital_code) == (doctor.pk, th_admin.pk, "TH001")
    assert event.client_address == "192.0.2.200"
    assert b"can sign in again" in admin.get(_lockouts_url()).content

    sign_in(client, "doc")
    assert _signed_in(client)


def test_another_hospitals_admin_gets_404_for_the_page_and_for_the_account(client, doctor, dmc, make_user):
    dmc_admin = make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)
    _fail(client, "doc", 5)
    admin = client.__class__()
    admin.force_login(dmc_admin)

    assert admin.get(_lockouts_url("TH001")).status_code == 404
    assert admin.post(_clear_url("TH001"), {"account": doctor.pk}).status_code == 404
    # Their own hospital's page, naming TH001's account: as missing as an account that never was.
    assert admin.post(_clear_url("DMC001"), {"account": doctor.pk}).status_code == 404
    assert admin.post(_clear_url("DMC001"), {"account": 987654}).status_code == 404
    assert AccessAttempt.objects.filter(username="doc").exists()
    assert not SecurityEvent.objects.filter(kind=Kind.LOCKOUT_CLEARED).exists()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_other_roles_may_not_see_or_clear_locks(client, doctor, th001, make_user, role):
    user = make_user(f"someone_{role.lower()}", role=role, hospital=th001)
    _fail(client, "doc", 5)
    other = client.__class__()
    other.force_login(user)

    assert other.get(_lockouts_url()).status_code == 403
    assert other.post(_clear_url(), {"account": doctor.pk}).status_code == 403
    assert AccessAttempt.objects.filter(username="doc").exists()


def test_clearing_needs_an_account(client, th_admin):
    client.force_login(th_admin)
    assert client.post(_clear_url(), {"account": "x"}).status_code == 400
    assert client.get(_clear_url()).status_code == 405


def test_the_admins_account_page_leads_to_the_lockouts(client, th_admin, doctor):
    client.force_login(th_admin)
    assert _lockouts_url().encode() in client.get(reverse("account")).content
    client.force_login(doctor)
    assert _lockouts_url().encode() not in client.get(reverse("account")).content
