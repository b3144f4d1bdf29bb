"""The platform operator creates a hospital with its first administrator: from the command line
(`create_hospital --admin-username --admin-email`) or the hospitals admin. The administrator
sets their own password through a one-time link shown once."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from hms.accounts.models import Role, User
from hms.audit.models import AuditEvent
from hms.hospitals.models import Hospital
from hms.security.models import SecurityEvent
from hms.staff.models import StaffMember
from hms.tenancy.context import hospital_context

ADD_URL = "/admin/hospitals/hospital/add/"
NEW_PASSWORD = "a-Long-new-passphrase-7"
LINK = re.compile(r"(?:https?://[^/\s]+)?(/account/password-reset/[^/\s]+/[^/\s]+/)")


def _link_path(text):
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def _password_set_through(path):
    client = Client()
    form_page = client.get(path, follow=True)
    address = form_page.redirect_chain[-1][0]
    response = client.post(address, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    return response.status_code == 302


def _command(*args):
    out = io.StringIO()
    call_command("create_hospital", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_makes_the_hospital_and_its_administrator_with_a_link():
    printed = _command(
        "TH001",
        "--name",
        "Teaching Hospital",
        "--admin-username",
        "th_boss",
        "--admin-email",
        "boss@th.example.org",
        "--admin-first-name",
        "Rahima",
        "--site-url",
        "https://hms.example.org/",
    )
    assert "Administrator th_boss created for TH001" in printed
    assert "https://hms.example.org/account/password-reset/" in printed
    admin = User.objects.get(username="th_boss")
    assert (admin.role, admin.hospital.code, admin.email, admin.first_name) == (
        Role.ADMIN,
        "TH001",
        "boss@th.example.org",
        "Rahima",
    )
    assert not admin.has_usable_password()
    with hospital_context("TH001"):
        member = StaffMember.objects.get()
        [event] = AuditEvent.objects.filter(action="staff.first_admin_create")
    assert (member.user_id, member.role) == (admin.pk, Role.ADMIN)
    assert event.actor_id is None and "command line" in event.actor_username
    [created] = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCOUNT_CREATED, username="th_boss")
    assert created.hospital_code == "TH001"
    assert _password_set_through(_link_path(printed))
    assert Client().login(username="th_boss", password=NEW_PASSWORD)


@pytest.mark.django_db
def test_a_rerun_adds_the_administrator_a_hospital_lacks_but_never_a_second(make_hospital):
    make_hospital("TH001")
    printed = _command("TH001", "--name", "x", "--admin-username", "th_boss", "--admin-email", "b@x.org")
    assert "/account/password-reset/" in printed and "(a path" in printed
    with pytest.raises(CommandError, match="already has an administrator"):
        _command("TH001", "--name", "x", "--admin-username", "th_other", "--admin-email", "o@x.org")
    assert not User.objects.filter(username="th_other").exists()
    assert Hospital.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--admin-username", "boss"], "both --admin-username and --admin-email"),
        (["--admin-email", "b@x.org"], "both --admin-username and --admin-email"),
        (["--admin-username", "bad name!", "--admin-email", "b@x.org"], "not valid"),
        (["--admin-username", "boss", "--admin-email", "nope"], "not valid"),
        (["--admin-username", "taken", "--admin-email", "b@x.org"], "already taken"),
    ],
)
def test_the_command_refuses_a_bad_administrator_with_a_message(make_user, args, message):
    make_user("taken", role=Role.SUPERADMIN)
    with pytest.raises(CommandError, match=message):
        _command("TH001", "--name", "Teaching Hospital", *args)
    assert not User.objects.filter(role=Role.ADMIN).exists()


@pytest.fixture
def operator_client(client, django_user_model):
    operator = django_user_model.objects.create_superuser("operator", "ops@example.org", "pw-for-tests-1")
    client.force_login(operator)
    return client


@pytest.mark.django_db
def test_the_hospitals_admin_makes_the_first_administrator_and_shows_the_link_once(operator_client):
    response = operator_client.post(
        ADD_URL,
        {
            "code": "TH001",
            "name": "Admin Made",
            "time_zone": "UTC",
            "admin_username": "th_boss",
            "admin_email": "boss@th.example.org",
            "_save": "Save",
        },
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Administrator th_boss created for TH001" in body
    path = _link_path(body)
    assert path not in operator_client.get("/admin/hospitals/hospital/").content.decode()
    admin = User.objects.get(username="th_boss")
    assert (admin.role, admin.hospital.code) == (Role.ADMIN, "TH001")
    with hospital_context("TH001"):
        [event] = AuditEvent.objects.filter(action="staff.first_admin_create")
    assert event.actor_username == "operator"
    assert _password_set_through(path)


@pytest.mark.django_db
def test_the_hospitals_admin_needs_both_name_and_email_or_neither(operator_client):
    response = operator_client.post(
        ADD_URL, {"code": "TH001", "name": "Half", "time_zone": "UTC", "admin_username": "x", "_save": "Save"}
    )
    assert response.status_code == 200
    assert "username and email, or neither" in response.content.decode()
    assert not Hospital.objects.exists()


@pytest.mark.django_db
def test_a_refused_administrator_leaves_the_hospital_and_says_what_to_do(operator_client, make_user):
    make_user("taken", role=Role.SUPERADMIN)
    response = operator_client.post(
        ADD_URL,
        {
            "code": "TH001",
            "name": "Admin Made",
            "time_zone": "UTC",
            "admin_username": "taken",
            "admin_email": "b@x.org",
            "_save": "Save",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "TH001 was created, but not its administrator" in body and "already taken" in body
    assert Hospital.objects.get().status == Hospital.Status.ACTIVE
    assert not User.objects.filter(role=Role.ADMIN).exists()
