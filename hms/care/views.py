"""Care pages: break-the-glass (open, end, the ADMIN's review) and sending a walk-in to a clinician."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from hms.accounts.display import display_name_with_role
from hms.accounts.permissions import Action, Resource, permission_require
from hms.care import assignments, emergency, reports
from hms.care.forms import CareAssignForm, EmergencyAccessForm, EmergencyReviewForm
from hms.care.selectors import emergency_access_page
from hms.core.http import client_address
from hms.core.pages import form_submit, hospital_page
from hms.patients.selectors import patient_detail
from hms.tenancy.http import HospitalRequest


def _chart_url(hospital_code: str, patient_id: int) -> str:
    return reverse("encounters:patient", kwargs={"hospital_code": hospital_code, "patient_id": patient_id})


@hospital_page("POST")
def emergency_start(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """Break the glass: the form sits on the patient's encounters page of a doctor outside care."""
    permission_require(user=request.user, resource=Resource.EMERGENCY_ACCESS, action=Action.CREATE)
    form = EmergencyAccessForm(request.POST)
    access = form_submit(request, form, emergency.emergency_access_start, patient_id=patient_id)
    if access is None:
        patient = patient_detail(
            user=request.user, patient_id=patient_id, client_address=client_address(request)
        )
        context = {"form": form, "patient": patient, "emergency_minutes": emergency.emergency_minutes()}
        return render(request, "care/emergency_form.html", context, status=400)
    until = timezone.localtime(access.expires_at)
    messages.warning(
        request,
        f"Emergency access to this record until {until:%H:%M}. Every page you open is recorded "
        "and will be reviewed by the hospital's administrator.",
    )
    return redirect(_chart_url(hospital_code, patient_id))


@hospital_page("POST")
def emergency_end(request: HospitalRequest, hospital_code: str, access_id: int) -> HttpResponse:
    access = emergency.emergency_access_end(
        acting_user=request.user, access_id=access_id, client_address=client_address(request)
    )
    messages.info(request, "Emergency access ended.")
    return redirect(
        reverse("patients:detail", kwargs={"hospital_code": hospital_code, "patient_id": access.patient_id})
    )


@hospital_page()
def emergency_list(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The ADMIN's review list: accesses not yet reviewed (or all, with ?all=1)."""
    to_review = request.GET.get("all") != "1"
    page = emergency_access_page(
        user=request.user,
        to_review=to_review,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    return render(
        request,
        "care/emergency_list.html",
        {"page": page, "to_review": to_review, "review_form": EmergencyReviewForm()},
    )


@hospital_page("POST")
def emergency_review(request: HospitalRequest, hospital_code: str, access_id: int) -> HttpResponse:
    form = EmergencyReviewForm(request.POST)
    if form_submit(request, form, emergency.emergency_access_review, access_id=access_id) is None:
        page = emergency_access_page(user=request.user, to_review=True, page_number=1)
        context = {"page": page, "to_review": True, "review_form": EmergencyReviewForm(), "failed": form}
        return render(request, "care/emergency_list.html", context, status=400)
    messages.success(request, "Marked reviewed.")
    return redirect(reverse("care:emergency-list", kwargs={"hospital_code": hospital_code}))


@hospital_page("GET", "POST")
def assign(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """Send a walk-in to a clinician: the patient is in their care until the visit is over (a day)."""
    permission_require(user=request.user, resource=Resource.CARE_ASSIGNMENT, action=Action.CREATE)
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    clinicians = [(user.pk, display_name_with_role(user)) for user in assignments.clinicians_here()]
    form = CareAssignForm(request.POST if request.method == "POST" else None, clinicians=clinicians)
    if request.method == "POST":
        done = form_submit(request, form, assignments.care_assign, patient_id=patient_id)
        if done is not None:
            name = dict(clinicians).get(done.clinician_user_id, "the clinician")
            messages.success(request, f"{patient.full_name} was sent to {name}.")
            return redirect(
                reverse("patients:detail", kwargs={"hospital_code": hospital_code, "patient_id": patient_id})
            )
    return render(
        request,
        "care/assign.html",
        {"form": form, "patient": patient, "assignment_hours": settings.HMS_CARE_ASSIGNMENT_HOURS},
        status=400 if form.is_bound and form.errors else 200,
    )


@hospital_page()
def access_report(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """Who saw or changed this patient's record, when, from where, under which emergency reason."""
    address = client_address(request)
    if request.GET.get("format") == "csv":
        text = reports.patient_access_csv(user=request.user, patient_id=patient_id, client_address=address)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access-{hospital_code}-{patient_id}.csv"'
        return response
    patient, page = reports.patient_access_page(
        user=request.user,
        patient_id=patient_id,
        page_number=request.GET.get("page", 1),
        client_address=address,
    )
    return render(request, "care/access_report.html", {"patient": patient, "page": page})
