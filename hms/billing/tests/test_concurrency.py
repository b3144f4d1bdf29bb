"""Invoice numbers and balances hold when several desks work at the same moment (real threads)."""

import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.utils import timezone

from hms.billing import services
from hms.billing.models import Invoice, Payment
from hms.billing.tests.conftest import CODE
from hms.billing.tests.factories import EncounterFactory
from hms.core.exceptions import ApplicationError
from hms.tenancy.context import hospital_context

DESKS = 10


def _drafts(desk, count):
    ids = []
    with hospital_context(CODE):
        for encounter in EncounterFactory.create_batch(count):
            invoice = services.invoice_create_for_encounter(acting_user=desk, encounter_id=encounter.pk)
            services.invoice_line_add(acting_user=desk, invoice_id=invoice.pk, item_code="CONS")
            ids.append(invoice.pk)
    return ids


def _run_at_once(work, arguments):
    """Run work(argument) in one thread per argument, all released together; (results, errors)."""
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []
    lock = threading.Lock()

    def worker(argument):
        try:
            with hospital_context(CODE):
                barrier.wait(timeout=30)
                outcome = work(argument)
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_ten_desks_issuing_at_once_get_unique_gap_free_numbers(receptionist, prices):
    ids = _drafts(receptionist, DESKS)

    numbers, errors = _run_at_once(
        lambda invoice_id: services.invoice_issue(acting_user=receptionist, invoice_id=invoice_id).number,
        ids,
    )

    assert errors == []
    with hospital_context(CODE):
        stored = list(Invoice.objects.filter(pk__in=ids).values_list("number", "issued_at"))
    year = timezone.localtime(stored[0][1], zoneinfo.ZoneInfo("Asia/Dhaka")).year
    assert sorted(numbers) == sorted(number for number, _ in stored)
    assert sorted(numbers) == [f"INV-{year}-{sequence:06d}" for sequence in range(1, DESKS + 1)]


@pytest.mark.django_db(transaction=True)
def test_two_desks_paying_the_whole_balance_at_once_cannot_both_succeed(receptionist, prices):
    [invoice_id] = _drafts(receptionist, 1)
    with hospital_context(CODE):
        services.invoice_issue(acting_user=receptionist, invoice_id=invoice_id)

    results, errors = _run_at_once(
        lambda method: services.payment_record(
            acting_user=receptionist, invoice_id=invoice_id, amount=Decimal("50.00"), method=method
        ),
        ["cash", "card"],
    )

    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ApplicationError) and "already paid in full" in errors[0].message
    with hospital_context(CODE):
        assert Payment.objects.count() == 1
        assert Invoice.objects.get(pk=invoice_id).status == "paid"


@pytest.mark.django_db
def test_a_number_taken_by_a_transaction_that_rolls_back_is_given_back(dmc):
    at = timezone.now()
    with hospital_context(CODE) as tenant:
        with pytest.raises(RuntimeError), transaction.atomic(using=tenant.alias):
            first = services.invoice_number_next(at=at)
            raise RuntimeError("the issue failed after numbering")
        again = services.invoice_number_next(at=at)
    assert again == first and again.endswith("-000001")
