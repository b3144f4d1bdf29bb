from django.core.checks import run_checks

from hms.tenancy.checks import check_tenancy_settings


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


def test_malformed_database_servers_are_an_error(settings):
    settings.HMS_DATABASE_SERVERS = "main=mysql://db/x"
    assert "tenancy.E008" in _ids()
    settings.HMS_DATABASE_SERVERS = "just-a-url"
    assert "tenancy.E008" in _ids()


def test_bad_database_prefix_is_an_error(settings):
    settings.HMS_DATABASE_PREFIX = "Bad-Prefix"
    assert "tenancy.E009" in _ids()
