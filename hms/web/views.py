"""Server-rendered pages: thin views over selectors.

The hospital's front page is each role's start page: the doctor's worklist, the nurse's queue,
the reception desk, the administrator's dashboard and the patient's portal. The A-Z patient
list and its search moved to their own page (menu "Patients"); a search typed on a start page
(`?q=`) is answered by that list.
"""

import csv
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, permission_scope
from hms.alerts.selectors import critical_alerts_to_acknowledge
from hms.alerts.services import critical_alerts_escalate
from hms.billing.selectors import invoices_for_patient, outstanding_invoices
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address
from hms.core.pages import hospital_page
from hms.encounters.worklists import (
    arrivals_awaiting_vitals,
    encounters_open_for_practitioner,
    walk_ins_waiting,
)
from hms.hospitals.models import Hospital
from hms.orders.worklists import (
    lab_results_to_verify,
    lab_results_verified_for_patient,
    lab_worklist_counts,
    prescriptions_current_for_patient,
)
from hms.patients.selectors import patient_list_visible_to, patient_own_record, patient_page, patient_search
from hms.scheduling.selectors import appointment_day_list
from hms.scheduling.worklists import appointments_upcoming_for_patient
from hms.tenancy.http import HospitalRequest
from hms.web.dashboard import CHARTS, csv_filename, dashboard_charts

# How many of a patient's invoices their start page shows; the full list is a link away.
START_ROWS = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a user to their hospital; a super-administrator picks one."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required let only signed-in users in
    if user.hospital is not None and not user.is_superadmin:
        return redirect("hospital-home", hospital_code=user.hospital.code)
    hospitals = Hospital.objects.filter(status=Hospital.Status.ACTIVE).order_by("code")
    return render(request, "web/hospital_list.html", {"hospitals": hospitals[:500]})


@hospital_page()
def hospital_home(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The user's start page, by role; a search typed on it is answered by the patient list."""
    if "q" in request.GET:
        return _patient_list(request)
    start = START_PAGES.get(request.user.role)
    if start is None:  # the platform's operator: the hospital's name, no clinical data
        return _patient_list(request)
    return start(request)


@hospital_page()
def patient_list(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The hospital's patients, A-Z, and the search: for staff; a patient finds their own record."""
    return _patient_list(request)


def _patient_list(request: HospitalRequest) -> HttpResponse:
    user = request.user
    query = request.GET.get("q", "").strip()
    page_number = request.GET.get("page", 1)
    address = client_address(request)
    search_error = ""
    page = None
    if query:
        try:
            page = patient_search(user=user, query=query, page_number=page_number, client_address=address)
        except ApplicationError as error:
            search_error = error.message
    if page is None:
        page = patient_page(user=user, page_number=page_number, client_address=address)
    return render(
        request,
        "web/hospital_home.html",
        {
            "role": user.get_role_display(),
            "show_patients": patient_list_visible_to(user=user),
            "page": page,
            "query": query,
            "search_error": search_error,
            "may_register": permission_scope(user=user, resource=Resource.PATIENT, action=Action.CREATE)
            is not None,
            "own_record": patient_own_record(user=user),
        },
    )


def _start_render(request: HospitalRequest, template: str, context: dict[str, object]) -> HttpResponse:
    """A member of staff's start page: its lists, and the way to register a patient if they may."""
    may_register = permission_scope(user=request.user, resource=Resource.PATIENT, action=Action.CREATE)
    return render(request, template, {**context, "may_register": may_register is not None})


def _doctor_start(request: HospitalRequest) -> HttpResponse:
    user, address = request.user, client_address(request)
    today = timezone.localdate()
    # Overdue alerts are escalated here too, so a late timer never hides one (hms.alerts).
    critical_alerts_escalate()
    return _start_render(
        request,
        "web/start_doctor.html",
        {
            "today": today,
            "critical_alerts": critical_alerts_to_acknowledge(user=user, client_address=address),
            "clinic": appointment_day_list(
                user=user, date=today, practitioner_user_id=user.pk, client_address=address
            ),
            "open_encounters": encounters_open_for_practitioner(user=user, client_address=address),
            "to_verify": lab_results_to_verify(user=user, client_address=address),
        },
    )


def _nurse_start(request: HospitalRequest) -> HttpResponse:
    user, address = request.user, client_address(request)
    return _start_render(
        request,
        "web/start_nurse.html",
        {
            "today": timezone.localdate(),
            "vitals_due": arrivals_awaiting_vitals(user=user, client_address=address),
            "lab_counts": lab_worklist_counts(user=user),
        },
    )


def _reception_start(request: HospitalRequest) -> HttpResponse:
    user, address = request.user, client_address(request)
    today = timezone.localdate()
    return _start_render(
        request,
        "web/start_reception.html",
        {
            "today": today,
            "appointments": appointment_day_list(user=user, date=today, client_address=address),
            "walk_ins": walk_ins_waiting(user=user, client_address=address),
            "unpaid": outstanding_invoices(user=user, client_address=address),
        },
    )


def _admin_start(request: HospitalRequest) -> HttpResponse:
    return _start_render(
        request,
        "web/start_admin.html",
        {
            "today": timezone.localdate(),
            "charts": dashboard_charts(user=request.user, client_address=client_address(request)),
        },
    )


def _portal_start(request: HospitalRequest) -> HttpResponse:
    user, address = request.user, client_address(request)
    own = patient_own_record(user=user)
    context: dict[str, object] = {"own_record": own}
    if own is not None:
        _, invoices = invoices_for_patient(user=user, patient_id=own.pk, client_address=address)
        context |= {
            "appointments": appointments_upcoming_for_patient(
                user=user, patient_id=own.pk, client_address=address
            ),
            "results": lab_results_verified_for_patient(user=user, patient_id=own.pk, client_address=address),
            "prescriptions": prescriptions_current_for_patient(
                user=user, patient_id=own.pk, client_address=address
            ),
            "invoices": invoices[:START_ROWS],
            "more_invoices": len(invoices) > START_ROWS,
        }
    return render(request, "web/start_patient.html", context)


def _laboratory_start(request: HospitalRequest) -> HttpResponse:
    """The laboratory's day is its worklist: specimens to collect, results to enter and validate."""
    return redirect("orders:lab-worklist", hospital_code=request.hospital.code)


START_PAGES: dict[str, Callable[[HospitalRequest], HttpResponse]] = {
    Role.DOCTOR: _doctor_start,
    Role.NURSE: _nurse_start,
    Role.LAB: _laboratory_start,
    Role.RECEPTIONIST: _reception_start,
    Role.ADMIN: _admin_start,
    Role.PATIENT: _portal_start,
}


@hospital_page()
def dashboard_csv(request: HospitalRequest, hospital_code: str, chart: str) -> HttpResponse:
    """One dashboard chart's figures as CSV: the same rows the page shows (the administrator's)."""
    build = CHARTS.get(chart)
    if build is None:
        raise Http404("No such chart.")
    figures = build(user=request.user, client_address=client_address(request))
    filename = csv_filename(hospital_code=hospital_code, chart=figures, today=timezone.localdate())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(figures.columns)
    writer.writerows(figures.rows)
    return response
