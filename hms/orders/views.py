"""Pages for prescribing, lab orders, the lab worklist and results: thin views over services and selectors.

A refused input answers 400 with the service's message; NotFound 404 and NotAllowed 403
(hms.core.http.refusals_as_http).
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from hms.accounts.models import Role
from hms.accounts.permissions import Action, Resource, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address, refusals_as_http
from hms.orders import selectors, services
from hms.orders.lab_catalogue import PANELS, TESTS
from hms.orders.models import LabOrder, LabResult, Prescription

PRESCRIPTION_FIELDS = (
    "drug_name",
    "drug_code",
    "dose",
    "dose_unit",
    "route",
    "frequency",
    "duration_days",
    "quantity",
    "instructions",
)


def _may(request: HttpRequest, resource: Resource, action: Action) -> bool:
    return permission_scope(user=request.user, resource=resource, action=action) is not None


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    # Staff see the workflow (who entered and verified, corrections); a patient sees results only.
    staff = request.user.role != Role.PATIENT
    return render(
        request, template, {"hospital": request.hospital, "show_workflow": staff, **context}, status=status
    )


def _back(request: HttpRequest) -> str:
    """The page a refused form came from (its hidden `back` field), if it is a page of this site."""
    back = request.POST.get("back", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return ""


def _refused(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _page(request, "orders/refused.html", {"error": exc, "back": _back(request)}, status=400)


# Prescriptions


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def prescription_new(request: HttpRequest, hospital_code: str, encounter_id: str) -> HttpResponse:
    """The prescribing form of an encounter."""
    address = client_address(request)
    values: dict[str, str] = {}
    error: ApplicationError | None = None
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in PRESCRIPTION_FIELDS}
        try:
            prescription = services.prescription_create(
                acting_user=request.user, encounter_id=encounter_id, client_address=address, **values
            )
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(
                "orders:patient-prescriptions",
                hospital_code=hospital_code,
                patient_id=prescription.patient_id,
            )
    encounter = selectors.order_encounter_get(
        user=request.user, encounter_id=encounter_id, resource=Resource.PRESCRIPTION, client_address=address
    )
    return _page(
        request,
        "orders/prescription_form.html",
        {
            "encounter": encounter,
            "closed": services.encounter_ordering_problem(encounter=encounter, now=timezone.now()),
            "values": values,
            "error": error,
            "dose_units": Prescription.DoseUnit.choices,
            "routes": Prescription.Route.choices,
            "frequencies": Prescription.Frequency.choices,
        },
        status=400 if error else 200,
    )


@login_required
@refusals_as_http
@require_http_methods(["GET"])
def patient_prescriptions(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    include_voided = request.GET.get("voided") == "1"
    records = selectors.prescriptions_for_patient(
        user=request.user,
        patient_id=patient_id,
        page_number=request.GET.get("page", 1),
        include_voided=include_voided,
        client_address=client_address(request),
    )
    return _page(
        request,
        "orders/prescription_list.html",
        {
            "patient": records.patient,
            "page": records.page,
            "include_voided": include_voided,
            "may_change": _may(request, Resource.PRESCRIPTION, Action.CREATE),
            "may_void": _may(request, Resource.PRESCRIPTION, Action.VOID),
        },
    )


def _prescription_action(
    request: HttpRequest, hospital_code: str, service: Any, **kwargs: Any
) -> HttpResponse:
    try:
        prescription = service(acting_user=request.user, client_address=client_address(request), **kwargs)
    except ApplicationError as exc:
        return _refused(request, exc)
    return redirect(
        "orders:patient-prescriptions", hospital_code=hospital_code, patient_id=prescription.patient_id
    )


@login_required
@refusals_as_http
@require_POST
def prescription_stop(request: HttpRequest, hospital_code: str, prescription_id: str) -> HttpResponse:
    return _prescription_action(
        request,
        hospital_code,
        services.prescription_stop,
        prescription_id=prescription_id,
        reason=request.POST.get("reason", ""),
    )


@login_required
@refusals_as_http
@require_POST
def prescription_complete(request: HttpRequest, hospital_code: str, prescription_id: str) -> HttpResponse:
    return _prescription_action(
        request, hospital_code, services.prescription_complete, prescription_id=prescription_id
    )


@login_required
@refusals_as_http
@require_POST
def prescription_void(request: HttpRequest, hospital_code: str, prescription_id: str) -> HttpResponse:
    return _prescription_action(
        request,
        hospital_code,
        services.prescription_void,
        prescription_id=prescription_id,
        reason=request.POST.get("reason", ""),
    )


# Lab orders


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def lab_order_new(request: HttpRequest, hospital_code: str, encounter_id: str) -> HttpResponse:
    """The lab order form of an encounter, with the catalogue to pick from."""
    address = client_address(request)
    values: dict[str, str] = {}
    error: ApplicationError | None = None
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in ("test_code", "priority", "clinical_note")}
        try:
            orders = services.lab_order_create(
                acting_user=request.user,
                encounter_id=encounter_id,
                test_code=values["test_code"],
                priority=values["priority"] or LabOrder.Priority.ROUTINE,
                clinical_note=values["clinical_note"],
                client_address=address,
            )
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(
                "orders:patient-lab-results", hospital_code=hospital_code, patient_id=orders[0].patient_id
            )
    encounter = selectors.order_encounter_get(
        user=request.user, encounter_id=encounter_id, resource=Resource.LAB_ORDER, client_address=address
    )
    return _page(
        request,
        "orders/lab_order_form.html",
        {
            "encounter": encounter,
            "closed": services.encounter_ordering_problem(encounter=encounter, now=timezone.now()),
            "values": values,
            "error": error,
            "panels": list(PANELS.values()),
            "tests": sorted(TESTS.values(), key=lambda t: t.name),
            "priorities": LabOrder.Priority.choices,
        },
        status=400 if error else 200,
    )


@login_required
@refusals_as_http
@require_http_methods(["GET"])
def patient_lab_results(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    include_voided = request.GET.get("voided") == "1"
    records = selectors.lab_orders_for_patient(
        user=request.user,
        patient_id=patient_id,
        page_number=request.GET.get("page", 1),
        include_voided=include_voided,
        client_address=client_address(request),
    )
    return _page(
        request,
        "orders/lab_results.html",
        {"patient": records.patient, "page": records.page, "include_voided": include_voided},
    )


@login_required
@refusals_as_http
@require_http_methods(["GET"])
def lab_worklist(request: HttpRequest, hospital_code: str) -> HttpResponse:
    stage = request.GET.get("stage", "")
    try:
        page = selectors.lab_worklist(
            user=request.user,
            stage=stage,
            page_number=request.GET.get("page", 1),
            client_address=client_address(request),
        )
    except ApplicationError as exc:
        return _page(request, "orders/refused.html", {"error": exc, "back": "?"}, status=400)
    return _page(request, "orders/lab_worklist.html", {"page": page, "stage": stage})


def _lab_order_page(
    request: HttpRequest,
    order_id: str,
    *,
    error: ApplicationError | None = None,
    values: dict[str, str] | None = None,
) -> HttpResponse:
    order = selectors.lab_order_detail(
        user=request.user, order_id=order_id, client_address=client_address(request)
    )
    test = TESTS.get(order.test_code)
    return _page(
        request,
        "orders/lab_order_detail.html",
        {
            "order": order,
            "test": test,
            "current": next((r for r in order.visible_results if r.is_current), None),
            "error": error,
            "values": values or {},
            "may_work": _may(request, Resource.LAB_RESULT, Action.CREATE),
            "may_verify": _may(request, Resource.LAB_RESULT, Action.VERIFY),
            "may_cancel": _may(request, Resource.LAB_ORDER, Action.CREATE),
            "may_void": _may(request, Resource.LAB_ORDER, Action.VOID),
        },
        status=400 if error else 200,
    )


@login_required
@refusals_as_http
@require_http_methods(["GET"])
def lab_order(request: HttpRequest, hospital_code: str, order_id: str) -> HttpResponse:
    """One lab order: its results and, for those who may, collection, result entry and verification."""
    return _lab_order_page(request, order_id)


def _order_action(request: HttpRequest, hospital_code: str, service: Any, **kwargs: Any) -> HttpResponse:
    try:
        done = service(acting_user=request.user, client_address=client_address(request), **kwargs)
    except ApplicationError as exc:
        return _refused(request, exc)
    order_pk = done.order_id if isinstance(done, LabResult) else done.pk
    return redirect("orders:lab-order", hospital_code=hospital_code, order_id=order_pk)


@login_required
@refusals_as_http
@require_POST
def lab_order_collect(request: HttpRequest, hospital_code: str, order_id: str) -> HttpResponse:
    return _order_action(request, hospital_code, services.lab_order_collect, order_id=order_id)


@login_required
@refusals_as_http
@require_POST
def lab_order_cancel(request: HttpRequest, hospital_code: str, order_id: str) -> HttpResponse:
    return _order_action(
        request,
        hospital_code,
        services.lab_order_cancel,
        order_id=order_id,
        reason=request.POST.get("reason", ""),
    )


@login_required
@refusals_as_http
@require_POST
def lab_order_void(request: HttpRequest, hospital_code: str, order_id: str) -> HttpResponse:
    return _order_action(
        request,
        hospital_code,
        services.lab_order_void,
        order_id=order_id,
        reason=request.POST.get("reason", ""),
    )


@login_required
@refusals_as_http
@require_POST
def lab_result_enter(request: HttpRequest, hospital_code: str, order_id: str) -> HttpResponse:
    values = {name: request.POST.get(name, "") for name in ("value", "unit", "comment")}
    try:
        services.lab_result_enter(
            acting_user=request.user, order_id=order_id, client_address=client_address(request), **values
        )
    except ApplicationError as exc:
        return _lab_order_page(request, order_id, error=exc, values=values)
    return redirect("orders:lab-order", hospital_code=hospital_code, order_id=order_id)


@login_required
@refusals_as_http
@require_POST
def lab_result_verify(request: HttpRequest, hospital_code: str, result_id: str) -> HttpResponse:
    return _order_action(request, hospital_code, services.lab_result_verify, result_id=result_id)


@login_required
@refusals_as_http
@require_POST
def lab_result_correct(request: HttpRequest, hospital_code: str, result_id: str) -> HttpResponse:
    values = {name: request.POST.get(name, "") for name in ("value", "unit", "comment", "reason")}
    try:
        result = services.lab_result_correct(
            acting_user=request.user, result_id=result_id, client_address=client_address(request), **values
        )
    except ApplicationError as exc:
        order_id = request.POST.get("order_id", "")
        if not order_id:
            return _refused(request, exc)
        return _lab_order_page(request, order_id, error=exc, values={**values, "correcting": result_id})
    return redirect("orders:lab-order", hospital_code=hospital_code, order_id=result.order_id)
