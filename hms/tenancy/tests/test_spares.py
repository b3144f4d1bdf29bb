"""The spare pool: databases cloned ahead of time, renamed into place by provisioning.

Spares and hospitals never share a name space, and a refill drops only what the spare
pool itself made and marked, and no hospital in the registry names. Runs against the
real PostgreSQL server; the refills run as provisioning runs them.
"""

import datetime

import pytest
from django.conf import settings as django_settings
from psycopg import sql

from hms.accounts.models import Role
from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.patients.services import patient_register
from hms.tenancy.backends import storage_for
from hms.tenancy.backends.postgresql import SPARE_MARK
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import DatabaseExists
from hms.tenancy.provisioning import hospital_provision, spares_wait
from hms.tenancy.schema import current_fingerprint

pytestmark = [pytest.mark.postgresql_only, pytest.mark.django_db(transaction=True)]
MAIN = django_settings.HMS_TEST_SERVER_URLS["main"]


@pytest.fixture
def storage(settings):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?spares=2"
    return storage_for("main")


def _oids(storage, names):
    with storage._admin() as connection:
        rows = connection.execute(
            "SELECT datname, oid FROM pg_database WHERE datname = ANY(%s)", [list(names)]
        ).fetchall()
    return dict(rows)


def _create(storage, name, *, marked):
    with storage._admin() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if marked:
            connection.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(SPARE_MARK))
            )


def _spares(storage):
    prefix = storage.spare_prefix(current_fingerprint())
    return [name for name in storage.database_names() if name.startswith(prefix)]


def test_spare_databases_are_renamed_into_place_and_refilled(storage):
    stale = f"{storage.internal_prefix}spare_0ld0ld0ld0ld0ld0_x"
    _create(storage, stale, marked=True)  # a spare of an older schema

    hospital_provision(code="SPARE1", name="First")  # no spare yet: cloned, then the pool is filled
    spares_wait()
    spares = _spares(storage)
    assert len(spares) == 2
    assert stale not in storage.database_names()
    spare_oids = set(_oids(storage, spares).values())

    second = hospital_provision(code="SPARE2", name="Second")
    spares_wait()
    assert _oids(storage, [second.database_name])[second.database_name] in spare_oids
    assert len(_spares(storage)) == 2
    with hospital_context(second):
        assert Patient.objects.count() == 0  # a complete, empty hospital database


@pytest.mark.parametrize(
    "code",
    [
        "SPARE_WARD",
        # A code spelled exactly like a spare or template of the current schema.
        "SPARE_{fingerprint}_0A1B2C",
        "TEMPLATE_{fingerprint}",
        "BUILDING_0123456789ABCDEF",
    ],
)
def test_hospitals_named_like_internal_databases_survive_any_number_of_refills(storage, code, make_user):
    code = code.format(fingerprint=current_fingerprint().upper())
    hospital = hospital_provision(code=code, name="Looks internal")
    spares_wait()
    clerk = make_user("clerk", role=Role.RECEPTIONIST, hospital=hospital)
    with hospital_context(hospital):
        patient = patient_register(
            acting_user=clerk, given_name="Ada", family_name="Lovelace", birth_date=datetime.date(1990, 1, 1)
        )
    other = "0ther0ther0ther0"  # the next release's schema: its template exists, as after an upgrade
    if not storage.template_exists(other):
        with storage._admin() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(storage.template_name(other)),
                    sql.Identifier(storage.template_name(current_fingerprint())),
                )
            )
    for round_ in range(3):
        # Refills after more hospitals take spares, and refills for another schema (an
        # upgrade), which drop every spare of the old one.
        hospital_provision(code=f"NEXT{round_}", name="Next")
        spares_wait()
        storage.spares_replenish(other)
        storage.spares_replenish(current_fingerprint())
    assert storage.exists(hospital.database_name)
    with hospital_context(Hospital.objects.get(code=code)):
        assert list(Patient.objects.values_list("pk", flat=True)) == [patient.pk]


def test_a_database_the_registry_names_is_never_dropped_as_a_spare(storage):
    """Even in the spare name space and carrying the spare mark (a hand-made mistake)."""
    name = f"{storage.internal_prefix}spare_0ld0ld0ld0ld0ld0_owned"
    _create(storage, name, marked=True)
    Hospital.objects.create(
        code="OWNED1", name="Owned", server="main", database_name=name, status=Hospital.Status.ACTIVE
    )
    storage.spares_replenish(current_fingerprint())
    assert storage.exists(name)


def test_an_unmarked_database_in_the_spare_name_space_is_never_dropped(storage):
    name = f"{storage.internal_prefix}spare_0ld0ld0ld0ld0ld0_unmarked"
    _create(storage, name, marked=False)
    storage.spares_replenish(current_fingerprint())
    assert storage.exists(name)
    assert name not in _spares(storage)


def test_a_claimed_spare_no_longer_carries_the_spare_mark(storage):
    storage.spares_replenish(current_fingerprint())
    hospital = hospital_provision(code="CLAIM1", name="Claims a spare")
    spares_wait()
    with storage._admin() as connection:
        comment = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [hospital.database_name],
        ).fetchone()
    assert comment == (None,)


def test_a_spare_another_provisioner_took_is_skipped_for_the_next(storage, monkeypatch):
    """Listed, then renamed away by another process before this one's rename: take the next."""
    fingerprint = current_fingerprint()
    storage.spares_replenish(fingerprint)
    ready = _spares(storage)
    gone = f"{storage.spare_prefix(fingerprint)}taken"
    listed = storage._spares
    monkeypatch.setattr(storage, "_spares", lambda connection, prefix: [gone, *listed(connection, prefix)])
    name = storage.database_name_for("CLAIMED1")
    assert storage._claim_spare(name, fingerprint) is True
    assert storage.exists(name)
    assert len(_spares(storage)) == len(ready) - 1


def test_a_spare_renamed_onto_an_existing_database_is_refused_and_kept(storage):
    fingerprint = current_fingerprint()
    storage.spares_replenish(fingerprint)
    ready = _spares(storage)
    taken = storage.database_name_for("OWNED2")
    _create(storage, taken, marked=False)
    with pytest.raises(DatabaseExists):
        storage._claim_spare(taken, fingerprint)
    assert sorted(_spares(storage)) == sorted(ready)
