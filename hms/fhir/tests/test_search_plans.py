"""The plans of FHIR Patient searches (EXPLAIN of the statements a search runs): an identifier is
looked up in the MRN and identifier indexes, a name search does not walk the name-order index; and
how a search filter that ORs a sub-select with something else is rewritten for the first."""

import pytest
from django.db import connections, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from hms.fhir.search import subqueries_first
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"
NAME_ORDER_INDEX = next(
    index.name for index in Patient._meta.indexes if index.fields == ["family_name", "given_name", "id"]
)


def _patient_plans(client, params):
    """The ids found, and the plan of each statement of the search that reads patients_patient.

    On PostgreSQL sequential scans are turned off for the EXPLAIN: the table is small enough
    that reading it whole would be cheaper, while the question is whether indexes can serve.
    """
    connection = connections[hospital_alias("RGH001")]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{BASE}/Patient", params)
    assert response.status_code == 200
    found = [entry["resource"]["id"] for entry in response.json().get("entry", [])]
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "patients_patient"' in q["sql"]
    ]
    plans = []
    with (
        hospital_context("RGH001"),
        transaction.atomic(using=connection.alias),
        connection.cursor() as cursor,
    ):
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            explain, column = "EXPLAIN ", 0
        else:
            explain, column = "EXPLAIN QUERY PLAN ", 3
        for statement in statements:
            cursor.execute(explain + statement)  # the driver already inlined the parameters
            plans.append("\n".join(str(row[column]) for row in cursor.fetchall()))
    return found, plans


@pytest.mark.parametrize("which", ["mrn", "identifier"])
def test_an_identifier_search_reads_the_mrn_and_identifier_indexes(world, which):
    with hospital_context("RGH001"):
        Patient.objects.bulk_create(PatientFactory.build_batch(200))
    value = world.patient.mrn if which == "mrn" else "INS-777"
    found, plans = _patient_plans(world.client("receptionist"), {"identifier": value})
    assert found == [str(world.patient.pk)]
    assert len(plans) == 2  # the count, and the page
    for plan in plans:
        # Not "test every patient against the sub-select", nor "walk the list in name order":
        # at 100,000 patients that read the whole table (250 ms).
        assert "SubPlan" not in plan and NAME_ORDER_INDEX not in plan, plan
        assert "Seq Scan on patients_patient" not in plan, plan
        assert "SCAN patients_patient\n" not in plan + "\n", plan  # SQLite's whole-table read


def test_subqueries_first_writes_out_the_ids_of_a_sub_select_in_an_or(world):
    with hospital_context("RGH001"):
        holders = PatientIdentifier.objects.filter(value="INS-777").values("patient_id")
        either = subqueries_first(Q(mrn="nobody") | Q(pk__in=holders))
        assert either.connector == Q.OR
        assert ("pk__in", [world.patient.pk]) in either.children
        assert list(Patient.objects.filter(either)) == [world.patient]
        # Alone, or within an AND, a sub-select stays one: the database runs it as a join.
        alone = subqueries_first(Q(pk__in=holders) & Q(sex=world.patient.sex))
        assert all(child[1] is holders for child in alone.children if child[0] == "pk__in")
        nested = subqueries_first(Q(sex="other") | (Q(pk__in=holders) | Q(mrn="x")))
        assert list(Patient.objects.filter(nested)) == [world.patient]


@pytest.mark.postgresql_only
@pytest.mark.parametrize("prefix", ["m", "s"])
def test_a_name_search_does_not_walk_the_name_order_index(world, prefix):
    """With statistics saying thousands match, ordering by the bare family_name made PostgreSQL
    walk the (family_name, given_name, id) index, whose cost grows with the hospital."""
    with hospital_context("RGH001"):
        Patient.objects.bulk_create(PatientFactory.build_batch(5000), batch_size=1000)
    with connections[hospital_alias("RGH001")].cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")
    found, plans = _patient_plans(world.client("receptionist"), {"name": prefix})
    assert len(found) == 25
    assert len(plans) == 2
    for plan in plans:
        assert NAME_ORDER_INDEX not in plan, plan
