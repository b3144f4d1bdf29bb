"""Reads for start pages: a doctor's open encounters, the nurse's queue of arrived patients
still without vital signs, and the walk-ins reception sent on who have not been seen yet.

Scoped (hms.care.access) and audited once per list read, with the patients shown, as
hms.encounters.selectors are; a new module so that the start pages do not edit the
encounters selectors others are changing.
"""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Exists, OuterRef, Subquery

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import AuditedList
from hms.care.access import patient_scope_filter
from hms.care.models import CareAssignment
from hms.encounters.models import Encounter, Observation
from hms.encounters.selectors import user_names
from hms.patients.models import Patient
from hms.scheduling import wallclock
from hms.scheduling.models import Appointment
from hms.scheduling.wallclock import hospital_zone, local_day_bounds

OPEN_ENCOUNTERS = AuditedList("encounter.open_list", Encounter)
VITALS_DUE = AuditedList("observation.vitals_due_list", Appointment, resource="Observation")
WALK_INS_WAITING = AuditedList("care_assignment.waiting_list", CareAssignment, ids="assignment_ids")

# Statuses of an appointment whose patient is in the building.
PRESENT = (Appointment.Status.ARRIVED, Appointment.Status.IN_CONSULTATION)


def encounters_open_for_practitioner(
    *, user: User, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of the encounters `user` is responsible for that are still in progress, oldest
    first, each with its patient. Audited."""
    scope = patient_scope_filter(user=user, resource=Resource.ENCOUNTER, action=Action.VIEW)
    queryset = (
        Encounter.objects.live()
        .filter(scope, practitioner_user_id=user.pk, status=Encounter.Status.IN_PROGRESS)
        .select_related("patient")
        .order_by("started_at", "id")
    )
    return OPEN_ENCOUNTERS.page(queryset, page_number, user, client_address)


@dataclass(frozen=True)
class VitalsDue:
    """An arrived patient whose visit has no vital signs yet."""

    appointment: Appointment
    patient: Patient
    encounter_id: int | None  # the visit's encounter, once the doctor has started it
    practitioner_name: str
    starts_local: datetime.datetime


def arrivals_awaiting_vitals(
    *, user: User, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of today's appointments (the hospital's day) whose patient has arrived and whose
    encounter, if started, has no live vital sign, in appointment order. For whoever records
    vital signs (a nurse: every patient; a doctor: their care). Audited."""
    scope = patient_scope_filter(user=user, resource=Resource.OBSERVATION, action=Action.CREATE)
    zone = hospital_zone()
    start, end = local_day_bounds(date=wallclock.now().astimezone(zone).date(), zone=zone)
    encounter = Encounter.objects.live().filter(appointment=OuterRef("pk"))
    measured = Observation.objects.live().filter(encounter__appointment=OuterRef("pk"))
    queryset = (
        Appointment.objects.filter(scope, starts_at__gte=start, starts_at__lt=end, status__in=PRESENT)
        .annotate(visit_encounter_id=Subquery(encounter.values("pk")[:1]), measured=Exists(measured))
        .filter(measured=False)
        .select_related("patient")
        .order_by("starts_at", "id")
    )
    page = VITALS_DUE.page(queryset, page_number, user, client_address)
    appointments = list(page.object_list)
    names = user_names(a.practitioner_user_id for a in appointments)
    page.object_list = [
        VitalsDue(
            appointment=a,
            patient=a.patient,
            encounter_id=a.visit_encounter_id,
            practitioner_name=names.get(a.practitioner_user_id, ""),
            starts_local=a.starts_at.astimezone(zone),
        )
        for a in appointments
    ]
    return page


@dataclass(frozen=True)
class WalkIn:
    assignment: CareAssignment
    patient: Patient
    clinician_name: str


def walk_ins_waiting(
    *, user: User, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of open care assignments (walk-ins sent to a clinician) whose clinician has not
    started an encounter with the patient since, longest waiting first. Audited."""
    permission_require(user=user, resource=Resource.CARE_ASSIGNMENT, action=Action.VIEW)
    seen = Encounter.objects.live().filter(
        patient=OuterRef("patient"),
        practitioner_user_id=OuterRef("clinician_user_id"),
        started_at__gte=OuterRef("created_at"),
    )
    queryset = (
        CareAssignment.objects.open()
        .annotate(seen=Exists(seen))
        .filter(seen=False)
        .select_related("patient")
        .order_by("created_at", "id")
    )
    page = WALK_INS_WAITING.page(queryset, page_number, user, client_address)
    rows = list(page.object_list)
    names = user_names(r.clinician_user_id for r in rows)
    page.object_list = [WalkIn(r, r.patient, names.get(r.clinician_user_id, "")) for r in rows]
    return page
