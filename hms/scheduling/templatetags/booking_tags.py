"""`{% online_booking_rules as rules %}`: the current hospital's rules for patients' own bookings,
for the pages that only mention them (the patient's start page). They name no patient."""

from django import template

from hms.scheduling.models import PatientBookingRules
from hms.scheduling.rules import booking_rules_get

register = template.Library()


@register.simple_tag
def online_booking_rules() -> PatientBookingRules:
    return booking_rules_get()
