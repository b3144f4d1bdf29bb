"""Migration 0004: results entered before it get the code of the unit they were stored in (the
order's test code), with no value changed, and the database keeps refusing changes to a verified
result, the new columns included."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from hms.orders.models import LabResult
from hms.orders.tests.helpers import resulted
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE, AFTER = [("orders", "0003_formulary")], [("orders", "0004_result_loinc_code_and_limits")]


def _migrate(alias, target):
    executor = MigrationExecutor(connections[alias])
    executor.loader.build_graph()
    executor.migrate(target)


def test_results_entered_before_get_their_orders_code_and_stay_frozen(doctor, colleague, nurse, encounter):
    with hospital_context("DMC001") as tenant:
        hb = resulted(doctor, nurse, encounter, "13.1", code="718-7", unit="g/dL")
        glucose = resulted(doctor, nurse, encounter, "110", code="2345-7", unit="mg/dL")
        LabResult.objects.filter(pk=hb.pk).update(verified_by_id=colleague.pk, verified_at=hb.entered_at)
        alias = tenant.alias
    _migrate(alias, BEFORE)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM orders_labresult")
            assert cursor.fetchone() == (2,)
    finally:
        _migrate(alias, AFTER)
    with hospital_context("DMC001"):
        rows = {r.pk: r for r in LabResult.objects.all()}
        assert (rows[hb.pk].loinc_code, rows[hb.pk].value_numeric, rows[hb.pk].unit) == (
            "718-7",
            Decimal("13.1"),
            "g/dL",
        )
        assert (rows[glucose.pk].loinc_code, rows[glucose.pk].unit) == ("2345-7", "mg/dL")
        with pytest.raises(DatabaseError), transaction.atomic(using=alias):
            LabResult.objects.filter(pk=hb.pk).update(loinc_code="14749-6")
        LabResult.objects.filter(pk=glucose.pk).update(reference_note="not verified: not frozen")
