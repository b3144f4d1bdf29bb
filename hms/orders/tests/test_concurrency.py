"""Two people entering or correcting the same result at the same moment: one wins (real threads)."""

import threading

import pytest
from django.db import connections

from hms.core.exceptions import ApplicationError
from hms.orders import services
from hms.orders.models import LabOrder, LabResult
from hms.orders.tests.helpers import ordered, resulted
from hms.tenancy.context import hospital_context

THREADS = 4


def _run_at_once(work, arguments):
    """Run work(argument) in one thread per argument, all released together; (results, errors)."""
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []
    lock = threading.Lock()

    def worker(argument):
        try:
            with hospital_context("DMC001"):
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
def test_results_entered_at_the_same_moment_keep_one(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)

    results, errors = _run_at_once(
        lambda value: services.lab_result_enter(
            acting_user=nurse, order_id=order.pk, value=value, unit="g/dL"
        ),
        [str(12 + n) for n in range(THREADS)],
    )

    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(type(e) is ApplicationError and "already has a result" in e.message for e in errors), errors
    with hospital_context("DMC001"):
        assert LabResult.objects.get().pk == results[0].pk
        assert LabOrder.objects.get().status == "resulted"


@pytest.mark.django_db(transaction=True)
def test_corrections_made_at_the_same_moment_keep_one(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        first = resulted(doctor, nurse, encounter, "13")
        services.lab_result_verify(acting_user=doctor, result_id=first.pk)

    results, errors = _run_at_once(
        lambda value: services.lab_result_correct(
            acting_user=nurse, result_id=first.pk, value=value, unit="g/dL", reason="recount"
        ),
        [str(10 + n) for n in range(THREADS)],
    )

    assert len(results) == 1 and len(errors) == THREADS - 1
    assert all(type(e) is ApplicationError for e in errors), errors
    with hospital_context("DMC001"):
        current = LabResult.objects.get(superseded_at__isnull=True)
        assert current.pk == results[0].pk and current.supersedes_id == first.pk
        assert LabResult.objects.count() == 2
