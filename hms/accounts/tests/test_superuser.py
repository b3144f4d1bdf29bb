import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command

from hms.accounts.models import Role, User
from hms.hospitals.models import Hospital

PASSWORD = "first-platform-pw-1"


@pytest.fixture
def first_account(db, monkeypatch):
    """What an operator runs on a fresh system: `createsuperuser --noinput`."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", username="root", email="root@example.org", verbosity=0)
    return User.objects.get(username="root")


def test_createsuperuser_makes_a_platform_superadmin_without_a_hospital(first_account):
    assert first_account.role == Role.SUPERADMIN
    assert first_account.is_superadmin
    assert first_account.hospital is None
    assert first_account.is_staff
    assert first_account.is_superuser
    assert first_account.email == "root@example.org"
    assert first_account.check_password(PASSWORD)


def test_the_first_account_signs_in_and_creates_a_hospital_in_the_admin(client, first_account):
    response = client.post("/login/", {"username": "root", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert [url for url, _ in response.redirect_chain] == ["/"]
    assert int(client.session[SESSION_KEY]) == first_account.pk

    response = client.post(
        "/admin/hospitals/hospital/add/",
        {"code": "KCH01", "name": "King's College Hospital", "time_zone": "Europe/London", "_save": "Save"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    hospital = Hospital.objects.get(code="KCH01")
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.name == "King's College Hospital"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT])
def test_create_superuser_refuses_another_role(role):
    with pytest.raises(ValueError, match="SUPERADMIN"):
        User.objects.create_superuser("root", "root@example.org", PASSWORD, role=role)
    assert not User.objects.exists()


def test_create_superuser_refuses_a_hospital(make_hospital):
    hospital = make_hospital("TH001")
    with pytest.raises(ValueError, match="no hospital"):
        User.objects.create_superuser("root", "root@example.org", PASSWORD, hospital=hospital)
    assert not User.objects.exists()
