"""Reads for start pages: a patient's coming appointments (the portal's first list).

Scoped and audited as hms.scheduling.selectors are; a new module so that the start pages
do not edit the scheduling selectors others are changing.
"""

from django.core.paginator import Page
from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.audit.records import audit_row
from hms.care.access import patient_access
from hms.core.pages import page_of
from hms.scheduling import wallclock
from hms.scheduling.models import Appointment
from hms.scheduling.rules import TO_COME
from hms.scheduling.selectors import appointment_entries
from hms.tenancy.context import current_tenant


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
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(queryset, page_number)
        appointments = list(page.object_list)
        audit_row(
            user,
            "appointment.upcoming_list",
            patient,
            client_address,
            resource="Appointment",
            page=page.number,
            appointment_ids=[a.pk for a in appointments],
        )
    page.object_list = appointment_entries(appointments, user)
    return page
