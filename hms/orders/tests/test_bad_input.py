"""Bad input on the orders pages and services: a NUL in a reason or a note is a 400 with the
message and nothing changes (on PostgreSQL as on SQLite); a dose too large to hold is refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from hms.core.exceptions import ApplicationError
from hms.orders import services
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.orders.tests.helpers import ordered, prescribe
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
CODE = "DMC001"


def _url(name, **kwargs):
    return reverse(f"orders:{name}", kwargs={"hospital_code": CODE, **kwargs})


@pytest.mark.parametrize("reason", ["Rash\x00", "Rash\x1b"])
def test_a_stop_reason_with_a_control_character_is_a_400_and_nothing_changes(
    client, doctor, encounter, reason
):
    with hospital_context(CODE):
        prescription = prescribe(doctor, encounter)
    client.force_login(doctor)
    response = client.post(_url("prescription-stop", prescription_id=prescription.pk), {"reason": reason})
    assert response.status_code == 400
    with hospital_context(CODE):
        assert Prescription.objects.get(pk=prescription.pk).status == "active"


def test_a_stop_reason_with_a_nul_is_refused_with_the_control_character_message(client, doctor, encounter):
    with hospital_context(CODE):
        prescription = prescribe(doctor, encounter)
    client.force_login(doctor)
    response = client.post(_url("prescription-stop", prescription_id=prescription.pk), {"reason": "Rash\x00"})
    assert "cannot be stored" in response.content.decode()


@pytest.mark.parametrize("typed", ["1e999999999", "NaN", "Infinity", "-inf", "99999999"])
def test_a_dose_that_is_no_number_is_a_400_naming_it(client, doctor, encounter, typed):
    client.force_login(doctor)
    response = client.post(
        _url("prescription-new", encounter_id=encounter.pk),
        {"drug_name": "Paracetamol", "dose": typed, "dose_unit": "mg", "route": "oral", "frequency": "QDS"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The dose must be a number" in body or "The dose is too large" in body
    with hospital_context(CODE):
        assert not Prescription.objects.exists()


def test_orders_services_refuse_nul_and_overflow_before_the_database(doctor, nurse, encounter):
    with hospital_context(CODE):
        with pytest.raises(ApplicationError) as raised:
            prescribe(doctor, encounter, instructions="After food\x00")
        assert list(raised.value.details) == ["instructions"]
        with pytest.raises(ApplicationError) as raised:
            prescribe(doctor, encounter, dose=Decimal("1e999999999"))
        assert "too large" in raised.value.details["dose"][0]
        with pytest.raises(ApplicationError) as raised:
            services.lab_order_create(
                acting_user=doctor, encounter_id=encounter.pk, test_code="718-7", clinical_note="x\x00"
            )
        assert list(raised.value.details) == ["clinical_note"]
        assert not Prescription.objects.exists() and not LabOrder.objects.exists()

        order = ordered(doctor, encounter)
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        with pytest.raises(ApplicationError) as raised:
            services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="13", comment="ok\x00")
        assert list(raised.value.details) == ["comment"]
        with pytest.raises(ApplicationError, match="Give a reason|cannot be stored"):
            services.lab_order_cancel(acting_user=doctor, order_id=order.pk, reason="\x00")
        assert not LabResult.objects.exists()
        assert LabOrder.objects.get(pk=order.pk).status == LabOrder.Status.COLLECTED
