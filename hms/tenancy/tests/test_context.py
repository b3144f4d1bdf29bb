"""hospital_context: nesting, errors, and isolation across threads and asyncio tasks."""

import asyncio
import random
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import current_tenant, current_tenant_or_none, hospital_context
from hms.tenancy.exceptions import HospitalNotFound, InvalidHospitalCode, NoHospitalSelected

CODES = ("TH001", "DMC001", "CMH002")


def _add_patients(code: str, count: int) -> set[str]:
    """Give hospital `code` `count` patients whose MRNs carry its code; return the MRNs."""
    mrns = {f"{code}-{i}" for i in range(count)}
    with hospital_context(code):
        Patient.objects.bulk_create(
            Patient(mrn=mrn, given_name="Pat", family_name=code, birth_date="1990-01-01")
            for mrn in sorted(mrns)
        )
    return mrns


def _mrns() -> set[str]:
    return set(Patient.objects.values_list("mrn", flat=True))


@pytest.fixture
def three_hospitals(make_hospital):
    """Three real hospitals, each holding patients that name it; returns {code: MRNs}."""
    patients = {}
    for index, code in enumerate(CODES):
        make_hospital(code)
        patients[code] = _add_patients(code, 3 + index)  # different counts per hospital
    return patients


@pytest.mark.django_db
def test_context_selects_the_hospital_and_is_cleared_on_exit(three_hospitals):
    assert current_tenant_or_none() is None
    with hospital_context("TH001") as tenant:
        assert tenant.code == "TH001"
        assert tenant.alias == "hospital_TH001"
        assert current_tenant() is tenant
        assert _mrns() == three_hospitals["TH001"]
    assert current_tenant_or_none() is None
    with pytest.raises(NoHospitalSelected):
        _mrns()


@pytest.mark.django_db
def test_hospital_row_or_code_select_the_same_database(three_hospitals):
    hospital = Hospital.objects.get(code="DMC001")
    with hospital_context(hospital) as tenant:
        assert tenant.code == "DMC001"
        assert _mrns() == three_hospitals["DMC001"]


@pytest.mark.django_db
def test_nested_contexts_restore_the_outer_hospital(three_hospitals):
    with hospital_context("TH001"):
        assert _mrns() == three_hospitals["TH001"]
        with hospital_context("DMC001"):
            assert current_tenant().code == "DMC001"
            assert _mrns() == three_hospitals["DMC001"]
            with hospital_context("CMH002"):
                assert _mrns() == three_hospitals["CMH002"]
            assert current_tenant().code == "DMC001"
            assert _mrns() == three_hospitals["DMC001"]
        assert current_tenant().code == "TH001"
        assert _mrns() == three_hospitals["TH001"]
        # The same hospital nested in itself is fine, and still restores it.
        with hospital_context("TH001"):
            assert _mrns() == three_hospitals["TH001"]
        assert current_tenant().code == "TH001"
        assert _mrns() == three_hospitals["TH001"]
    assert current_tenant_or_none() is None


@pytest.mark.django_db
def test_nested_context_restores_the_outer_hospital_when_the_block_raises(three_hospitals):
    class Boom(Exception):
        pass

    with hospital_context("TH001"):
        with pytest.raises(Boom), hospital_context("DMC001"):
            assert current_tenant().code == "DMC001"
            raise Boom
        assert current_tenant().code == "TH001"
        assert _mrns() == three_hospitals["TH001"]
        # A failing lookup of the inner hospital leaves the outer one in place too.
        with pytest.raises(HospitalNotFound), hospital_context("NOPE999"):
            pass
        assert current_tenant().code == "TH001"
    with pytest.raises(Boom), hospital_context("CMH002"):
        raise Boom
    assert current_tenant_or_none() is None


@pytest.mark.django_db
def test_unknown_code_raises_hospital_not_found(make_hospital):
    make_hospital("TH001")
    with pytest.raises(HospitalNotFound, match="NOPE999"), hospital_context("NOPE999"):
        pytest.fail("the block must not run")
    assert current_tenant_or_none() is None
    assert tenant_connections.registered_aliases() == []


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["th001", "T", "TH 001", "../TH001", "TH001;", "_TH001", "A" * 33, ""])
def test_invalid_code_raises_invalid_hospital_code(make_hospital, code):
    make_hospital("TH001")
    with pytest.raises(InvalidHospitalCode), hospital_context(code):
        pytest.fail("the block must not run")
    assert current_tenant_or_none() is None
    assert tenant_connections.registered_aliases() == []


@pytest.mark.django_db
def test_registry_rows_in_other_states_still_resolve_but_unknown_codes_do_not(make_hospital):
    # hospital_context is the engine's primitive: it resolves any registered hospital
    # (commands migrate SUSPENDED ones); refusing states is the middleware's job.
    make_hospital("TH001")
    Hospital.objects.filter(code="TH001").update(status=Hospital.Status.SUSPENDED)
    with hospital_context("TH001") as tenant:
        assert tenant.code == "TH001"
    with pytest.raises(HospitalNotFound), hospital_context("TH002"):
        pass


# --- concurrency -------------------------------------------------------------------------


THREADS = 8
ITERATIONS = 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("budget", [64, 2], ids=["roomy-budget", "tight-budget"])
def test_contexts_stay_separate_across_threads(three_hospitals, settings, budget):
    """8 threads alternate between hospitals; no thread ever sees another hospital's row.

    With a budget of 2 for 3 hospitals, registrations are evicted and re-added while
    other threads use them, which must not mix hospitals up either.
    """
    settings.HMS_MAX_TENANT_CONNECTIONS = budget
    expected = three_hospitals
    barrier = threading.Barrier(THREADS)
    errors: list[str] = []
    written: dict[str, set[str]] = {code: set() for code in CODES}
    written_lock = threading.Lock()

    def check(code: str, where: str) -> None:
        tenant = current_tenant()
        if tenant.code != code:
            errors.append(f"{where}: expected {code}, context says {tenant.code}")
        seen = _mrns()
        foreign = {mrn for mrn in seen if not mrn.startswith(f"{code}-")}
        if foreign:
            errors.append(f"{where}: {code} saw rows of another hospital: {sorted(foreign)[:5]}")
        if not expected[code] <= seen:
            errors.append(f"{where}: {code} is missing its own rows")

    def worker(number: int) -> None:
        rng = random.Random(number)
        mine = [CODES[(number + k) % len(CODES)] for k in range(2 + number % 2)]  # 2 or 3 hospitals
        try:
            barrier.wait(timeout=30)
            for iteration in range(ITERATIONS):
                code = mine[iteration % len(mine)]
                with hospital_context(code):
                    check(code, f"thread {number} iteration {iteration}")
                    if iteration % 10 == number % 10:
                        mrn = f"{code}-t{number}-{iteration}"
                        Patient.objects.create(
                            mrn=mrn, given_name="New", family_name=code, birth_date="2000-01-01"
                        )
                        with written_lock:
                            written[code].add(mrn)
                    if rng.random() < 0.3:
                        other = rng.choice(CODES)
                        with hospital_context(other):
                            check(other, f"thread {number} iteration {iteration} nested")
                        check(code, f"thread {number} iteration {iteration} after nesting")
                if current_tenant_or_none() is not None:
                    errors.append(f"thread {number}: context left set after iteration {iteration}")
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(f"thread {number}: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert current_tenant_or_none() is None
    assert all(written.values()), "every hospital was written to by some thread"
    # Every row written in a thread landed in the hospital that thread had selected.
    for code in CODES:
        with hospital_context(code):
            assert _mrns() == expected[code] | written[code]
    assert len(tenant_connections.registered_aliases()) <= budget


@pytest.mark.django_db(transaction=True)
def test_contexts_stay_separate_across_asyncio_tasks(three_hospitals):
    """Tasks interleave at every await, each inside its own hospital's context."""
    expected = three_hospitals
    tasks_per_hospital = 4
    rounds = 5

    async def visit(code: str, number: int) -> list[str]:
        problems = []
        hospital = await Hospital.objects.aget(code=code)
        with hospital_context(hospital):
            for round_number in range(rounds):
                await asyncio.sleep(0.001 * ((number + round_number) % 3))
                if current_tenant().code != code:
                    problems.append(f"task {code}/{number}: context says {current_tenant().code}")
                seen = {p.mrn async for p in Patient.objects.all()}
                if seen != expected[code]:
                    problems.append(f"task {code}/{number} round {round_number}: saw {sorted(seen)}")
                await asyncio.sleep(0)
                count = await sync_to_async(Patient.objects.count)()
                if count != len(expected[code]):
                    problems.append(f"task {code}/{number}: counted {count}")
                first = await Patient.objects.order_by("mrn").afirst()
                if first is None or not first.mrn.startswith(f"{code}-"):
                    problems.append(f"task {code}/{number}: first patient {first}")
            if current_tenant().code != code:
                problems.append(f"task {code}/{number}: context changed by the end")
        return problems

    async def main() -> list[str]:
        jobs = [visit(code, n) for n in range(tasks_per_hospital) for code in CODES]
        results = await asyncio.gather(*jobs)
        outside = current_tenant_or_none()
        await sync_to_async(connections.close_all)()
        problems = [problem for result in results for problem in result]
        if outside is not None:
            problems.append(f"the event loop's own context was changed to {outside.code}")
        return problems

    assert asyncio.run(main()) == []
    assert current_tenant_or_none() is None


@pytest.mark.django_db(transaction=True)
def test_context_set_in_a_thread_does_not_leak_into_others(three_hospitals):
    inside = threading.Event()
    done = threading.Event()
    seen_in_other_thread: list[object] = []

    def holder() -> None:
        try:
            with hospital_context("TH001"):
                inside.set()
                done.wait(timeout=30)
        finally:
            connections.close_all()

    def observer() -> None:
        seen_in_other_thread.append(current_tenant_or_none())
        try:
            _mrns()
        except NoHospitalSelected as exc:
            seen_in_other_thread.append(exc)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        assert current_tenant_or_none() is None  # the main thread has no hospital
        other = threading.Thread(target=observer)
        other.start()
        other.join(timeout=30)
        assert seen_in_other_thread[0] is None
        assert isinstance(seen_in_other_thread[1], NoHospitalSelected)
    finally:
        done.set()
        thread.join(timeout=30)
