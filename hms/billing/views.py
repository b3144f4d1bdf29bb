"""Billing pages: thin views that read a form, call one service or selector, and render.

A refused business rule re-renders the page with its message beside the form and status
400; NotFound and NotAllowed become 404 and 403 (hms.core.pages.hospital_page).
"""

import datetime
from collections.abc import Callable
from functools import partial

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from hms.billing import selectors, services
from hms.billing.forms import (
    AcceptLinesForm,
    ActionForm,
    BillingForm,
    DiscountForm,
    LineAddForm,
    LineDiscountForm,
    PaymentForm,
    PaymentVoidForm,
    PriceItemEditForm,
    PriceItemForm,
    RefundForm,
    RefundVoidForm,
    SettingsForm,
    TakingsDayForm,
    VoidForm,
)
from hms.billing.models import Invoice
from hms.billing.pdf import invoice_pdf
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.core.http import client_address
from hms.core.pages import form_error_show, form_submit, hospital_page
from hms.tenancy.http import HospitalRequest

BAD_REQUEST = 400


def _can(request: HospitalRequest) -> selectors.BillingAbilities:
    return selectors.billing_abilities(user=request.user)


# Home, settings and the price list


@hospital_page()
def billing_home(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """Staff get links to the billing pages; a patient goes to their own invoices."""
    patient_id = selectors.own_patient_id(user=request.user)
    if patient_id is not None:
        return redirect("billing:patient-invoices", hospital_code=hospital_code, patient_id=patient_id)
    can = _can(request)
    visits = None
    if can.create_invoice:
        visits = selectors.visits_to_invoice(
            user=request.user, page_number=request.GET.get("page"), client_address=client_address(request)
        )
    checklist = selectors.hospital_setup_checklist(user=request.user) if can.edit_prices else []
    if all(step.done for step in checklist):
        checklist = []  # set up: the list has done its work
    return render(request, "billing/home.html", {"can": can, "visits": visits, "checklist": checklist})


@hospital_page("GET", "POST")
def billing_settings(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    can = _can(request)
    if not can.edit_prices:
        raise NotAllowed("Only a hospital administrator may change the billing settings.")
    current = services.billing_settings_get()
    checklist = selectors.hospital_setup_checklist(user=request.user)
    context = {"can": can, "checklist": checklist, "currency_chosen": current.currency_chosen}
    if request.method != "POST":
        form = SettingsForm(
            initial={
                "currency": current.currency,
                "invoice_prefix": current.invoice_prefix,
                "address": current.address,
            }
        )
        return render(request, "billing/settings.html", {**context, "form": form})
    form = SettingsForm(request.POST)
    if form_submit(request, form, services.billing_settings_update) is not None:
        return redirect("billing:settings", hospital_code=hospital_code)
    return render(request, "billing/settings.html", {**context, "form": form}, status=BAD_REQUEST)


@hospital_page("GET", "POST")
def price_list(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The price list; an administrator adds items here."""
    can = _can(request)
    form = PriceItemForm(request.POST if request.method == "POST" else None)
    if form_submit(request, form, services.price_item_create) is not None:
        return redirect("billing:price-list", hospital_code=hospital_code)
    query = request.GET.get("q", "")
    page = selectors.price_list_page(
        user=request.user, query=query, include_inactive=can.edit_prices, page_number=request.GET.get("page")
    )
    context = {
        "can": can,
        "form": form,
        "page": page,
        "query": query.strip()[:100],
        "settings": services.billing_settings_get(),
    }
    return render(request, "billing/price_list.html", context, status=BAD_REQUEST if form.is_bound else 200)


def _price_item_page(
    request: HospitalRequest,
    item_id: int,
    *,
    form: BillingForm | None = None,
    refused: BillingForm | None = None,
) -> HttpResponse:
    item = selectors.price_item_get(user=request.user, item_id=item_id)
    if form is None:
        form = PriceItemEditForm(
            initial={"name": item.name, "category": item.category, "unit_price": item.unit_price}
        )
    context = {"can": _can(request), "item": item, "form": form, "refused": refused}
    failed = form.is_bound or refused is not None
    return render(request, "billing/price_item.html", context, status=BAD_REQUEST if failed else 200)


@hospital_page("GET", "POST")
def price_item_edit(request: HospitalRequest, hospital_code: str, item_id: int) -> HttpResponse:
    if request.method != "POST":
        return _price_item_page(request, item_id)
    form = PriceItemEditForm(request.POST)
    if form_submit(request, form, services.price_item_update, item_id=item_id) is not None:
        return redirect("billing:price-list", hospital_code=hospital_code)
    return _price_item_page(request, item_id, form=form)


@hospital_page("POST")
def price_item_active(
    request: HospitalRequest, hospital_code: str, item_id: int, active: bool
) -> HttpResponse:
    change = services.price_item_reactivate if active else services.price_item_deactivate
    form = ActionForm(request.POST)
    if form_submit(request, form, change, item_id=item_id) is not None:
        return redirect("billing:price-list", hospital_code=hospital_code)
    return _price_item_page(request, item_id, refused=form)


# Invoices


@hospital_page("GET", "POST")
def encounter_invoice(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    """An encounter's invoices; POST opens a draft invoice for it."""
    refused = None
    if request.method == "POST":
        refused = ActionForm(request.POST)
        invoice = form_submit(
            request, refused, services.invoice_create_for_encounter, encounter_id=encounter_id
        )
        if invoice is not None:
            return redirect("billing:invoice", hospital_code=hospital_code, invoice_id=invoice.pk)
    encounter, patient, invoices = selectors.invoice_for_encounter(
        user=request.user, encounter_id=encounter_id, client_address=client_address(request)
    )
    context = {
        "can": _can(request),
        "encounter": encounter,
        "patient": patient,
        "invoices": invoices,
        "live_invoice": next((i for i in invoices if i.voided_at is None), None),
        "refused": refused,
    }
    return render(request, "billing/encounter.html", context, status=BAD_REQUEST if refused else 200)


def _invoice_page(
    request: HospitalRequest, invoice_id: int, *, refused: BillingForm | None = None
) -> HttpResponse:
    """The invoice with its forms; `refused` is the form a change failed on (shown filled in, 400)."""
    detail = selectors.invoice_detail(
        user=request.user, invoice_id=invoice_id, include_voided=True, client_address=client_address(request)
    )
    can = _can(request)
    draft = detail.invoice.status == Invoice.Status.DRAFT

    def form_of(kind: type[BillingForm]) -> BillingForm:
        return refused if type(refused) is kind and refused is not None else kind()

    line_form = form_of(LineAddForm)
    editable = draft and can.update_invoice
    items = selectors.price_list(user=request.user) if editable else []
    if isinstance(line_form, LineAddForm):
        line_form.offer(items)
    forms = {
        "line_form": line_form,
        "payment_form": form_of(PaymentForm),
        "void_form": form_of(VoidForm),
        "discount_form": form_of(DiscountForm),
        "refund_form": form_of(RefundForm),
    }
    context = {
        "can": can,
        "detail": detail,
        "invoice": detail.invoice,
        "items": items,
        "proposed": selectors.invoice_proposed_lines(user=request.user, invoice=detail.invoice)
        if editable
        else [],
        "refused": refused,
        **forms,
    }
    return render(request, "billing/invoice.html", context, status=BAD_REQUEST if refused else 200)


@hospital_page()
def invoice_page(request: HospitalRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, invoice_id)


def _invoice_change(
    form_class: type[BillingForm], service: Callable[..., object]
) -> Callable[..., HttpResponse]:
    """The page a form of the invoice posts to: `service` with the form's values (and the ids in the
    address, such as the line's); back to the invoice, or the invoice with the form and the reason
    it was not done (400)."""

    def change(request: HospitalRequest, hospital_code: str, invoice_id: int, **ids: int) -> HttpResponse:
        form = form_class(request.POST)
        form_submit(request, form, partial(service, **ids), invoice_id=invoice_id)
        if not form.errors:  # done (removing a line returns nothing)
            return redirect("billing:invoice", hospital_code=hospital_code, invoice_id=invoice_id)
        return _invoice_page(request, invoice_id, refused=form)

    change.__name__ = change.__qualname__ = service.__name__  # the view is named for what it does
    return hospital_page("POST")(change)


invoice_line_add = _invoice_change(LineAddForm, services.invoice_line_add)
invoice_line_remove = _invoice_change(ActionForm, services.invoice_line_remove)
invoice_issue = _invoice_change(ActionForm, services.invoice_issue)
invoice_void = _invoice_change(VoidForm, services.invoice_void)
payment_record = _invoice_change(PaymentForm, services.payment_record)
payment_void = _invoice_change(PaymentVoidForm, services.payment_void)
invoice_lines_accept = _invoice_change(AcceptLinesForm, services.invoice_lines_accept)
invoice_discount = _invoice_change(DiscountForm, services.invoice_discount)
invoice_line_discount = _invoice_change(LineDiscountForm, services.invoice_line_discount)
payment_refund = _invoice_change(RefundForm, services.payment_refund)
refund_void = _invoice_change(RefundVoidForm, services.refund_void)


@hospital_page()
def invoice_pdf_view(request: HospitalRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    detail = selectors.invoice_detail(
        user=request.user, invoice_id=invoice_id, client_address=client_address(request), purpose="pdf"
    )
    content = invoice_pdf(detail.invoice, hospital=request.hospital)
    filename = detail.invoice.number or f"draft-invoice-{detail.invoice.pk}"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@hospital_page()
def invoice_print(request: HospitalRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    detail = selectors.invoice_detail(
        user=request.user, invoice_id=invoice_id, client_address=client_address(request), purpose="print"
    )
    context = {
        "detail": detail,
        "invoice": detail.invoice,
        "settings": services.billing_settings_get(),
        "printed_at": timezone.now(),
    }
    return render(request, "billing/invoice_print.html", context)


# Lists


@hospital_page()
def outstanding(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    page = selectors.outstanding_invoices(
        user=request.user, page_number=request.GET.get("page"), client_address=client_address(request)
    )
    return render(request, "billing/outstanding.html", {"can": _can(request), "page": page})


@hospital_page()
def patient_invoices(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    include_voided = request.GET.get("voided") == "1"
    patient, invoices = selectors.invoices_for_patient(
        user=request.user,
        patient_id=patient_id,
        include_voided=include_voided,
        client_address=client_address(request),
    )
    can = _can(request)
    visits = None
    if can.create_invoice:
        visits = selectors.visits_to_invoice(
            user=request.user,
            patient_id=patient.pk,
            page_number=request.GET.get("page"),
            client_address=client_address(request),
        )
    context = {
        "can": can,
        "patient": patient,
        "invoices": invoices,
        "include_voided": include_voided,
        "visits": visits,
    }
    return render(request, "billing/patient_invoices.html", context)


@hospital_page()
def takings(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The takings of one day (`?day=yyyy-mm-dd`, today in the hospital's time zone by default)."""
    can = _can(request)
    if not can.see_takings:
        raise NotAllowed("Only a hospital administrator may see the day's takings.")
    today = timezone.localdate()
    form = TakingsDayForm(request.GET)
    if form.is_valid():
        day = form.day_or(today)
        try:
            summary = selectors.takings_for_day(
                user=request.user, day=day, client_address=client_address(request)
            )
        except ApplicationError as exc:
            form_error_show(form, exc)
        else:
            context = {
                "can": can,
                "form": form,
                "takings": summary,
                "day": day,
                "previous_day": day - datetime.timedelta(days=1) if day > datetime.date.min else None,
                "next_day": day + datetime.timedelta(days=1) if day < datetime.date.max else None,
            }
            return render(request, "billing/takings.html", context)
    return render(
        request, "billing/takings.html", {"can": can, "form": form, "day": today}, status=BAD_REQUEST
    )
