"""Writes of billing data, each audited: the settings, the price list, invoices and payments.

One module per record type; every public name is here too, so callers import from
`hms.billing.services`.
"""

from hms.billing.common import (
    ENCOUNTER_NOT_FOUND,
    INVOICE_NOT_FOUND,
    PAYMENT_NOT_FOUND,
    PRICE_ITEM_NOT_FOUND,
    SEQUENCE_DIGITS,
    hospital_time_zone,
)
from hms.billing.services.discounts import invoice_discount, invoice_line_discount
from hms.billing.services.invoices import (
    AcceptedLine,
    invoice_create_for_encounter,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    invoice_lines_accept,
    invoice_number_next,
    invoice_void,
)
from hms.billing.services.payments import payment_record, payment_void
from hms.billing.services.price_list import (
    price_item_create,
    price_item_deactivate,
    price_item_reactivate,
    price_item_update,
)
from hms.billing.services.refunds import REFUND_NOT_FOUND, payment_refund, payment_refundable, refund_void
from hms.billing.services.settings import billing_settings_get, billing_settings_update
from hms.billing.services.shared import invoice_line_of, invoice_paid, invoice_total

__all__ = [
    "REFUND_NOT_FOUND",
    "AcceptedLine",
    "invoice_discount",
    "invoice_line_discount",
    "invoice_line_of",
    "invoice_lines_accept",
    "payment_refund",
    "payment_refundable",
    "refund_void",
    "ENCOUNTER_NOT_FOUND",
    "INVOICE_NOT_FOUND",
    "PAYMENT_NOT_FOUND",
    "PRICE_ITEM_NOT_FOUND",
    "SEQUENCE_DIGITS",
    "billing_settings_get",
    "billing_settings_update",
    "hospital_time_zone",
    "invoice_create_for_encounter",
    "invoice_issue",
    "invoice_line_add",
    "invoice_line_remove",
    "invoice_number_next",
    "invoice_paid",
    "invoice_total",
    "invoice_void",
    "payment_record",
    "payment_void",
    "price_item_create",
    "price_item_deactivate",
    "price_item_reactivate",
    "price_item_update",
]
