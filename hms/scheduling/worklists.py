"""Reads for start pages: a patient's coming appointments (the portal's first list).

Scoped and audited as hms.scheduling.selectors are; a new module so that the start pages
do not edit the scheduling selectors others are changing.
"""

from django.core.paginator import Page

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.audit.records import AuditedList
from hms.care.access import patient_access
from hms.scheduling import wallclock
from hms.scheduling.models import Appointment
from hms.scheduling.rules import TO_COME
from hms.scheduling.selectors import appointment_entries

UPCOMING = AuditedList("appointment.upcoming_list", Appointment)


def appointments_upcoming_for_patient(
    *, user: User, patient_id: int, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of the patient's appointments still to come (not cancelled, missed or over), soonest
    first, as AppointmentEntry rows (with the moves the user may make: a patient's cancelling,
    within the hospital's booking rules); a patient reaches only their own. Audited."""
    patient = patient_access(
        user=user, patient_id=patient_id, resource=Resource.APPOINTMENT, action=Action.VIEW
    )
    queryset = (
        Appointment.objects.filter(patient=patient, ends_at__gt=wallclock.now(), status__in=TO_COME)
        .select_related("patient")
        .order_by("starts_at", "id")
    )
    page = UPCOMING.page(queryset, page_number, user, client_address, about=patient)
    page.object_list = appointment_entries(list(page.object_list), user)
    return page
