import resource

import pytest
from django.core.checks import run_checks

from hms.hospitals.models import Hospital
from hms.tenancy.budget import automatic_budget
from hms.tenancy.checks import check_budget_covers_fleet, check_tenancy_settings
from hms.tenancy.schema import current_fingerprint
from hms.tenancy.servers import EMBEDDED_SERVER


def _ids(**_):
    return sorted(message.id for message in check_tenancy_settings())


def test_a_correct_configuration_reports_nothing():
    assert _ids() == []
    assert [m for m in run_checks(tags=["tenancy"]) if m.id.startswith("tenancy.")] == []


def test_app_in_both_lists_is_an_error(settings):
    settings.TENANT_APPS = [*settings.TENANT_APPS, "hms.accounts"]
    assert "tenancy.E001" in _ids()


def test_tenant_app_not_installed_is_an_error(settings):
    settings.TENANT_APPS = [*settings.TENANT_APPS, "hms.nothing"]
    assert "tenancy.E002" in _ids()


def test_missing_router_is_an_error(settings):
    settings.DATABASE_ROUTERS = []
    assert "tenancy.E003" in _ids()


def test_missing_or_misplaced_middleware_is_an_error(settings):
    middleware = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = [m for m in middleware if m != "hms.tenancy.middleware.HospitalMiddleware"]
    assert "tenancy.E004" in _ids()
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    settings.MIDDLEWARE = [m for m in middleware if m != auth] + [auth]
    assert "tenancy.E005" in _ids()


def test_unwritable_data_folder_is_an_error(settings, tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    settings.HMS_DATA_DIR = folder
    try:
        import os

        if os.geteuid() == 0:  # root writes anywhere; the check asks the OS, which says yes
            assert "tenancy.E006" not in _ids()
        else:
            assert "tenancy.E006" in _ids()
    finally:
        folder.chmod(0o700)


def test_connection_budget_must_be_positive_and_small_budgets_warn(settings):
    settings.HMS_MAX_TENANT_CONNECTIONS = 0
    assert "tenancy.E007" in _ids()
    settings.HMS_MAX_TENANT_CONNECTIONS = 2
    assert "tenancy.W001" in _ids()
    settings.HMS_MAX_TENANT_CONNECTIONS = None  # unset: what the process can hold
    assert _ids() == []


def test_a_budget_beyond_the_open_files_limit_warns(settings, monkeypatch):
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, resource.RLIM_INFINITY))
    settings.HMS_MAX_TENANT_CONNECTIONS = 256  # 3 x 256 + 256 = 1024 files: just fits
    assert _ids() == []
    settings.HMS_MAX_TENANT_CONNECTIONS = 257
    [warning] = [m for m in check_tenancy_settings() if m.id == "tenancy.W002"]
    assert "1027 open files" in warning.msg and "1024" in warning.msg
    assert "LimitNOFILE" in warning.hint


def _sqlite_hospital(code, status=Hospital.Status.ACTIVE):
    """A registry row on the embedded SQLite storage, whatever backend the tests place hospitals on."""
    return Hospital.objects.create(
        code=code,
        name=f"Hospital {code}",
        server=EMBEDDED_SERVER,
        database_name=f"hospitals/{code}/db.sqlite3",
        schema_fingerprint=current_fingerprint(),
        status=status,
    )


@pytest.mark.django_db
def test_a_fleet_beyond_the_budget_warns_what_to_raise(settings):
    for code in ("FB01", "FB02", "FB03"):
        _sqlite_hospital(code)
    _sqlite_hospital("FB04", status=Hospital.Status.ARCHIVED)  # not served: not counted
    settings.HMS_MAX_TENANT_CONNECTIONS = 3
    assert check_budget_covers_fleet(databases=["default"]) == []
    settings.HMS_MAX_TENANT_CONNECTIONS = 2
    assert check_budget_covers_fleet() == []  # a database check: only with --database
    [warning] = check_budget_covers_fleet(databases=["default"])
    assert warning.id == "tenancy.W003"
    assert "3 active hospitals" in warning.msg and "at most 2" in warning.msg
    assert "Raise HMS_MAX_TENANT_CONNECTIONS to 3" in warning.hint
    found = run_checks(tags=["tenancy"], databases=["default"])
    assert sorted(m.id for m in found) == ["tenancy.W001", "tenancy.W003"]  # Django keeps checks in a set


@pytest.mark.django_db
def test_an_automatic_budget_below_the_fleet_names_the_open_files_limit(settings, monkeypatch):
    monkeypatch.setattr(resource, "getrlimit", lambda which: (268, resource.RLIM_INFINITY))  # 4 connections
    automatic_budget.cache_clear()
    settings.HMS_MAX_TENANT_CONNECTIONS = None
    try:
        for number in range(5):
            _sqlite_hospital(f"FA0{number}")
        [warning] = check_budget_covers_fleet(databases=["default"])
        assert "at most 4 hospital connections open (from the open-files limit)" in warning.msg
        assert "open-files limit (ulimit -n, systemd LimitNOFILE) to at least 271" in warning.hint
    finally:
        automatic_budget.cache_clear()


def test_malformed_database_servers_are_an_error(settings):
    settings.HMS_DATABASE_SERVERS = "main=mysql://db/x"
    assert "tenancy.E008" in _ids()
    settings.HMS_DATABASE_SERVERS = "just-a-url"
    assert "tenancy.E008" in _ids()


def test_bad_database_prefix_is_an_error(settings):
    settings.HMS_DATABASE_PREFIX = "Bad-Prefix"
    assert "tenancy.E009" in _ids()
