"""The links a user sees in a hospital: each shown only to roles the permission matrix lets in."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_scope
from hms.core.http import client_address
from hms.core.ids import record_id
from hms.patients.selectors import patient_own_record
from hms.scheduling.rules import booking_rules_get
from hms.tenancy.context import current_tenant_or_none
from hms.web.chart import (
    PATIENT_RECORDS,
    patient_banner,
    patient_chart,
    patient_vital_trends,
    record_patient_id,
)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


# label, URL name, the right that opens it, and whether it needs every patient (scope ALL)
HOSPITAL_LINKS = [
    ("Patients", "patient-list", Resource.PATIENT, Action.VIEW, True),
    ("Appointments", "scheduling:day", Resource.APPOINTMENT, Action.VIEW, True),
    ("Lab worklist", "orders:lab-worklist", Resource.LAB_RESULT, Action.CREATE, False),
    ("Critical results", "alerts:list", Resource.CRITICAL_ALERT, Action.VIEW, False),
    ("Billing", "billing:home", Resource.INVOICE, Action.CREATE, True),
    ("Staff", "staff:index", Resource.STAFF, Action.VIEW, True),
    ("Audit log", "audit:log", Resource.AUDIT_LOG, Action.VIEW, True),
    ("Emergency access review", "care:emergency-list", Resource.EMERGENCY_ACCESS, Action.VIEW, True),
]

# label, URL name, and the right that opens it: the parts of one patient's record, and what
# can be done about the patient from any of them
CHART_LINKS = [
    ("Appointments", "scheduling:patient", Resource.APPOINTMENT, Action.VIEW),
    ("Book an appointment", "scheduling:book-patient", Resource.APPOINTMENT, Action.CREATE),
    (
        "Encounters, vital signs, diagnoses, allergies and notes",
        "encounters:patient",
        Resource.ENCOUNTER,
        Action.VIEW,
    ),
    ("Prescriptions", "orders:patient-prescriptions", Resource.PRESCRIPTION, Action.VIEW),
    ("Lab results", "orders:patient-lab-results", Resource.LAB_RESULT, Action.VIEW),
    ("Invoices", "billing:patient-invoices", Resource.INVOICE, Action.VIEW),
    ("Send to a clinician (walk-in)", "care:assign", Resource.CARE_ASSIGNMENT, Action.CREATE),
    ("Access report", "care:access-report", Resource.AUDIT_LOG, Action.VIEW),
]


# A patient's portal: label, URL name of a page about their own record, and the right that opens it.
PORTAL_LINKS = [
    ("My record", "patients:detail", Resource.PATIENT, Action.VIEW),
    ("Appointments", "scheduling:patient", Resource.APPOINTMENT, Action.VIEW),
    ("Lab results", "orders:patient-lab-results", Resource.LAB_RESULT, Action.VIEW),
    ("Prescriptions", "orders:patient-prescriptions", Resource.PRESCRIPTION, Action.VIEW),
    ("Invoices", "billing:patient-invoices", Resource.INVOICE, Action.VIEW),
]


def portal_links(*, user: User, hospital_code: str) -> list[Link]:
    """A patient's menu: their start page, the parts of their own record they may read, and
    "Book an appointment" while the hospital's rules let patients book online (none but the
    start page while no record is linked to their account)."""
    links = [Link("Home", reverse("hospital-home", kwargs={"hospital_code": hospital_code}))]
    own = patient_own_record(user=user)
    if own is None:
        return links
    for label, name, resource, action in PORTAL_LINKS:
        if permission_scope(user=user, resource=resource, action=action) == Scope.OWN:
            kwargs = {"hospital_code": hospital_code, "patient_id": own.pk}
            links.append(Link(label, reverse(name, kwargs=kwargs)))
    may_book = permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.CREATE) == Scope.OWN
    if may_book and booking_rules_get().self_booking_enabled:
        book = reverse("scheduling:portal-book", kwargs={"hospital_code": hospital_code})
        links.insert(3, Link("Book an appointment", book))  # beside their appointments
    return links


def hospital_links(*, user: User, hospital_code: str) -> list[Link]:
    if user.role == Role.PATIENT:
        return portal_links(user=user, hospital_code=hospital_code)
    # Every member of staff starts from their role's start page (hms.web.views.hospital_home).
    links = [Link("Home", reverse("hospital-home", kwargs={"hospital_code": hospital_code}))]
    for label, name, resource, action, needs_all in HOSPITAL_LINKS:
        scope = permission_scope(user=user, resource=resource, action=action)
        if scope is not None and (scope == Scope.ALL or not needs_all):
            links.append(Link(label, reverse(name, kwargs={"hospital_code": hospital_code})))
    if user.role == Role.DOCTOR and len(links) > 1:
        # A doctor's day starts from their own list: the day's appointments filtered to them.
        own = reverse("scheduling:day", kwargs={"hospital_code": hospital_code}) + f"?doctor={user.pk}"
        links.insert(2, Link("My appointments", own))
    return links


def chart_links(*, user: User, hospital_code: str, patient_id: int) -> list[Link]:
    """Links to the parts of a patient's record the user's role may open at all (the pages
    themselves check the record-level scope)."""
    return [
        Link(label, reverse(name, kwargs={"hospital_code": hospital_code, "patient_id": patient_id}))
        for label, name, resource, action in CHART_LINKS
        if permission_scope(user=user, resource=resource, action=action) is not None
    ]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: inside a hospital's pages, `hospital` and `hospital_nav`, and
    `chart_links` on pages about one patient (their URL names a `patient_id`); else no links.

    Pages about one patient (a `patient_id`, or one of their records, hms.web.chart.PATIENT_RECORDS,
    in their URL) also get
    `patient_banner`, `patient_chart` and `patient_vital_charts` (hms.web.chart): each read, and
    audited, only if the page's template shows it; None where the user may not see the patient.
    """
    hospital = getattr(request, "hospital", None)
    user = getattr(request, "user", None)
    tenant = current_tenant_or_none()
    # Pages rendered outside the hospital's context (503 "unavailable", say) get no menu.
    if hospital is None or tenant is None or tenant.code != hospital.code:
        return {"hospital_nav": [], "chart_links": []}
    if user is None or not user.is_authenticated:
        return {"hospital_nav": [], "chart_links": []}
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    patient_id = record_id(kwargs.get("patient_id"))
    context: dict[str, Any] = {
        "hospital": hospital,
        "hospital_nav": hospital_links(user=user, hospital_code=hospital.code),
        "chart_links": chart_links(user=user, hospital_code=hospital.code, patient_id=patient_id)
        if patient_id is not None
        else [],
    }
    if patient_id is not None or any(name in kwargs for name in PATIENT_RECORDS):
        address = client_address(request)

        def shown(selector: Callable[..., object]) -> SimpleLazyObject:
            def read() -> object:
                # A page about one record (an encounter, a note, a lab order, an invoice...) is
                # about its patient (the page itself checks the record).
                wanted = patient_id if patient_id is not None else record_patient_id(kwargs)
                if wanted is None:
                    return None
                return selector(user=user, patient_id=wanted, client_address=address)

            return SimpleLazyObject(read)

        context["patient_banner"] = shown(patient_banner)
        context["patient_chart"] = shown(patient_chart)
        context["patient_vital_charts"] = shown(patient_vital_trends)
    return context
