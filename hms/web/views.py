"""Server-rendered pages: thin views over selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address
from hms.core.pages import hospital_page
from hms.hospitals.models import Hospital
from hms.patients.selectors import patient_list_visible_to, patient_own_record, patient_page, patient_search
from hms.tenancy.http import HospitalRequest


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
    """The hospital's front page: its name, the user's role, and for staff its patients or a search."""
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
