"""What reaches the security log with nobody calling it: probes, account changes, admin actions."""

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.security.actor import acting_as
from hms.security.log import Kind, security_log_verify, security_record
from hms.security.models import SecurityEvent


def _events(kind):
    return list(SecurityEvent.objects.filter(kind=kind).order_by("id"))


@pytest.mark.django_db
def test_asking_for_another_hospitals_page_is_recorded_without_the_query(client, make_hospital, make_user):
    own_hospital = make_hospital("TH001")
    make_hospital("DMC001")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=own_hospital)
    client.force_login(doctor)
    for code in ("DMC001", "NOPE99"):
        response = client.get(f"/h/{code}/patients/?q=Rahman", REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 404
    own = client.get("/h/TH001/")
    assert own.status_code == 200

    probes = _events(Kind.FOREIGN_HOSPITAL)
    assert [(p.username, p.hospital_code, p.detail["asked_for"]) for p in probes] == [
        ("doc", "TH001", "DMC001"),
        ("doc", "TH001", "NOPE99"),
    ]
    assert probes[0].client_address == "198.51.100.7"
    assert "Rahman" not in str(probes[0].detail)


@pytest.mark.django_db
def test_role_hospital_and_active_changes_are_recorded_with_who_made_them(make_hospital, make_user):
    hospital = make_hospital("TH001")
    admin = make_user("boss", role=Role.ADMIN, hospital=hospital)
    with acting_as(admin):
        nurse = make_user("nurse", role=Role.NURSE, hospital=hospital)
        nurse.role = Role.DOCTOR
        nurse.save()
        nurse.is_active = False
        nurse.save()
        nurse.first_name = "Asha"
        nurse.save()  # a name is not a security change
        nurse.save(update_fields=["last_login"])

    created = [e for e in _events(Kind.ACCOUNT_CREATED) if e.username == "nurse"]
    assert created and created[0].actor_username == "boss"
    [role] = _events(Kind.ROLE_CHANGED)
    assert role.detail == {"changed": {"role": {"from": "NURSE", "to": "DOCTOR"}}}
    assert role.actor_id == admin.pk and role.hospital_code == "TH001"
    [disabled] = _events(Kind.ACCOUNT_DISABLED)
    assert disabled.user_id == nurse.pk
    assert not _events(Kind.ACCOUNT_CHANGED)
    assert security_log_verify().intact


@pytest.mark.django_db
def test_platform_admin_actions_are_recorded(client, make_hospital, make_user, django_user_model):
    operator = django_user_model.objects.create_superuser("operator", "ops@example.org", "pw-for-tests-1")
    make_hospital("TH001")
    client.force_login(operator)
    # The operator manages hospitals' administrators (not clinical accounts: hms/accounts/admin.py).
    target = make_user("doc", role=Role.ADMIN, hospital=make_hospital("DMC001"))
    url = reverse("admin:accounts_user_change", args=[target.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(is_active="", role=Role.SUPERADMIN, hospital="")
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    data.update({"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]

    [action] = _events(Kind.ADMIN_ACTION)
    assert action.username == "operator"
    assert action.detail["action"] == "change" and action.detail["what"] == "accounts.user"
    [role] = _events(Kind.ROLE_CHANGED)
    assert role.actor_username == "operator" and role.username == "doc"


@pytest.mark.django_db
def test_a_hostile_address_or_name_is_recorded_not_refused_by_the_database(client, make_hospital, make_user):
    """NUL and other control characters (which PostgreSQL cannot store) are recorded as U+FFFD."""
    doctor = make_user("doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))
    client.force_login(doctor)
    assert client.get("/h/TH\x00001/").status_code == 404
    [probe] = _events(Kind.FOREIGN_HOSPITAL)
    assert probe.detail["asked_for"] == "TH\ufffd001"
    # A name typed at sign-in reaches the log as typed (the sign-in form refuses these first,
    # but a name can arrive by other doors: the API, a command).
    security_record(Kind.LOGIN_FAILED, username="ad\x00min\x1b", detail={"why": ["a\x00"]})
    failed = _events(Kind.LOGIN_FAILED)
    assert failed[-1].username == "ad\ufffdmin\ufffd" and failed[-1].detail == {"why": ["a\ufffd"]}
    assert security_log_verify().intact
