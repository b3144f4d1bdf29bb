"""A patient recorded as deceased cannot be booked (hms.patients.clinical.patient_alive_require)."""

import datetime

import pytest

from hms.core.exceptions import ApplicationError
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.scheduling.services import appointment_book
from hms.tenancy.context import hospital_context


@pytest.mark.django_db
def test_a_deceased_patient_is_not_booked_with_a_clear_message(clock, people, patients):
    with hospital_context("DMC001"):
        patient = patients[1]
        Patient.objects.filter(pk=patient.pk).update(
            deceased_at=datetime.datetime(2025, 12, 30, 14, tzinfo=datetime.UTC),
            deceased_recorded_by=people.doctor.pk,
        )
        patient.refresh_from_db()
        with pytest.raises(ApplicationError) as refused:
            appointment_book(
                acting_user=people.receptionist,
                patient=patient,
                practitioner_user_id=people.doctor.pk,
                local_date=datetime.date(2026, 1, 12),
                local_time=datetime.time(10),
            )
        assert refused.value.message == (
            f"{patient.full_name} is recorded as deceased (30 Dec 2025). No appointment can be booked."
        )
        assert not Appointment.objects.exists()
        # The living are booked as before.
        appointment_book(
            acting_user=people.receptionist,
            patient=patients[2],
            practitioner_user_id=people.doctor.pk,
            local_date=datetime.date(2026, 1, 12),
            local_time=datetime.time(10),
        )
        assert Appointment.objects.count() == 1
