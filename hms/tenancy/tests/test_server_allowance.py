"""Each process's connection allowance to a PostgreSQL server, read from the server, and its checks."""

import psycopg
import pytest
from django.conf import settings as django_settings

from hms.tenancy.server_checks import check_server_allowances
from hms.tenancy.servers import get_server, process_allowance

pytestmark = pytest.mark.postgresql_only
MAIN = django_settings.HMS_TEST_SERVER_URLS["main"]


def _server_limits() -> tuple[int, int]:
    with psycopg.connect(MAIN, autocommit=True) as connection:
        row = connection.execute(
            "SELECT current_setting('max_connections')::int, "
            "current_setting('superuser_reserved_connections')::int"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_a_server_listed_without_options_shares_its_own_max_connections_among_the_processes(settings):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}"
    settings.HMS_APP_PROCESSES = 2
    max_connections, reserved = _server_limits()
    for_applications = max_connections - reserved - max(5, max_connections // 10)
    assert process_allowance(get_server("main")) == for_applications // 2 - 2
    settings.HMS_APP_PROCESSES = 4
    assert process_allowance(get_server("main")) == for_applications // 4 - 2
    # Never more between them than the server accepts.
    assert 4 * (process_allowance(get_server("main")) + 2) <= max_connections - reserved


def test_an_explicit_allowance_wins_and_a_pooled_server_is_not_capped_by_the_server(settings):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections=7,east={MAIN}?pgbouncer=127.0.0.1:6432"
    assert process_allowance(get_server("main")) == 7
    assert process_allowance(get_server("east")) is None


@pytest.mark.django_db
def test_allowances_beyond_what_the_server_accepts_are_warned_of(settings):
    max_connections, _ = _server_limits()
    settings.HMS_APP_PROCESSES = 2
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections={max_connections // 2}"
    warnings = check_server_allowances(databases=["default"])
    assert [w.id for w in warnings] == ["tenancy.W010"]
    assert "too many clients" in warnings[0].msg
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections={max_connections // 4}"
    assert check_server_allowances(databases=["default"]) == []
    assert check_server_allowances(databases=None) == []  # not a database check run


@pytest.mark.django_db
def test_a_fleet_the_allowances_cannot_keep_warm_is_warned_of(settings, make_hospital):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}"
    make_hospital("WARM1")
    make_hospital("WARM2")
    settings.HMS_APP_PROCESSES = 2
    assert check_server_allowances(databases=["default"]) == []
    settings.HMS_APP_PROCESSES = 1000  # an allowance of one connection per process: too few
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections=1"
    ids = [w.id for w in check_server_allowances(databases=["default"])]
    assert ids == ["tenancy.W010"]  # 1000 processes ask for more than the server accepts
    settings.HMS_APP_PROCESSES = 1
    warnings = check_server_allowances(databases=["default"])
    assert [w.id for w in warnings] == ["tenancy.W011"]
    assert "2 active hospitals" in warnings[0].msg
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?pgbouncer=127.0.0.1:6432"
    settings.HMS_MAX_TENANT_CONNECTIONS = 1
    warnings = check_server_allowances(databases=["default"])
    assert [w.id for w in warnings] == ["tenancy.W011"]
    assert "behind PgBouncer" in warnings[0].msg
    settings.HMS_MAX_TENANT_CONNECTIONS = 2
    assert check_server_allowances(databases=["default"]) == []


def test_a_server_that_cannot_be_asked_gets_postgresqls_defaults_and_is_not_asked_on_every_request(
    settings, monkeypatch
):
    from hms.tenancy import servers
    from hms.tenancy.backends import postgresql

    settings.HMS_DATABASE_SERVERS = "main=postgres://postgres@127.0.0.1:9/postgres"
    settings.HMS_APP_PROCESSES = 2
    asked = []

    def unreachable(admin):
        asked.append(admin["PORT"])
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(postgresql, "read_connection_limits", unreachable)
    servers.forget_capacities()
    try:
        assert process_allowance(get_server("main")) == (100 - 3 - 10) // 2 - 2
        assert process_allowance(get_server("main")) == (100 - 3 - 10) // 2 - 2
        assert asked == [9]
    finally:
        servers.forget_capacities()
