"""Writes of prescriptions, lab orders and lab results; each checks the permission matrix and is audited.

One module per record type (prescriptions, lab_orders, lab_results) and what they share
(shared); every public name is here, so `from hms.orders.services import x` is the way in.
Services take typed values: forms (hms.orders.forms) parse what people type.
"""

from hms.orders.services.lab_orders import (
    lab_order_cancel,
    lab_order_collect,
    lab_order_create,
    lab_order_void,
)
from hms.orders.services.lab_results import (
    lab_panel_collect,
    lab_panel_results_enter,
    lab_result_correct,
    lab_result_enter,
    lab_result_verify,
)
from hms.orders.services.medication_safety import (
    ALLERGY_MIN_MATCH,
    Finding,
    OverrideRequired,
    PrescriptionRefused,
    SafetyReview,
    prescription_review,
)
from hms.orders.services.prescriptions import (
    STAT_SHOWN_FOR,
    prescription_complete,
    prescription_create,
    prescription_stop,
    prescription_void,
)
from hms.orders.services.shared import (
    ENCOUNTER_GRACE,
    ENCOUNTER_NOT_FOUND,
    ORDER_NOT_FOUND,
    PRESCRIPTION_NOT_FOUND,
    RESULT_NOT_FOUND,
    encounter_ordering_problem,
)

__all__ = [
    "ALLERGY_MIN_MATCH",
    "ENCOUNTER_GRACE",
    "ENCOUNTER_NOT_FOUND",
    "ORDER_NOT_FOUND",
    "PRESCRIPTION_NOT_FOUND",
    "RESULT_NOT_FOUND",
    "STAT_SHOWN_FOR",
    "Finding",
    "OverrideRequired",
    "PrescriptionRefused",
    "SafetyReview",
    "encounter_ordering_problem",
    "lab_order_cancel",
    "lab_order_collect",
    "lab_order_create",
    "lab_order_void",
    "lab_panel_collect",
    "lab_panel_results_enter",
    "lab_result_correct",
    "lab_result_enter",
    "lab_result_verify",
    "prescription_complete",
    "prescription_create",
    "prescription_review",
    "prescription_stop",
    "prescription_void",
]
