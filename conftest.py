"""Test fixtures shared by every test: a fresh data folder per test, hospitals, users."""

import os

import pytest
from django.conf import settings as django_settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.testcases import TransactionTestCase

from hms.tenancy import connections as tenant_connections

_RUN_SERVERS = django_settings.HMS_DATABASE_SERVERS
_django_patch_method = TransactionTestCase.ensure_connection_patch_method.__func__


def _allow_hospital_databases(cls):
    """Django's test case refuses connections to aliases it did not know at set-up.

    Hospital databases are registered on first use, by design, and each test has its
    own data folder, so they need no test transaction: let them connect.
    """
    refusing = _django_patch_method(cls)
    real = BaseDatabaseWrapper.ensure_connection

    def ensure_connection(self, *args, **kwargs):
        if tenant_connections.is_tenant_alias(self.alias):
            return real(self, *args, **kwargs)
        return refusing(self, *args, **kwargs)

    return ensure_connection


TransactionTestCase.ensure_connection_patch_method = classmethod(_allow_hospital_databases)

_BACKEND_MARKERS = {"sqlite_only": ("sqlite", "SQLite"), "postgresql_only": ("postgresql", "PostgreSQL")}


def pytest_collection_modifyitems(config, items):
    """`sqlite_only` / `postgresql_only` tests run only in that backend's suite (HMS_TEST_BACKEND)."""
    backend = django_settings.HMS_TEST_BACKEND
    for item in items:
        for marker, (wanted, suite) in _BACKEND_MARKERS.items():
            if backend != wanted and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=f"runs in the {suite} suite"))


@pytest.fixture(scope="session")
def run_temp_root(tmp_path_factory):
    """This test run's own temporary folder: with pytest-xdist, the parent of the workers' ones."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(autouse=True)
def data_dir(request, tmp_path, settings):
    """Each test gets its own data folder; schema templates are shared by the session."""
    settings.HMS_DATA_DIR = tmp_path / "data"
    settings.HMS_DATA_DIR.mkdir()
    settings.HMS_TEMPLATE_DIR = django_settings.HMS_TEMPLATE_DIR
    yield settings.HMS_DATA_DIR
    # Registered before pytest-django's own teardown runs (autouse order), so its
    # test-case teardown never sees aliases from this test.
    tenant_connections.forget_all()
    _drop_postgresql_databases(keep_templates=True)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgresql_templates():
    yield
    _drop_postgresql_databases(keep_templates=False)


def _drop_postgresql_databases(*, keep_templates):
    """Drop the hospital databases this test run made on every PostgreSQL server.

    Uses the run's own server list, not the current setting, which a test may have
    pointed somewhere else.
    """
    from hms.tenancy.backends.postgresql import PostgresStorage
    from hms.tenancy.servers import parse_servers

    prefix = django_settings.HMS_DATABASE_PREFIX
    for server in parse_servers(_RUN_SERVERS).values():
        storage = PostgresStorage(server, prefix=prefix)
        for name in storage.database_names():
            if keep_templates and storage.is_template(name):
                continue
            storage.drop(name)


@pytest.fixture
def make_hospital(db):
    """Provision a real hospital (database cloned from the template) and return its row."""
    from hms.tenancy.provisioning import hospital_provision

    def make(code="TH001", name=None, time_zone="UTC"):
        return hospital_provision(code=code, name=name or f"Hospital {code}", time_zone=time_zone)

    return make


@pytest.fixture
def make_user(db):
    from hms.accounts.models import Role, User

    def make(username, role=Role.DOCTOR, hospital=None, password="pw-for-tests-1"):  # noqa: S107
        user = User(username=username, role=role, hospital=hospital)
        user.set_password(password)
        user.save()
        return user

    return make
