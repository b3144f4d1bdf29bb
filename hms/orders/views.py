"""Pages for prescribing, lab orders, the lab worklist and results: forms, one service or selector, render.

A refused input answers 400 with the service's message; NotFound 404 and NotAllowed 403
(hms.core.pages.hospital_page).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from hms.accounts.models import Role
from hms.accounts.permissions import Action, Resource, permission_scope
from hms.clinical.profiles import clinical_profile
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.http import client_address
from hms.core.pages import form_error_show, form_submit, hospital_page
from hms.orders import selectors, services
from hms.orders.forms import (
    LabOrderForm,
    LabPanelResultForm,
    LabResultCorrectForm,
    LabResultForm,
    PrescriptionForm,
)
from hms.orders.lab_catalogue import PANELS, TESTS, LabTest, UnitsFor, catalogue_orderable, catalogue_tests
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.tenancy.http import HospitalRequest


def _may(request: HospitalRequest, resource: Resource, action: Action) -> bool:
    return permission_scope(user=request.user, resource=resource, action=action) is not None


def _page(
    request: HospitalRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    # Staff see the workflow (who entered and verified, corrections); a patient sees results only.
    staff = request.user.role != Role.PATIENT
    return render(request, template, {"show_workflow": staff, **context}, status=status)


def _back(request: HospitalRequest) -> str:
    """The page a refused form came from (its hidden `back` field), if it is a page of this site."""
    back = request.POST.get("back", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return ""


def _refused(request: HospitalRequest, error: ApplicationError, back: str | None = None) -> HttpResponse:
    context = {"message": error.message, "back": _back(request) if back is None else back}
    return render(request, "core/refused.html", context, status=400)


def _order_form_page(
    request: HospitalRequest,
    template: str,
    form: forms.Form,
    *,
    encounter_id: int,
    resource: Resource,
    **context: Any,
) -> HttpResponse:
    """A prescribing or lab order form of an encounter (or why the encounter takes no orders now)."""
    encounter = selectors.order_encounter_get(
        user=request.user,
        encounter_id=encounter_id,
        resource=resource,
        client_address=client_address(request),
    )
    closed = services.encounter_ordering_problem(encounter=encounter, now=timezone.now())
    context.setdefault("allergy_record", selectors.order_allergies(encounter=encounter))
    return _page(
        request,
        template,
        {"encounter": encounter, "patient": encounter.patient, "closed": closed, "form": form, **context},
        status=400 if form.errors else 200,
    )


# Prescriptions


@hospital_page("GET", "POST")
def prescription_new(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    """The prescribing form of an encounter; once prescribed, back to the encounter."""
    form = PrescriptionForm(request.POST if request.method == "POST" else None)
    safety: dict[str, Any] = {}
    if form.is_valid():
        try:
            prescription = services.prescription_create(
                acting_user=request.user,
                client_address=client_address(request),
                encounter_id=encounter_id,
                **form.cleaned_data,
            )
        except ApplicationError as error:
            # The findings are shown as lists of their own (warnings to acknowledge, refusals).
            safety = {
                "warnings": error.details.get("warnings", []),
                "refusals": error.details.get("reasons", []),
            }
            shown = {k: v for k, v in error.details.items() if k not in ("warnings", "reasons", "allergies")}
            form_error_show(form, ApplicationError(error.message, details=shown))
        else:
            patient = prescription.patient
            messages.success(
                request,
                f"Prescribed {prescription.drug_name} for {patient.full_name}.",
            )
            # Back to the visit the doctor is in the middle of (its banner lists the medicines).
            return redirect("encounters:detail", hospital_code=hospital_code, encounter_id=encounter_id)
    return _order_form_page(
        request,
        "orders/prescription_form.html",
        form,
        encounter_id=encounter_id,
        resource=Resource.PRESCRIPTION,
        **safety,
        dose_units=Prescription.DoseUnit.choices,
        routes=Prescription.Route.choices,
        frequencies=Prescription.Frequency.choices,
    )


@hospital_page()
def formulary_search(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The formulary drugs matching `q`, as JSON, for the prescribing form's search-as-you-type."""
    drugs = selectors.formulary_search(user=request.user, query=request.GET.get("q", "")[:100])
    return JsonResponse(
        {
            "results": [
                {
                    "id": drug.pk,
                    "name": drug.name,
                    "drug_class": drug.drug_class,
                    "strengths": drug.strengths,
                    "routes": drug.routes,
                    "dose_unit": drug.dose_unit,
                }
                for drug in drugs
            ]
        }
    )


def _patient_records(
    request: HospitalRequest, selector: Callable[..., selectors.PatientRecords], patient_id: int
) -> dict[str, Any]:
    """A page of a patient's prescriptions or lab orders, voided ones too if asked (staff only)."""
    include_voided = request.GET.get("voided") == "1"
    records = selector(
        user=request.user,
        patient_id=patient_id,
        page_number=request.GET.get("page", 1),
        include_voided=include_voided,
        client_address=client_address(request),
    )
    return {"patient": records.patient, "page": records.page, "include_voided": include_voided}


@hospital_page()
def patient_prescriptions(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    records = _patient_records(request, selectors.prescriptions_for_patient, patient_id)
    return _page(
        request,
        "orders/prescription_list.html",
        {
            **records,
            "may_change": _may(request, Resource.PRESCRIPTION, Action.CREATE),
            "may_void": _may(request, Resource.PRESCRIPTION, Action.VOID),
        },
    )


def _reason(request: HospitalRequest) -> dict[str, str]:
    """The reason typed beside a button, as typed: the service's reason rule (hms.core.text)
    refuses an empty, too long or unstorable one with the message to show."""
    return {"reason": request.POST.get("reason", "")}


def _prescription_action(
    request: HospitalRequest, service: Callable[..., Prescription], prescription_id: int, **reason: str
) -> HttpResponse:
    try:
        prescription = service(
            acting_user=request.user,
            prescription_id=prescription_id,
            client_address=client_address(request),
            **reason,
        )
    except ApplicationError as error:
        return _refused(request, error)
    return redirect(
        "orders:patient-prescriptions",
        hospital_code=request.hospital.code,
        patient_id=prescription.patient_id,
    )


@hospital_page("POST")
def prescription_stop(request: HospitalRequest, hospital_code: str, prescription_id: int) -> HttpResponse:
    return _prescription_action(request, services.prescription_stop, prescription_id, **_reason(request))


@hospital_page("POST")
def prescription_complete(request: HospitalRequest, hospital_code: str, prescription_id: int) -> HttpResponse:
    return _prescription_action(request, services.prescription_complete, prescription_id)


@hospital_page("POST")
def prescription_void(request: HospitalRequest, hospital_code: str, prescription_id: int) -> HttpResponse:
    return _prescription_action(request, services.prescription_void, prescription_id, **_reason(request))


# Lab orders


@hospital_page("GET", "POST")
def lab_order_new(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    """The lab order form of an encounter, with the catalogue to pick from."""
    form = LabOrderForm(request.POST if request.method == "POST" else None)
    orders = form_submit(request, form, services.lab_order_create, encounter_id=encounter_id)
    lab_units_for = clinical_profile().lab_units_for
    if orders:
        return redirect(
            "orders:patient-lab-results", hospital_code=hospital_code, patient_id=orders[0].patient_id
        )
    return _order_form_page(
        request,
        "orders/lab_order_form.html",
        form,
        encounter_id=encounter_id,
        resource=Resource.LAB_ORDER,
        panels=[(panel, len(catalogue_tests(panel.code, lab_units_for))) for panel in PANELS.values()],
        tests=catalogue_orderable(lab_units_for),
        priorities=LabOrder.Priority.choices,
    )


@hospital_page()
def patient_lab_results(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    records = _patient_records(request, selectors.lab_orders_for_patient, patient_id)
    return _page(request, "orders/lab_results.html", records)


@hospital_page()
def lab_worklist(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    stage = request.GET.get("stage", "")
    try:
        page = selectors.lab_worklist(
            user=request.user,
            stage=stage,
            page_number=request.GET.get("page", 1),
            client_address=client_address(request),
        )
    except ApplicationError as error:
        return _refused(request, error, back="?")
    return _page(request, "orders/lab_worklist.html", {"page": page, "stage": stage})


def _lab_order_page(
    request: HospitalRequest,
    order_id: int,
    *,
    form: LabResultForm | None = None,
    correcting: int | None = None,
) -> HttpResponse:
    order = selectors.lab_order_detail(
        user=request.user, order_id=order_id, client_address=client_address(request)
    )
    values = {name: form.data.get(name, "") for name in form.fields} if form is not None else {}
    test = TESTS.get(order.test_code)
    return _page(
        request,
        "orders/lab_order_detail.html",
        {
            "order": order,
            "test": test,
            **_entry_units(test, clinical_profile().lab_units_for),
            "current": next((r for r in order.visible_results if r.is_current), None),
            "form": form,
            "values": values,
            "correcting": correcting,
            "may_work": _may(request, Resource.LAB_RESULT, Action.CREATE),
            "may_verify": _may(request, Resource.LAB_RESULT, Action.VERIFY),
            "may_cancel": _may(request, Resource.LAB_ORDER, Action.CREATE),
            "may_void": _may(request, Resource.LAB_ORDER, Action.VOID),
        },
        status=400 if form is not None else 200,
    )


def _entry_units(test: LabTest | None, lab_units_for: UnitsFor) -> dict[str, Any]:
    """The units a result of `test` may be entered in, and the one this hospital reports it in
    (the unit choice shows it selected: a value is never taken without its unit)."""
    if test is None or not test.is_numeric:
        return {"units": [], "unit_here": "", "name_here": ""}
    lab_units = lab_units_for(test.code)
    form = test.form_for(lab_units)
    return {"units": test.accepted_units(lab_units), "unit_here": form.unit, "name_here": form.name}


@hospital_page()
def lab_order(request: HospitalRequest, hospital_code: str, order_id: int) -> HttpResponse:
    """One lab order: its results and, for those who may, collection, result entry and verification."""
    return _lab_order_page(request, order_id)


def _order_action(
    request: HospitalRequest, service: Callable[..., LabOrder | LabResult], said: str, **arguments: Any
) -> HttpResponse:
    """Do `service` to a lab order or result, and say `said` on the order's page; or why not."""
    try:
        done = service(acting_user=request.user, client_address=client_address(request), **arguments)
    except ApplicationError as error:
        return _refused(request, error)
    messages.success(request, said)
    order_pk = done.order_id if isinstance(done, LabResult) else done.pk
    return redirect("orders:lab-order", hospital_code=request.hospital.code, order_id=order_pk)


@hospital_page("POST")
def lab_order_collect(request: HospitalRequest, hospital_code: str, order_id: int) -> HttpResponse:
    return _order_action(
        request, services.lab_order_collect, "Specimen collected: enter the result.", order_id=order_id
    )


@hospital_page("POST")
def lab_order_cancel(request: HospitalRequest, hospital_code: str, order_id: int) -> HttpResponse:
    return _order_action(
        request, services.lab_order_cancel, "Order cancelled.", order_id=order_id, **_reason(request)
    )


@hospital_page("POST")
def lab_order_void(request: HospitalRequest, hospital_code: str, order_id: int) -> HttpResponse:
    return _order_action(
        request, services.lab_order_void, "Order voided.", order_id=order_id, **_reason(request)
    )


@hospital_page("POST")
def lab_result_enter(request: HospitalRequest, hospital_code: str, order_id: int) -> HttpResponse:
    form = LabResultForm(request.POST)
    result = form_submit(request, form, services.lab_result_enter, order_id=order_id)
    if result is not None:
        flag = f" ({result.get_flag_display().lower()})" if result.flag not in ("", "N") else ""
        messages.success(
            request, f"Result saved: {result.display_value}{flag}. It waits for a doctor's verification."
        )
        return redirect("orders:lab-order", hospital_code=hospital_code, order_id=order_id)
    return _lab_order_page(request, order_id, form=form)


@hospital_page("POST")
def lab_result_verify(request: HospitalRequest, hospital_code: str, result_id: int) -> HttpResponse:
    return _order_action(request, services.lab_result_verify, "Result verified.", result_id=result_id)


@hospital_page("POST")
def lab_result_correct(request: HospitalRequest, hospital_code: str, result_id: int) -> HttpResponse:
    form = LabResultCorrectForm(request.POST)
    if not form.is_valid():
        # Only the hidden order field can be invalid: a page that names no order of ours.
        raise NotFound(services.ORDER_NOT_FOUND)
    values = form.cleaned_data
    order_id = values["order_id"]
    try:
        result = services.lab_result_correct(
            acting_user=request.user,
            result_id=result_id,
            value=values["value"],
            unit=values["unit"],
            comment=values["comment"],
            reason=values["reason"],
            client_address=client_address(request),
        )
    except ApplicationError as error:
        if order_id is None:
            return _refused(request, error)
        form_error_show(form, error)
        return _lab_order_page(request, order_id, form=form, correcting=result_id)
    return redirect("orders:lab-order", hospital_code=hospital_code, order_id=result.order_id)


@hospital_page("GET", "POST")
def lab_panel(request: HospitalRequest, hospital_code: str, order_id: int) -> HttpResponse:
    """A panel (CBC) as one: its specimen collected at once, its results entered on one form."""
    orders = selectors.lab_panel_orders(
        user=request.user, order_id=order_id, client_address=client_address(request)
    )
    form = LabPanelResultForm(
        request.POST if request.method == "POST" and "collect" not in request.POST else None,
        codes=[order.test_code for order in orders],
    )
    if request.method == "POST":
        try:
            if "collect" in request.POST:
                services.lab_panel_collect(
                    acting_user=request.user, order_id=order_id, client_address=client_address(request)
                )
                return redirect("orders:lab-panel", hospital_code=hospital_code, order_id=order_id)
            if form.is_valid():
                services.lab_panel_results_enter(
                    acting_user=request.user,
                    order_id=order_id,
                    values=form.values(),
                    comment=form.cleaned_data["comment"],
                    client_address=client_address(request),
                )
                return redirect("orders:lab-panel", hospital_code=hospital_code, order_id=order_id)
        except ApplicationError as error:
            form_error_show(form, error, field_names={code: f"value_{code}" for code in form.codes})
    lab_units_for = clinical_profile().lab_units_for
    rows = [
        {"order": order, "test": TESTS.get(order.test_code), "value": form[f"value_{order.test_code}"],
         "unit": form[f"unit_{order.test_code}"], **_entry_units(TESTS.get(order.test_code), lab_units_for)}
        for order in orders
    ]  # fmt: skip
    return _page(
        request,
        "orders/lab_panel.html",
        {
            "first": orders[0],
            "rows": rows,
            "form": form,
            "to_collect": any(o.status == LabOrder.Status.ORDERED for o in orders),
            "to_result": any(o.status == LabOrder.Status.COLLECTED for o in orders),
        },
        status=400 if form.errors else 200,
    )
