"""Shortcuts for the orders tests; call them inside `hospital_context(...)`."""

from decimal import Decimal

from hms.orders import services
from hms.orders.lab_catalogue import TESTS

PRESCRIPTION = {
    "drug_name": "Paracetamol",
    "dose": Decimal("500"),
    "dose_unit": "mg",
    "route": "oral",
    "frequency": "QDS",
    "duration_days": 5,
}


def prescribe(user, encounter, **overrides):
    """Prescribe with sensible defaults; call inside the hospital context."""
    return services.prescription_create(
        acting_user=user, encounter_id=encounter.pk, **{**PRESCRIPTION, **overrides}
    )


def ordered(user, encounter, code="718-7", **kwargs):
    """One lab order (the first, for a panel); call inside the hospital context."""
    return services.lab_order_create(acting_user=user, encounter_id=encounter.pk, test_code=code, **kwargs)[0]


def resulted(doctor, nurse, encounter, value, code="718-7", unit=None):
    """An order by the doctor, collected and resulted by the nurse (in the test's conventional
    unit unless `unit` is given; "" for a text test); returns the result."""
    order = ordered(doctor, encounter, code)
    if unit is None:
        unit = TESTS[order.test_code].unit
    services.lab_order_collect(acting_user=nurse, order_id=order.pk)
    return services.lab_result_enter(acting_user=nurse, order_id=order.pk, value=value, unit=unit)
