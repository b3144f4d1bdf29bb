"""The platform admin's accounts: super-administrators and hospitals' administrators only, with
clinical accounts out of its reach, however the POST is made."""

import pytest
from django.urls import reverse

from hms.accounts.models import Role, User

PASSWORD = "a-Long-operator-passphrase-3"


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("operator", "ops@example.org", "pw-for-tests-1")
    client.force_login(user)
    return user


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


def _add(client, **fields):
    data = {
        "username": "new_account",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": Role.ADMIN,
        **fields,
    }
    return client.post(reverse("admin:accounts_user_add"), data)


def _change_data(client, user):
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for name in ("password", "last_login", "date_joined"):
        data.pop(name, None)
    data.update({"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    return data


@pytest.mark.django_db
def test_the_operator_creates_a_hospitals_administrator(client, operator, dmc):
    response = _add(client, hospital=dmc.pk)
    assert response.status_code == 302, response.content[:3000]
    user = User.objects.get(username="new_account")
    assert (user.role, user.hospital_id, user.is_staff) == (Role.ADMIN, dmc.pk, False)


@pytest.mark.django_db
def test_the_operator_creates_another_super_administrator(client, operator):
    assert _add(client, role=Role.SUPERADMIN).status_code == 302
    assert User.objects.get(username="new_account").role == Role.SUPERADMIN


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_a_crafted_post_for_a_clinical_account_is_refused(client, operator, dmc, role):
    response = _add(client, role=role, hospital=dmc.pk)
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["role"]
    assert not User.objects.filter(username="new_account").exists()


@pytest.mark.django_db
def test_the_add_form_offers_only_the_operators_roles(client, operator):
    page = client.get(reverse("admin:accounts_user_add"))
    choices = [value for value, _ in page.context["adminform"].form.fields["role"].choices]
    assert choices == [Role.SUPERADMIN, Role.ADMIN]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [({"role": Role.ADMIN}, "hospital"), ({"role": Role.SUPERADMIN, "hospital": "HOSPITAL"}, "hospital")],
)
def test_an_administrator_needs_a_hospital_and_an_operator_has_none(client, operator, dmc, fields, field):
    if fields.get("hospital") == "HOSPITAL":
        fields = {**fields, "hospital": dmc.pk}
    response = _add(client, **fields)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not User.objects.filter(username="new_account").exists()


@pytest.mark.django_db
def test_clinical_accounts_are_neither_listed_nor_opened_nor_changed(client, operator, dmc, make_user):
    doctor = make_user("dr_habib", role=Role.DOCTOR, hospital=dmc)
    admin = make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)
    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "dmc_admin" in listing and "dr_habib" not in listing
    change = reverse("admin:accounts_user_change", args=[doctor.pk])
    assert client.get(change).status_code == 302  # "does not exist", back to the admin
    data = _change_data(client, admin)
    data.update(username="dr_habib", role=Role.NURSE, is_active="")
    assert client.post(change, data).status_code == 302
    password = reverse("admin:auth_user_password_change", args=[doctor.pk])
    assert client.post(password, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 404
    delete = reverse("admin:accounts_user_delete", args=[doctor.pk])
    client.post(delete, {"post": "yes"})
    bulk = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [doctor.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    doctor.refresh_from_db()
    assert (doctor.role, doctor.is_active) == (Role.DOCTOR, True)
    assert doctor.check_password("pw-for-tests-1")


@pytest.mark.django_db
def test_an_administrator_is_not_turned_into_a_clinician(client, operator, dmc, make_user):
    admin = make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)
    url = reverse("admin:accounts_user_change", args=[admin.pk])
    for change in ({"role": Role.DOCTOR}, {"is_staff": "on"}, {"is_superuser": "on"}):
        data = {**_change_data(client, admin), **change}
        response = client.post(url, data)
        assert response.status_code == 200, change
        assert response.context["adminform"].form.errors
    admin.refresh_from_db()
    assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.ADMIN, False, False)
