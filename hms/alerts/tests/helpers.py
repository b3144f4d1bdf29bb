"""Shortcuts for the alert tests; call them inside `hospital_context("DMC001")`."""

from hms.alerts.models import CriticalAlert
from hms.audit.models import AuditEvent
from hms.orders import services

POTASSIUM = "2823-3"


def validated_potassium(doctor, nurse, scientist, encounter, value="6.9"):
    """A potassium ordered by `doctor`, collected and entered by `nurse`, validated by the laboratory."""
    order = services.lab_order_create(acting_user=doctor, encounter_id=encounter.pk, test_code=POTASSIUM)[0]
    services.lab_order_collect(acting_user=nurse, order_id=order.pk)
    result = services.lab_result_enter(acting_user=nurse, order_id=order.pk, value=value, unit="mmol/L")
    return services.lab_result_verify(acting_user=scientist, result_id=result.pk)


def the_alert():
    return CriticalAlert.objects.get()


def audited(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))
