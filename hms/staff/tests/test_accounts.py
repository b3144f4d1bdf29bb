"""A hospital's administrator creates, resets, disables and enables its staff accounts."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from hms.accounts.models import Role, User
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.security.models import SecurityEvent
from hms.staff.accounts import (
    staff_account_create,
    staff_account_disable,
    staff_account_enable,
    staff_account_password_reset,
)
from hms.staff.models import StaffMember
from hms.staff.services import department_create, staff_member_add
from hms.tenancy.context import hospital_context

PASSWORD = "pw-for-tests-1"
NEW_PASSWORD = "a-Long-new-passphrase-7"


def _url(name, hospital_code="DMC001", **kwargs):
    return reverse(f"staff:{name}", kwargs={"hospital_code": hospital_code, **kwargs})


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def admin(dmc, make_user):
    return make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)


def _events(kind, **filters):
    return list(SecurityEvent.objects.filter(kind=kind, **filters).order_by("id"))


def _create(admin, **overrides):
    values = {
        "username": "nurse_joy",
        "first_name": "Joy",
        "last_name": "Adeyemi",
        "email": "joy@example.org",
        "role": Role.NURSE,
        "licence_number": "RN-1",
    }
    return staff_account_create(acting_user=admin, **{**values, **overrides})


def _set_password(client, path, password=NEW_PASSWORD):
    """Follow a one-time link as its owner would: open it, then post the new password twice."""
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    address = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    return client.post(address, {"new_password1": password, "new_password2": password})


def _signed_in(client):
    return client.get(reverse("account")).status_code == 200


# Creating


@pytest.mark.django_db
def test_an_admin_creates_an_account_and_its_staff_record_in_one_step(admin, client):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        made = _create(
            admin,
            username="dr_habib",
            role=Role.DOCTOR,
            department=cardiology,
            specialty="Cardiology",
            licence_number="MD-7",
        )
        member = StaffMember.objects.get(user_id=made.user.pk)
        [event] = AuditEvent.objects.filter(action="staff.account_create")
    user = User.objects.get(username="dr_habib")
    assert (user.role, user.hospital.code, user.get_full_name()) == (Role.DOCTOR, "DMC001", "Joy Adeyemi")
    assert not user.has_usable_password()
    assert (member.role, member.department_id, member.licence_number) == (Role.DOCTOR, cardiology.pk, "MD-7")
    assert event.actor_username == "dmc_admin" and event.detail["username"] == "dr_habib"
    [created] = _events(SecurityEvent.Kind.ACCOUNT_CREATED, username="dr_habib")
    assert created.actor_username == "dmc_admin" and created.hospital_code == "DMC001"
    # The link sets a password once; then its owner signs in with it.
    assert _set_password(client, made.set_password_path).status_code == 302
    assert client.login(username="dr_habib", password=NEW_PASSWORD)
    client.logout()
    reused = client.get(made.set_password_path, follow=True)
    assert "new_password1" not in reused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": Role.DOCTOR, "licence_number": ""}, "specialty"),
        ({"role": Role.RECEPTIONIST}, "licence_number"),
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-address"}, "email"),
        ({"role": Role.PATIENT}, "role"),
        ({"role": Role.SUPERADMIN}, "role"),
    ],
)
def test_an_account_that_breaks_a_rule_is_refused_and_nothing_is_written(admin, overrides, field):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError) as raised:
            _create(admin, **overrides)
        assert field in raised.value.details
        assert not StaffMember.objects.exists() and not AuditEvent.objects.exists()
    assert not User.objects.filter(username=overrides.get("username", "nurse_joy")).exists()


@pytest.mark.django_db
def test_a_taken_username_is_refused_alike_whoever_holds_it(admin, make_hospital, make_user):
    make_user("in_dmc", role=Role.NURSE, hospital=admin.hospital)
    make_user("in_th", role=Role.PATIENT, hospital=make_hospital("TH001"))
    messages = []
    with hospital_context("DMC001"):
        for name in ("in_dmc", "in_th", "IN_TH"):
            with pytest.raises(ApplicationError) as raised:
                _create(admin, username=name)
            messages.append((raised.value.message, raised.value.details))
        assert not StaffMember.objects.exists()
    assert messages[0] == messages[1] == messages[2]


@pytest.mark.django_db
def test_a_licence_taken_inside_the_write_leaves_no_account_behind(admin, dmc, make_user):
    other = make_user("other_nurse", role=Role.NURSE, hospital=dmc)
    with hospital_context("DMC001"):
        staff_member_add(acting_user=admin, user=other, licence_number="RN-1")
        with pytest.raises(ApplicationError, match="RN-1"):
            _create(admin, licence_number="RN-1")
        assert StaffMember.objects.count() == 1
    assert not User.objects.filter(username="nurse_joy").exists()
    assert not _events(SecurityEvent.Kind.ACCOUNT_CREATED, username="nurse_joy")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_only_the_hospitals_admin_manages_accounts(dmc, admin, make_user, role):
    caller = make_user("caller", role=role, hospital=dmc)
    with hospital_context("DMC001"):
        made = _create(admin)
        for service in (staff_account_password_reset, staff_account_disable, staff_account_enable):
            with pytest.raises(NotAllowed):
                service(acting_user=caller, staff_member=made.member)
        with pytest.raises(NotAllowed):
            _create(caller, username="sneaky")
    assert not User.objects.filter(username="sneaky").exists()
    assert User.objects.get(username="nurse_joy").is_active


@pytest.mark.django_db
def test_another_hospitals_admin_is_refused(admin, make_hospital, make_user):
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=make_hospital("TH001"))
    with hospital_context("DMC001"):
        made = _create(admin)
        with pytest.raises(NotAllowed):
            staff_account_disable(acting_user=th_admin, staff_member=made.member)
    with hospital_context("TH001"), pytest.raises(ApplicationError):
        staff_account_disable(acting_user=th_admin, staff_member=made.member)
    assert User.objects.get(username="nurse_joy").is_active


# Disabling and enabling


@pytest.mark.django_db
def test_disabling_ends_the_open_session_at_once(admin, dmc, make_user):
    nurse = make_user("nurse_on_shift", role=Role.NURSE, hospital=dmc, password=PASSWORD)
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=nurse, licence_number="RN-9")
    nurse_client, admin_client = Client(), Client()
    assert nurse_client.login(username="nurse_on_shift", password=PASSWORD)
    admin_client.force_login(admin)
    assert nurse_client.get(_url("index")).status_code == 200
    sessions = Session.objects.count()

    response = admin_client.post(_url("member-deactivate", member_id=member.pk))
    assert response.status_code == 302

    assert Session.objects.count() == sessions - 1  # the nurse's, not the admin's
    refused = nurse_client.get(_url("index"))
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("login"))
    assert not nurse_client.login(username="nurse_on_shift", password=PASSWORD)
    assert admin_client.get(_url("index")).status_code == 200
    nurse.refresh_from_db()
    assert not nurse.is_active
    [disabled] = _events(SecurityEvent.Kind.ACCOUNT_DISABLED, user_id=nurse.pk)
    assert disabled.actor_username == "dmc_admin"
    with hospital_context("DMC001"):
        assert not StaffMember.objects.get(pk=member.pk).is_active
        [event] = AuditEvent.objects.filter(action="staff.deactivate")
    assert event.actor_username == "dmc_admin" and event.detail["user_id"] == nurse.pk

    # Enabled again, the account signs in with its password as before.
    assert admin_client.post(_url("member-reactivate", member_id=member.pk)).status_code == 302
    assert nurse_client.login(username="nurse_on_shift", password=PASSWORD)
    assert nurse_client.get(_url("index")).status_code == 200
    [enabled] = _events(SecurityEvent.Kind.ACCOUNT_ENABLED, user_id=nurse.pk)
    assert enabled.actor_username == "dmc_admin"
    with hospital_context("DMC001"):
        assert StaffMember.objects.get(pk=member.pk).is_active
        assert AuditEvent.objects.filter(action="staff.reactivate").count() == 1


@pytest.mark.django_db
def test_disabling_twice_or_enabling_an_active_account_is_refused(admin):
    with hospital_context("DMC001"):
        made = _create(admin)
        with pytest.raises(ApplicationError, match="already active"):
            staff_account_enable(acting_user=admin, staff_member=made.member)
        staff_account_disable(acting_user=admin, staff_member=made.member)
        with pytest.raises(ApplicationError, match="already inactive"):
            staff_account_disable(acting_user=admin, staff_member=made.member)
        assert AuditEvent.objects.filter(action="staff.deactivate").count() == 1


# Password reset


@pytest.mark.django_db
def test_a_reset_ends_every_session_and_the_old_password(admin, dmc, make_user):
    nurse = make_user("nurse_x", role=Role.NURSE, hospital=dmc, password=PASSWORD)
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=nurse, licence_number="RN-3")
    first, second, admin_client = Client(), Client(), Client()
    for nurse_client in (first, second):
        assert nurse_client.login(username="nurse_x", password=PASSWORD)
    admin_client.force_login(admin)

    page = admin_client.post(_url("member-password-reset", member_id=member.pk))
    assert page.status_code == 200
    link = page.context["link"]
    assert link.startswith("http://testserver/account/password-reset/")
    assert "shown only now" in page.content.decode()

    for nurse_client in (first, second):
        assert nurse_client.get(_url("index")).status_code == 302
    assert not Client().login(username="nurse_x", password=PASSWORD)
    assert _set_password(Client(), link.removeprefix("http://testserver")).status_code == 302
    assert Client().login(username="nurse_x", password=NEW_PASSWORD)
    [reset] = _events(SecurityEvent.Kind.PASSWORD_RESET_BY_ADMIN)
    assert (reset.username, reset.actor_username, reset.hospital_code) == ("nurse_x", "dmc_admin", "DMC001")
    assert link.split("/")[-2] not in str(reset.detail)
    with hospital_context("DMC001"):
        assert AuditEvent.objects.filter(action="staff.password_reset").count() == 1


@pytest.mark.django_db
def test_an_admin_does_not_reset_their_own_password_here(admin):
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=admin)
        with pytest.raises(ApplicationError, match="Your account"):
            staff_account_password_reset(acting_user=admin, staff_member=member)
    admin.refresh_from_db()
    assert admin.has_usable_password()


# The pages


@pytest.mark.django_db
def test_the_page_creates_an_account_and_shows_its_link_once(client, admin):
    client.force_login(admin)
    response = client.post(
        _url("account-new"),
        {
            "username": "desk_amy",
            "first_name": "Amy",
            "last_name": "Rahman",
            "email": "",
            "role": Role.RECEPTIONIST,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Account created for Amy Rahman" in body and response.context["link"] in body
    assert User.objects.get(username="desk_amy").role == Role.RECEPTIONIST
    listing = client.get(_url("index")).content.decode()
    assert "Amy Rahman" in listing and response.context["link"] not in listing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {},
        {"username": "x", "first_name": "A", "last_name": "B", "role": "PATIENT"},
        {"username": "x", "first_name": "A", "last_name": "B", "role": "NURSE", "department_id": "abc"},
        {"username": "x", "first_name": "A", "last_name": "B", "role": "NURSE", "department_id": "999"},
        {"username": "y" * 151, "first_name": "A", "last_name": "B", "role": "NURSE"},
        {"username": "dmc_admin", "first_name": "A", "last_name": "B", "role": "NURSE"},
        {"username": "x", "first_name": "A\x00", "last_name": "B", "role": "NURSE"},
    ],
)
def test_bad_account_forms_answer_400_with_a_reason(client, admin, form):
    client.force_login(admin)
    response = client.post(_url("account-new"), form)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST])
def test_other_staff_get_403_from_every_account_page(client, dmc, admin, make_user, role):
    with hospital_context("DMC001"):
        made = _create(admin)
    client.force_login(make_user("someone", role=role, hospital=dmc))
    data = {"username": "z", "first_name": "A", "last_name": "B", "role": "ADMIN"}
    assert client.post(_url("account-new"), data).status_code == 403
    for name in ("member-deactivate", "member-reactivate", "member-password-reset"):
        assert client.post(_url(name, member_id=made.member.pk)).status_code == 403
    assert not User.objects.filter(username="z").exists()
    assert User.objects.get(username="nurse_joy").is_active


@pytest.mark.django_db
def test_another_hospitals_member_is_404_for_every_account_page(client, admin, make_hospital, make_user):
    th = make_hospital("TH001")
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=th)
    with hospital_context("TH001"):
        th_member = staff_member_add(
            acting_user=th_admin, user=make_user("th_nurse", role=Role.NURSE, hospital=th)
        )
    client.force_login(admin)
    for name in ("member-deactivate", "member-reactivate", "member-password-reset"):
        assert client.post(_url(name, member_id=th_member.pk + 100)).status_code == 404
        assert client.post(_url(name, "TH001", member_id=th_member.pk)).status_code == 404
    assert User.objects.get(username="th_nurse").is_active
