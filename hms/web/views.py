"""Server-rendered pages: thin views over selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hms.accounts.permissions import Action, Resource, permission_scope
from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.patients.selectors import patient_list_visible_to, patient_own_record, patient_page, patient_search


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a user to their hospital; a super-administrator picks one."""
    user = request.user
    if user.hospital_id and not user.is_superadmin:
        return redirect("hospital-home", hospital_code=user.hospital.code)
    hospitals = Hospital.objects.filter(status=Hospital.Status.ACTIVE).order_by("code")
    return render(request, "web/hospital_list.html", {"hospitals": hospitals[:500]})


def hospital_home(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """The hospital's front page: its name, the user's role, and for staff its patients or a search."""
    user = request.user
    query = request.GET.get("q", "").strip()
    page_number = request.GET.get("page", 1)
    client_address = request.META.get("REMOTE_ADDR")
    search_error = ""
    if query:
        try:
            page = patient_search(
                user=user, query=query, page_number=page_number, client_address=client_address
            )
        except ApplicationError as error:
            search_error = error.message
            page = patient_page(user=user, page_number=page_number, client_address=client_address)
    else:
        page = patient_page(user=user, page_number=page_number, client_address=client_address)
    return render(
        request,
        "web/hospital_home.html",
        {
            "hospital": request.hospital,
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
