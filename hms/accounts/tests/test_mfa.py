"""The second factor: forced on the roles the setting names, open to everyone, with recovery codes."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import Role
from hms.accounts.tests.conftest import sign_in
from hms.security.log import Kind
from hms.security.models import SecurityEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mfa_for_administrators(settings):
    settings.HMS_MFA_REQUIRED_ROLES = ["ADMIN", "SUPERADMIN"]
    # No back-off between a wrong and a right code: the tests type both within a second.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def _code(device):
    return TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()


def _code_text(device):
    return f"{_code(device):06d}"


def _device(user):
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=recovery, token="abcd2345")
    return device


def _kinds():
    return [event.kind for event in SecurityEvent.objects.filter(kind__startswith="mfa_")]


def test_an_admin_without_a_device_is_taken_to_set_one_up_before_any_page(client, th_admin):
    response = sign_in(client, "th_admin")
    assert response.status_code == 302

    for page in ("/", "/h/TH001/", reverse("staff:index", kwargs={"hospital_code": "TH001"}), "/admin/"):
        answer = client.get(page)
        assert answer.status_code == 302, page
        assert answer["Location"].startswith(reverse("mfa-setup") + "?next="), page


def test_setting_up_an_authenticator_with_a_wrong_then_the_right_code(client, th_admin):
    client.force_login(th_admin)
    page = client.get(reverse("mfa-setup") + "?next=/h/TH001/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=th_admin, confirmed=False)
    assert page.context["secret"].replace(" ", "") in device.config_url
    qr = client.get(reverse("mfa-setup-qr"))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content

    wrong = client.post(reverse("mfa-setup"), {"token": "000000" if _code(device) else "111111"})
    assert wrong.status_code == 400
    assert client.get("/h/TH001/").status_code == 302

    right = client.post(reverse("mfa-setup"), {"token": _code_text(device), "next": "/h/TH001/"})

    assert right.status_code == 200
    codes = right.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/h/TH001/").status_code == 200
    assert _kinds() == [Kind.MFA_FAILED, Kind.MFA_ENROLLED]
    stored = str(list(SecurityEvent.objects.values()))
    assert device.key not in stored and codes[0] not in stored and _code_text(device) not in stored


def test_a_user_with_a_device_must_give_a_code_after_the_password(client, th_admin):
    device = _device(th_admin)
    sign_in(client, "th_admin")

    page = client.get("/h/TH001/")
    assert page.status_code == 302
    assert page["Location"] == reverse("mfa-verify") + "?next=/h/TH001/"

    wrong = client.post(reverse("mfa-verify"), {"token": "123456" if _code(device) != 123456 else "654321"})
    assert wrong.status_code == 400
    assert client.get("/h/TH001/").status_code == 302

    right = client.post(reverse("mfa-verify"), {"token": _code_text(device), "next": "/h/TH001/"})

    assert right.status_code == 302 and right["Location"] == "/h/TH001/"
    assert client.get("/h/TH001/").status_code == 200
    assert _kinds() == [Kind.MFA_FAILED, Kind.MFA_VERIFIED]
    failed = SecurityEvent.objects.get(kind=Kind.MFA_FAILED)
    assert failed.user_id == th_admin.pk and failed.detail == {"with": "authenticator"}


def test_verifying_rotates_the_session_key(client, th_admin):
    device = _device(th_admin)
    client.force_login(th_admin)
    before = client.session.session_key
    client.post(reverse("mfa-verify"), {"token": _code_text(device)})
    assert client.session.session_key != before
    assert SESSION_KEY in client.session


def test_a_recovery_code_works_once(client, th_admin):
    _device(th_admin)
    sign_in(client, "th_admin")
    assert client.post(reverse("mfa-verify"), {"token": "ABCD 2345"}).status_code == 302
    assert client.get("/h/TH001/").status_code == 200
    client.post(reverse("logout"))

    sign_in(client, "th_admin")
    assert client.post(reverse("mfa-verify"), {"token": "abcd2345"}).status_code == 400
    assert client.get("/h/TH001/").status_code == 302
    assert _kinds() == [Kind.MFA_VERIFIED, Kind.MFA_FAILED]
    assert SecurityEvent.objects.get(kind=Kind.MFA_VERIFIED).detail == {"with": "recovery code"}


def test_any_role_with_a_device_must_give_a_code_even_if_not_required(client, doctor):
    device = _device(doctor)
    sign_in(client, "doc")
    assert client.get("/h/TH001/")["Location"].startswith(reverse("mfa-verify"))
    client.post(reverse("mfa-verify"), {"token": _code_text(device)})
    assert client.get("/h/TH001/").status_code == 200


def test_roles_not_named_sign_in_with_the_password_alone(client, doctor):
    sign_in(client, "doc")
    assert client.get("/h/TH001/").status_code == 200


def test_with_no_roles_named_an_admin_signs_in_with_the_password_alone(client, th_admin, settings):
    settings.HMS_MFA_REQUIRED_ROLES = []
    sign_in(client, "th_admin")
    assert client.get("/h/TH001/").status_code == 200


def test_the_platform_admin_is_held_at_the_django_admin_too(client, make_user):
    root = make_user("root", role=Role.SUPERADMIN)
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    assert client.get("/admin/")["Location"].startswith(reverse("mfa-setup"))
    device = _device(root)
    assert client.get("/admin/")["Location"].startswith(reverse("mfa-verify"))
    client.post(reverse("mfa-verify"), {"token": _code_text(device)})
    assert client.get("/admin/").status_code == 200


def test_signing_out_is_open_before_the_code(client, th_admin):
    _device(th_admin)
    sign_in(client, "th_admin")
    assert client.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_a_device_set_up_in_another_session_is_required_there_within_a_minute(client, doctor):
    sign_in(client, "doc")
    assert client.get("/h/TH001/").status_code == 200
    _device(doctor)
    session = client.session
    session["hms_mfa_none_checked_at"] -= 61
    session.save()
    assert client.get("/h/TH001/")["Location"].startswith(reverse("mfa-verify"))


def test_new_recovery_codes_replace_the_old_ones(client, doctor):
    device = _device(doctor)
    client.force_login(doctor)
    client.post(reverse("mfa-verify"), {"token": _code_text(device)})

    response = client.post(reverse("mfa-recovery-codes"))

    assert response.status_code == 200
    codes = response.context["codes"]
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes)
    assert "abcd2345" not in codes


def test_turning_it_off_is_recorded(client, doctor):
    device = _device(doctor)
    client.force_login(doctor)
    client.post(reverse("mfa-verify"), {"token": _code_text(device)})

    assert client.post(reverse("mfa-remove")).status_code == 302

    assert not TOTPDevice.objects.filter(user=doctor).exists()
    assert not StaticDevice.objects.filter(user=doctor).exists()
    assert SecurityEvent.objects.get(kind=Kind.MFA_RESET).detail == {"devices": 2}
    assert client.get("/h/TH001/").status_code == 200


def test_the_account_page_offers_setting_it_up(client, doctor):
    client.force_login(doctor)
    response = client.get(reverse("account"))
    assert response.status_code == 200
    assert reverse("mfa-setup").encode() in response.content
    assert reverse("password_change").encode() in response.content


def test_the_operator_removes_a_lost_device_with_a_command(doctor, th_admin):
    from io import StringIO

    from django.core.management import call_command

    _device(th_admin)
    out = StringIO()
    call_command("mfa_reset", "th_admin", stdout=out)

    assert (
        "Removed 2 device(s) of th_admin; the account sets up a new one at the next sign-in."
        in out.getvalue()
    )
    assert not TOTPDevice.objects.filter(user=th_admin).exists()
    assert SecurityEvent.objects.get(kind=Kind.MFA_RESET).user_id == th_admin.pk


def test_the_command_refuses_an_unknown_account(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No account named 'ghost'"):
        call_command("mfa_reset", "ghost")
