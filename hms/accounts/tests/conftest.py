"""Fixtures of the sign-in tests: two hospitals and their people, and django-axes turned on."""

import pytest

from hms.accounts.models import Role

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001", name="Test Hospital")


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001", name="Downtown Medical Center")


@pytest.fixture
def doctor(th001, make_user):
    return make_user("doc", role=Role.DOCTOR, hospital=th001)


@pytest.fixture
def th_admin(th001, make_user):
    return make_user("th_admin", role=Role.ADMIN, hospital=th001)


@pytest.fixture
def lockouts_on(settings):
    """django-axes as in every other settings module (the test settings turn it off, because
    Django's test client signs in without a request, which axes refuses)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.HMS_LOCKOUT_ADDRESS_FAILURES = 30
    return settings


def sign_in(client, username, password=PASSWORD, address="192.0.2.10", **extra):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)
