"""What billing's services, selectors and pages share: the words for a missing record, the
invoice number's shape, and the hospital's time zone where no page has activated it."""

import zoneinfo

from hms.hospitals.models import Hospital
from hms.tenancy.context import current_tenant, get_hospital

INVOICE_NOT_FOUND = "No such invoice here."
ENCOUNTER_NOT_FOUND = "No such encounter here."
PRICE_ITEM_NOT_FOUND = "No such price list item here."
PAYMENT_NOT_FOUND = "No such payment here."
SEQUENCE_DIGITS = 6


def hospital_time_zone(hospital: Hospital | None = None) -> zoneinfo.ZoneInfo:
    """The hospital's time zone, from its registry row (the current hospital's when not given).

    Pages have it active already (HospitalMiddleware); this is for work that must hold
    outside a page too: an invoice number's local year, a day's takings, the PDF.
    """
    row = hospital if hospital is not None else get_hospital(current_tenant().code)
    return zoneinfo.ZoneInfo(row.time_zone)
