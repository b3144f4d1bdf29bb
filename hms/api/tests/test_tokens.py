"""Tokens: issued, refused, expired, revoked, and ended with the account."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from hms.accounts.models import Role
from hms.api.tests.conftest import ApiClient, token_for
from hms.security.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_a_token_is_issued_for_the_right_password_and_stored_hashed(make_hospital, make_user):
    hospital = make_hospital("TK001")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "doc", "password": "pw-for-tests-1"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    stored = AuthToken.objects.get(user=doctor)
    assert body["token"] not in stored.digest
    assert stored.expiry > timezone.now() + timedelta(hours=7)
    assert SecurityEvent.objects.filter(kind="login", user_id=doctor.pk, detail__via="api token").exists()


def test_a_wrong_password_is_refused_with_a_problem_and_logged(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    response = Client().post(
        "/api/v1/auth/token", {"username": "doc", "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"
    assert SecurityEvent.objects.filter(kind="login_failed", username="doc").exists()


def test_the_token_reads_the_api_and_an_unknown_token_does_not(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    client = ApiClient(token_for(Client(), "doc"))
    assert client.get("/api/v1/auth/tokens").status_code == 200
    refused = ApiClient("nonsense-token").get("/api/v1/auth/tokens")
    assert refused.status_code == 401
    assert refused.json()["status"] == 401
    assert ApiClient().get("/api/v1/auth/tokens").status_code == 401


def test_an_expired_token_is_refused(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    token = token_for(Client(), "doc")
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert ApiClient(token).get("/api/v1/auth/tokens").status_code == 401


@override_settings(REST_KNOX={"AUTH_HEADER_PREFIX": "Bearer", "TOKEN_TTL": timedelta(hours=1)})
def test_the_expiry_is_the_setting(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    token_for(Client(), "doc")
    assert AuthToken.objects.get().expiry < timezone.now() + timedelta(hours=1, minutes=1)


def test_the_owner_lists_and_revokes_their_token(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    token = token_for(Client(), "doc")
    client = ApiClient(token)
    listed = client.get("/api/v1/auth/tokens").json()
    assert [row["username"] for row in listed] == ["doc"]
    assert client.delete(f"/api/v1/auth/tokens/{listed[0]['id']}").status_code == 204
    assert client.get("/api/v1/auth/tokens").status_code == 401


def test_the_hospital_admin_revokes_their_users_tokens_but_not_another_hospitals(make_hospital, make_user):
    one, two = make_hospital("TK001"), make_hospital("TK002")
    make_user("admin1", role=Role.ADMIN, hospital=one)
    make_user("nurse1", role=Role.NURSE, hospital=one)
    make_user("nurse2", role=Role.NURSE, hospital=two)
    nurse1, nurse2 = token_for(Client(), "nurse1"), token_for(Client(), "nurse2")
    admin = ApiClient(token_for(Client(), "admin1"))
    listed = {row["username"]: row["id"] for row in admin.get("/api/v1/auth/tokens").json()}
    assert set(listed) == {"admin1", "nurse1"}
    nurse2_id = ApiClient(nurse2).get("/api/v1/auth/tokens").json()[0]["id"]
    assert admin.delete(f"/api/v1/auth/tokens/{nurse2_id}").status_code == 404
    assert admin.delete(f"/api/v1/auth/tokens/{listed['nurse1']}").status_code == 204
    assert ApiClient(nurse1).get("/api/v1/auth/tokens").status_code == 401
    assert ApiClient(nurse2).get("/api/v1/auth/tokens").status_code == 200
    # A nurse may not revoke the administrator's token.
    other = ApiClient(token_for(Client(), "nurse1"))
    assert other.delete(f"/api/v1/auth/tokens/{listed['admin1']}").status_code == 404


@pytest.mark.parametrize("change", ["disable", "password", "unusable"])
def test_tokens_die_with_the_account(make_hospital, make_user, change):
    user = make_user("doc", hospital=make_hospital("TK001"))
    token = token_for(Client(), "doc")
    if change == "disable":
        user.is_active = False
    elif change == "password":
        user.set_password("another-password-9")
    else:
        user.set_unusable_password()
    user.save()
    assert not AuthToken.objects.filter(user=user).exists()
    assert ApiClient(token).get("/api/v1/auth/tokens").status_code == 401


def test_saving_other_fields_keeps_the_tokens(make_hospital, make_user):
    user = make_user("doc", hospital=make_hospital("TK001"))
    token = token_for(Client(), "doc")
    user.first_name = "Amina"
    user.save()
    assert ApiClient(token).get("/api/v1/auth/tokens").status_code == 200


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_failed_token_requests_lock_the_account_as_the_sign_in_page_does(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    client = Client()
    for _ in range(3):
        response = client.post(
            "/api/v1/auth/token", {"username": "doc", "password": "wrong"}, content_type="application/json"
        )
        assert response.status_code in (401, 429)
    locked = client.post(
        "/api/v1/auth/token",
        {"username": "doc", "password": "pw-for-tests-1"},
        content_type="application/json",
    )
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/problem+json"
    assert SecurityEvent.objects.filter(kind="locked_out", username="doc").exists()
    # The sign-in page is locked too: one count for both doors.
    page = Client().post(reverse("login"), {"username": "doc", "password": "pw-for-tests-1"})
    assert page.status_code == 429


def test_a_browser_session_counts_for_nothing_on_the_api(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    browser = Client()
    assert browser.login(username="doc", password="pw-for-tests-1")
    response = browser.get("/api/v1/hospitals/TK001/patients")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "Set-Cookie" not in response or "sessionid" not in response["Set-Cookie"]
    token = token_for(Client(), "doc")
    response = browser.get("/api/v1/hospitals/TK001/patients", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_an_account_with_a_second_factor_needs_its_code(make_hospital, make_user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("doc", hospital=make_hospital("TK001"))
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    ask = Client().post
    body = {"username": "doc", "password": "pw-for-tests-1"}
    missing = ask("/api/v1/auth/token", body, content_type="application/json")
    assert missing.status_code == 401
    assert "otp" in missing.json()["errors"]
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    right = ask("/api/v1/auth/token", {**body, "otp": code}, content_type="application/json")
    assert right.status_code == 201
    # A code already used, or a wrong one, is refused (and django-otp slows the next try down).
    wrong = ask("/api/v1/auth/token", {**body, "otp": code}, content_type="application/json")
    assert wrong.status_code == 401
    assert SecurityEvent.objects.filter(kind="mfa_failed", user_id=user.pk).count() == 2


def test_a_stale_token_does_not_stop_asking_for_a_new_one(make_hospital, make_user):
    make_user("doc", hospital=make_hospital("TK001"))
    stale = ApiClient("revoked-long-ago")
    response = stale.post(
        "/api/v1/auth/token",
        {"username": "doc", "password": "pw-for-tests-1"},
        content_type="application/json",
    )
    assert response.status_code == 201
    refused = stale.get("/api/v1/hospitals/TK001/patients")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid token."
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert stale.get("/api/v1/auth/tokens").json()["detail"] == "Invalid token."
