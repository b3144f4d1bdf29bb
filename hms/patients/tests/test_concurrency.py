"""Two desks registering the same person at the same moment: one registers, the other is warned."""

import datetime
import threading

import pytest
from django.db import connections

from hms.accounts.models import Role
from hms.patients.models import Patient
from hms.patients.services import PossibleDuplicate, patient_register
from hms.tenancy.context import hospital_context

DESKS = 6


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_of_one_person_make_one_patient(make_hospital, make_user):
    hospital = make_hospital("TH001")
    clerks = [make_user(f"desk{n}", role=Role.RECEPTIONIST, hospital=hospital) for n in range(DESKS)]
    for clerk in clerks:
        clerk.hospital  # noqa: B018 - load it here, not in the threads
    barrier = threading.Barrier(DESKS)
    outcomes: list[str | None] = [None] * DESKS

    def register(number: int) -> None:
        try:
            with hospital_context(hospital):
                barrier.wait(timeout=60)
                try:
                    patient_register(
                        acting_user=clerks[number],
                        given_name="Amina",
                        family_name="Okafor",
                        birth_date=datetime.date(1990, 4, 2),
                    )
                    outcomes[number] = "registered"
                except PossibleDuplicate:
                    outcomes[number] = "warned"
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes[number] = f"error {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(DESKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["registered"] + ["warned"] * (DESKS - 1)
    with hospital_context(hospital):
        assert Patient.objects.count() == 1
