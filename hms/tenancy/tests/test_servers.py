"""Database servers: configuration, placement of new hospitals, per-server connection limits."""

import pytest
from django.conf import settings as django_settings

from hms.accounts.models import Role
from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import ConnectionLimitReached, ProvisioningError
from hms.tenancy.placement import server_choose
from hms.tenancy.servers import parse_servers

postgresql_only = pytest.mark.postgresql_only
MAIN = django_settings.HMS_TEST_SERVER_URLS["main"]
EAST = django_settings.HMS_TEST_SERVER_URLS["east"]


def test_servers_are_parsed_with_their_own_options():
    servers = parse_servers(
        "main=postgres://hms:s3cret@db1:6543/postgres?max_hospitals=500&max_connections=40,"
        "east=postgres://hms@db2/postgres?pgbouncer=127.0.0.1:6432&sslmode=require"
    )
    main, east = servers["main"], servers["east"]
    assert (main.max_hospitals, main.max_connections, main.pgbouncer) == (500, 40, None)
    assert (main.admin["HOST"], main.admin["PORT"], main.admin["PASSWORD"]) == ("db1", 6543, "s3cret")
    assert east.pgbouncer == ("127.0.0.1", 6432)
    assert east.admin["OPTIONS"] == {"sslmode": "require"}
    assert parse_servers("") == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("main", "not name=url"),
        ("main=sqlite:///x.db", "postgres://"),
        ("a=postgres://h/p,a=postgres://h/p", "twice"),
        ("embedded=postgres://h/p", "not 'embedded'"),
        ("main=postgres://h/p?max_hospitals=0", "positive"),
        ("main=postgres://h/p?pgbouncer=nohostport", "host:port"),
        ("ma in=postgres://h/p", "letters, digits"),
    ],
)
def test_malformed_servers_are_refused_with_a_clear_message(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_servers(raw)


@pytest.mark.django_db
def test_without_servers_hospitals_use_the_embedded_storage(settings):
    settings.HMS_DATABASE_SERVERS = ""
    assert server_choose() == "embedded"


def _hospitals_on(server, count, start=0):
    Hospital.objects.bulk_create(
        Hospital(
            code=f"{server.upper()[:4]}{start + n:04d}",
            name="x",
            server=server,
            database_name=f"x{start + n}",
            status=Hospital.Status.ACTIVE,
        )
        for n in range(count)
    )


@pytest.mark.django_db
def test_new_hospitals_go_to_the_server_with_the_most_room(settings):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN},east={EAST}"
    _hospitals_on("main", 3)
    _hospitals_on("east", 1)
    assert server_choose() == "east"  # fewest hospitals
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_hospitals=10,east={EAST}?max_hospitals=2"
    assert server_choose() == "main"  # 7 free places against 1
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_hospitals=3,east={EAST}?max_hospitals=1"
    with pytest.raises(ProvisioningError, match="full"):
        server_choose()


@pytest.mark.django_db
def test_archived_hospitals_do_not_take_room(settings):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_hospitals=1"
    _hospitals_on("main", 1)
    Hospital.objects.update(status=Hospital.Status.ARCHIVED)
    assert server_choose() == "main"


@postgresql_only
@pytest.mark.django_db
def test_provisioning_spreads_hospitals_over_both_servers(make_hospital):
    servers = {make_hospital(f"SPR{n:02d}").server for n in range(4)}
    assert servers == {"main", "east"}


@postgresql_only
@pytest.mark.django_db
def test_per_server_connection_limit_closes_idle_connections_then_refuses(settings, make_hospital):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections=2"
    first, second, third = (make_hospital(f"LIM0{n}") for n in range(3))
    for hospital in (first, second, third):  # one at a time: idle connections are closed to make room
        with hospital_context(hospital):
            assert Patient.objects.count() == 0
    assert len(tenant_connections.open_aliases()) == 2
    with (
        hospital_context(first),
        hospital_context(second),
        pytest.raises(ConnectionLimitReached, match="All 2 connections"),
        hospital_context(third),
    ):
        pass


@postgresql_only
@pytest.mark.django_db
def test_exhausted_connections_answer_503_not_a_hang(settings, make_hospital, make_user, client):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections=1"
    busy, wanted = make_hospital("BUSY1"), make_hospital("WANT1")
    admin = make_user("root", role=Role.SUPERADMIN)
    client.force_login(admin)
    with hospital_context(busy):
        response = client.get("/h/WANT1/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"busy or unreachable" in response.content
    assert client.get("/h/WANT1/").status_code == 200
    assert wanted.server == "main"


@postgresql_only
@pytest.mark.django_db
def test_unreachable_server_answers_503(settings, make_hospital, make_user, client):
    hospital = make_hospital("DOWN1")
    admin = make_user("root", role=Role.SUPERADMIN)
    # The hospital's server now points at a port where nothing listens.
    settings.HMS_DATABASE_SERVERS = (
        "main=postgres://postgres@127.0.0.1:9/postgres,east=postgres://postgres@127.0.0.1:9/postgres"
    )
    client.force_login(admin)
    response = client.get(f"/h/{hospital.code}/")
    assert response.status_code == 503


@pytest.mark.django_db
def test_a_half_made_hospital_is_finished_even_when_every_server_is_full(settings):
    from hms.tenancy.provisioning import hospital_provision

    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_hospitals=1"
    _hospitals_on("main", 1)
    Hospital.objects.create(
        code="HALF1",
        name="Half made",
        server="embedded",
        database_name="hospitals/HALF1/db.sqlite3",
        status=Hospital.Status.PROVISIONING,
    )
    hospital = hospital_provision(code="HALF1", name="Half made")
    assert (hospital.status, hospital.server) == (Hospital.Status.ACTIVE, "embedded")
    with hospital_context(hospital):
        assert Patient.objects.count() == 0
    with pytest.raises(ProvisioningError, match="full"):
        hospital_provision(code="NEW01", name="New")
    assert not Hospital.objects.filter(code="NEW01").exists()
