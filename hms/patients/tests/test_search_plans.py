"""The database plans of patient search use the indexes (EXPLAIN of the statements the selector runs)."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.selectors import patient_search
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

TRIGRAM_INDEX = "patients_patient_name_trgm"  # migration 0004, PostgreSQL only


def _index(model, *fields):
    return next(index.name for index in model._meta.indexes if index.fields == list(fields))


@pytest.fixture
def doctor(make_hospital, make_user):
    th001 = make_hospital("TH001")
    with hospital_context("TH001"):
        patients = Patient.objects.bulk_create(PatientFactory.build_batch(200))
        patients[0].given_name, patients[0].family_name = "Amina", "Okafor"
        patients[0].given_name_norm, patients[0].family_name_norm = "amina", "okafor"
        patients[0].save()
        PatientIdentifier.objects.create(patient=patients[1], system="INSURANCE", value="INS-1")
    return make_user("doc", role=Role.DOCTOR, hospital=th001)


def _plans(user, query):
    """Each SELECT on the patient tables that patient_search(query) runs, with its plan as text.

    On PostgreSQL sequential scans are turned off for the EXPLAIN: the table is small enough
    that reading it whole would be cheaper, while the question is whether an index can serve.
    """
    with hospital_context("TH001") as tenant:
        connection = connections[tenant.alias]
        with CaptureQueriesContext(connection) as captured:
            patient_search(user=user, query=query)
        statements = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].lstrip("(").startswith("SELECT") and "patients_" in q["sql"]
        ]
        plans = []
        with transaction.atomic(using=tenant.alias), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
                explain, column = "EXPLAIN ", 0
            else:
                explain, column = "EXPLAIN QUERY PLAN ", 3
            for statement in statements:
                # No parameters: the driver already inlined them, and a '%' left is an operator.
                cursor.execute(explain + statement)
                plans.append((statement, "\n".join(str(row[column]) for row in cursor.fetchall())))
    assert plans
    return plans


def _vendor():
    with hospital_context("TH001") as tenant:
        return connections[tenant.alias].vendor


def _name_plans(user, query):
    return [plan for statement, plan in _plans(user, query) if "given_name_norm" in statement]


def _assert_no_full_scan(plan, vendor):
    if vendor == "postgresql":
        assert "Seq Scan on patients_patient " not in plan, plan
    else:
        # SQLite writes "SCAN patients_patient" (without USING ... INDEX) for a read of the whole table.
        assert "SCAN patients_patient\n" not in plan + "\n", plan


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["oka", "amina oka", "okafor, amina"])
def test_a_name_search_reads_the_name_indexes(doctor, query):
    plans = _name_plans(doctor, query)
    vendor = _vendor()
    assert len(plans) == 2  # the count, and the page
    for plan in plans:
        assert _index(Patient, "given_name_norm") in plan, plan
        assert _index(Patient, "family_name_norm") in plan, plan
        _assert_no_full_scan(plan, vendor)
        # Not "walk the whole list in name order until 25 match": matches of a family-name
        # prefix sit together, so that walk can read most of the table.
        assert _index(Patient, "family_name", "given_name", "id") not in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["mrn", "identifier"])
def test_an_mrn_or_identifier_search_reads_their_indexes(doctor, kind):
    with hospital_context("TH001"):
        query = "INS-1" if kind == "identifier" else Patient.objects.order_by("id")[5].mrn
    plans = [plan for statement, plan in _plans(doctor, query)]
    vendor = _vendor()
    # PostgreSQL has two indexes on the MRN (the unique one, and Django's "_like" one): either serves.
    mrn_index = "patients_patient_mrn_" if vendor == "postgresql" else "sqlite_autoindex_patients_patient_1"
    assert mrn_index in plans[0], plans[0]  # the ids of the MRN or identifier, in one statement
    assert _index(PatientIdentifier, "value") in plans[0], plans[0]
    for plan in plans:
        _assert_no_full_scan(plan, vendor)


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_a_fuzzy_search_reads_the_trigram_index(doctor):
    plans = _plans(doctor, "amena okafr")
    fuzzy = [plan for statement, plan in plans if "word_similarity" in statement]
    assert len(fuzzy) == 1
    assert f"Bitmap Index Scan on {TRIGRAM_INDEX}" in fuzzy[0], fuzzy[0]
    for _statement, plan in plans:
        _assert_no_full_scan(plan, "postgresql")


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_the_trigram_index_is_on_the_normalised_full_name(doctor):
    with hospital_context("TH001") as tenant, connections[tenant.alias].cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [TRIGRAM_INDEX])
        (definition,) = cursor.fetchone()
    assert "USING gin" in definition
    assert "given_name_norm" in definition and "family_name_norm" in definition
    assert "gin_trgm_ops" in definition


@pytest.mark.django_db
@pytest.mark.sqlite_only
def test_sqlite_has_no_trigram_index(doctor):
    with hospital_context("TH001") as tenant, connections[tenant.alias].cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = %s", [TRIGRAM_INDEX])
        assert cursor.fetchall() == []


@pytest.mark.django_db
@pytest.mark.postgresql_only
@pytest.mark.parametrize("query", ["m", "s"])
def test_postgresql_does_not_walk_the_name_order_index_for_many_matches(make_hospital, make_user, query):
    """With statistics saying thousands match, ordering by the bare columns made PostgreSQL walk
    the (family_name, given_name, id) index, whose cost grows with the hospital, not the matches."""
    th001 = make_hospital("TH001")
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001") as tenant:
        Patient.objects.bulk_create(PatientFactory.build_batch(5000), batch_size=1000)
        with connections[tenant.alias].cursor() as cursor:
            cursor.execute("ANALYZE patients_patient")
    plans = _name_plans(user, query)
    assert len(plans) == 2
    for plan in plans:
        assert _index(Patient, "family_name", "given_name", "id") not in plan, plan
        assert _index(Patient, "given_name_norm") in plan, plan
