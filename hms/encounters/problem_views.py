"""The problem list pages: the patient's list with the form to add a problem (a code search in the
hospital's code system), and the posts that add one from an encounter's diagnosis, change its
status and void one entered in error. Thin: the services in hms.encounters.services.problems decide.
"""

from collections.abc import Callable
from functools import partial

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address
from hms.core.pages import form_submit, hospital_page
from hms.encounters import icd10, services
from hms.encounters.forms import ProblemForm, ProblemFromDiagnosisForm, ProblemStatusForm, VoidForm
from hms.encounters.models import ProblemListItem
from hms.encounters.selectors import problem_list_for_patient
from hms.encounters.views import SEARCH_MAX, _encounter_url, _refused
from hms.patients.selectors import patient_detail
from hms.tenancy.http import HospitalRequest


def _problems_url(hospital_code: str, patient_id: int) -> str:
    return reverse("encounters:problems", kwargs={"hospital_code": hospital_code, "patient_id": patient_id})


@hospital_page("GET", "POST")
def problem_list(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """The patient's problem list; for a doctor, the form to add one (GET ?q= searches the codes,
    ?code= fills the form)."""
    user = request.user
    may_add = permission_scope(user=user, resource=Resource.DIAGNOSIS, action=Action.CREATE) is not None
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]
    status = 200
    form = ProblemForm(initial={"code": request.GET.get("code", "")[:16]})
    if request.method == "POST":
        form = ProblemForm(request.POST)
        status = 400
        if form_submit(request, form, services.problem_add, patient=patient_id) is not None:
            return redirect(_problems_url(hospital_code, patient_id))
    address = client_address(request)
    include_voided = request.GET.get("voided") == "1"
    rows = problem_list_for_patient(
        user=user, patient_id=patient_id, include_voided=include_voided, client_address=address
    )
    patient = patient_detail(user=user, patient_id=patient_id, client_address=address)
    return render(
        request,
        "encounters/problem_list.html",
        {
            "patient": patient,
            "rows": rows,
            "form": form if may_add else None,
            "query": query if may_add else "",
            "matches": icd10.icd10_search(query) if query and may_add else [],
            "code_label": icd10.code_set().label,
            "include_voided": include_voided,
            "may_update": permission_scope(user=user, resource=Resource.DIAGNOSIS, action=Action.UPDATE)
            is not None,
            "may_void": permission_scope(user=user, resource=Resource.DIAGNOSIS, action=Action.VOID)
            is not None,
        },
        status=status,
    )


@hospital_page("POST")
def problem_from_diagnosis(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """Put an encounter's diagnosis on the patient's problem list; back to the encounter."""
    permission_require(user=request.user, resource=Resource.DIAGNOSIS, action=Action.CREATE)
    form = ProblemFromDiagnosisForm(request.POST)
    if form.is_valid():
        try:
            problem = services.problem_add(
                acting_user=request.user,
                diagnosis=form.cleaned_data["diagnosis"],
                client_address=client_address(request),
            )
        except ApplicationError as error:
            return render(request, "core/refused.html", _refused(error.message), status=400)
        back_to = form.cleaned_data["encounter"]
        if back_to is not None:
            return redirect(_encounter_url(hospital_code, back_to, "diagnoses"))
        return redirect(_problems_url(hospital_code, problem.patient_id))
    return render(request, "core/refused.html", _refused("Choose a diagnosis."), status=400)


@hospital_page("POST")
def problem_status(request: HospitalRequest, hospital_code: str, problem_id: int) -> HttpResponse:
    change = partial(services.problem_status_set, problem=problem_id)
    return _problem_change(request, hospital_code, ProblemStatusForm(request.POST), change)


@hospital_page("POST")
def problem_void(request: HospitalRequest, hospital_code: str, problem_id: int) -> HttpResponse:
    change = partial(services.problem_void, problem=problem_id)
    return _problem_change(request, hospital_code, VoidForm(request.POST), change, drop=("encounter",))


def _problem_change(
    request: HospitalRequest,
    hospital_code: str,
    form: forms.Form,
    change: Callable[..., ProblemListItem],
    *,
    drop: tuple[str, ...] = (),
) -> HttpResponse:
    """Apply `change` with the form's values; back to the problem list, or why not (400)."""
    if form.is_valid():
        values = {name: value for name, value in form.cleaned_data.items() if name not in drop}
        try:
            problem = change(acting_user=request.user, client_address=client_address(request), **values)
        except ApplicationError as error:
            message = error.message
        else:
            return redirect(_problems_url(hospital_code, problem.patient_id))
    else:
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "core/refused.html", _refused(message), status=400)
