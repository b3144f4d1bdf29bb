"""Billing pages: thin views that parse the form, call one service or selector, and render.

A refused business rule re-renders the page with its message and status 400; NotFound
and NotAllowed become 404 and 403 (refusals_as_http).
"""

import datetime
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hms.billing import selectors, services
from hms.billing.models import Invoice, Payment, PriceListItem
from hms.billing.pdf import invoice_pdf
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.core.http import client_address, refusals_as_http

BAD_REQUEST = 400


def _error_context(exc: ApplicationError) -> dict[str, Any]:
    details = []
    for field, messages in exc.details.items():
        if isinstance(messages, list | tuple):
            details.extend(str(m) for m in messages if isinstance(m, str))
        elif isinstance(messages, str):
            details.append(messages)
        del field
    return {"error": exc.message, "error_details": details}


def _base_context(request: HttpRequest) -> dict[str, Any]:
    return {"hospital": request.hospital, "can": selectors.billing_abilities(user=request.user)}


# Home, settings and the price list


@login_required
@refusals_as_http
@require_GET
def billing_home(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """Staff get links to the billing pages; a patient goes to their own invoices."""
    patient_id = selectors.own_patient_id(user=request.user)
    if patient_id is not None:
        return redirect("billing:patient-invoices", hospital_code=hospital_code, patient_id=patient_id)
    context = _base_context(request)
    if context["can"].create_invoice:
        context["visits"] = selectors.visits_to_invoice(
            user=request.user, page_number=request.GET.get("page", 1), client_address=client_address(request)
        )
    return render(request, "billing/home.html", context)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def billing_settings(request: HttpRequest, hospital_code: str) -> HttpResponse:
    context = _base_context(request)
    if not context["can"].edit_prices:
        raise NotAllowed("Only a hospital administrator may change the billing settings.")
    status = 200
    if request.method == "POST":
        try:
            services.billing_settings_update(
                acting_user=request.user,
                currency=request.POST.get("currency", ""),
                invoice_prefix=request.POST.get("invoice_prefix", ""),
                address=request.POST.get("address", ""),
                client_address=client_address(request),
            )
            return redirect("billing:settings", hospital_code=hospital_code)
        except ApplicationError as exc:
            context.update(_error_context(exc), form=request.POST)
            status = BAD_REQUEST
    context["settings"] = services.billing_settings_get()
    return render(request, "billing/settings.html", context, status=status)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def price_list(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """The price list; an administrator adds items here."""
    context = _base_context(request)
    status = 200
    if request.method == "POST":
        try:
            services.price_item_create(
                acting_user=request.user,
                code=request.POST.get("code", ""),
                name=request.POST.get("name", ""),
                category=request.POST.get("category", ""),
                unit_price=request.POST.get("unit_price", ""),
                client_address=client_address(request),
            )
            return redirect("billing:price-list", hospital_code=hospital_code)
        except ApplicationError as exc:
            context.update(_error_context(exc), form=request.POST)
            status = BAD_REQUEST
    include_inactive = context["can"].edit_prices
    query = request.GET.get("q", "")
    context.update(
        page=selectors.price_list_page(
            user=request.user,
            query=query,
            include_inactive=include_inactive,
            page_number=request.GET.get("page", 1),
        ),
        query=query.strip()[:100],
        categories=PriceListItem.Category.choices,
        settings=services.billing_settings_get(),
    )
    return render(request, "billing/price_list.html", context, status=status)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def price_item_edit(request: HttpRequest, hospital_code: str, item_id: int) -> HttpResponse:
    context = _base_context(request)
    status = 200
    if request.method == "POST":
        try:
            services.price_item_update(
                acting_user=request.user,
                item_id=item_id,
                name=request.POST.get("name", ""),
                category=request.POST.get("category", ""),
                unit_price=request.POST.get("unit_price", ""),
                client_address=client_address(request),
            )
            return redirect("billing:price-list", hospital_code=hospital_code)
        except ApplicationError as exc:
            context.update(_error_context(exc), form=request.POST)
            status = BAD_REQUEST
    context.update(
        item=selectors.price_item_get(user=request.user, item_id=item_id),
        categories=PriceListItem.Category.choices,
    )
    return render(request, "billing/price_item.html", context, status=status)


@login_required
@refusals_as_http
@require_POST
def price_item_active(request: HttpRequest, hospital_code: str, item_id: int, active: bool) -> HttpResponse:
    change = services.price_item_reactivate if active else services.price_item_deactivate
    try:
        change(acting_user=request.user, item_id=item_id, client_address=client_address(request))
    except ApplicationError as exc:
        context = _base_context(request)
        context.update(
            _error_context(exc),
            item=selectors.price_item_get(user=request.user, item_id=item_id),
            categories=PriceListItem.Category.choices,
        )
        return render(request, "billing/price_item.html", context, status=BAD_REQUEST)
    return redirect("billing:price-list", hospital_code=hospital_code)


# Invoices


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def encounter_invoice(request: HttpRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    """An encounter's invoices; POST opens a draft invoice for it."""
    context = _base_context(request)
    status = 200
    if request.method == "POST":
        try:
            invoice = services.invoice_create_for_encounter(
                acting_user=request.user, encounter_id=encounter_id, client_address=client_address(request)
            )
            return redirect("billing:invoice", hospital_code=hospital_code, invoice_id=invoice.pk)
        except ApplicationError as exc:
            context.update(_error_context(exc))
            status = BAD_REQUEST
    encounter, patient, invoices = selectors.invoice_for_encounter(
        user=request.user, encounter_id=encounter_id, client_address=client_address(request)
    )
    live = next((i for i in invoices if i.voided_at is None), None)
    context.update(encounter=encounter, patient=patient, invoices=invoices, live_invoice=live)
    return render(request, "billing/encounter.html", context, status=status)


def _invoice_page(
    request: HttpRequest, invoice_id: int, *, status: int = 200, extra: dict[str, Any] | None = None
) -> HttpResponse:
    detail = selectors.invoice_detail(
        user=request.user, invoice_id=invoice_id, include_voided=True, client_address=client_address(request)
    )
    context = _base_context(request)
    can = context["can"]
    draft = detail.invoice.status == Invoice.Status.DRAFT
    context.update(
        detail=detail,
        invoice=detail.invoice,
        items=selectors.price_list(user=request.user) if draft and can.update_invoice else [],
        methods=Payment.Method.choices,
        **(extra or {}),
    )
    return render(request, "billing/invoice.html", context, status=status)


@login_required
@refusals_as_http
@require_GET
def invoice_page(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, invoice_id)


def _invoice_action(
    request: HttpRequest, hospital_code: str, invoice_id: int, act: Callable[[], object]
) -> HttpResponse:
    """Run a change to an invoice; back to its page, or the page with the message (400)."""
    try:
        act()
    except ApplicationError as exc:
        return _invoice_page(
            request, invoice_id, status=BAD_REQUEST, extra={**_error_context(exc), "form": request.POST}
        )
    return redirect("billing:invoice", hospital_code=hospital_code, invoice_id=invoice_id)


@login_required
@refusals_as_http
@require_POST
def invoice_line_add(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    return _invoice_action(
        request,
        hospital_code,
        invoice_id,
        lambda: services.invoice_line_add(
            acting_user=request.user,
            invoice_id=invoice_id,
            item_code=request.POST.get("item_code", ""),
            quantity=request.POST.get("quantity", ""),
            client_address=client_address(request),
        ),
    )


@login_required
@refusals_as_http
@require_POST
def invoice_line_remove(
    request: HttpRequest, hospital_code: str, invoice_id: int, line_id: int
) -> HttpResponse:
    return _invoice_action(
        request,
        hospital_code,
        invoice_id,
        lambda: services.invoice_line_remove(
            acting_user=request.user,
            invoice_id=invoice_id,
            line_id=line_id,
            client_address=client_address(request),
        ),
    )


@login_required
@refusals_as_http
@require_POST
def invoice_issue(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    return _invoice_action(
        request,
        hospital_code,
        invoice_id,
        lambda: services.invoice_issue(
            acting_user=request.user, invoice_id=invoice_id, client_address=client_address(request)
        ),
    )


@login_required
@refusals_as_http
@require_POST
def invoice_void(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    return _invoice_action(
        request,
        hospital_code,
        invoice_id,
        lambda: services.invoice_void(
            acting_user=request.user,
            invoice_id=invoice_id,
            reason=request.POST.get("reason", ""),
            client_address=client_address(request),
        ),
    )


@login_required
@refusals_as_http
@require_POST
def payment_record(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    return _invoice_action(
        request,
        hospital_code,
        invoice_id,
        lambda: services.payment_record(
            acting_user=request.user,
            invoice_id=invoice_id,
            amount=request.POST.get("amount", ""),
            method=request.POST.get("method", ""),
            reference=request.POST.get("reference", ""),
            client_address=client_address(request),
        ),
    )


@login_required
@refusals_as_http
@require_POST
def payment_void(request: HttpRequest, hospital_code: str, invoice_id: int, payment_id: int) -> HttpResponse:
    def act() -> object:
        return services.payment_void(
            acting_user=request.user,
            payment_id=payment_id,
            invoice_id=invoice_id,
            reason=request.POST.get("reason", ""),
            client_address=client_address(request),
        )

    return _invoice_action(request, hospital_code, invoice_id, act)


@login_required
@refusals_as_http
@require_GET
def invoice_pdf_view(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    detail = selectors.invoice_detail(
        user=request.user, invoice_id=invoice_id, client_address=client_address(request), purpose="pdf"
    )
    content = invoice_pdf(detail.invoice, hospital=request.hospital)
    filename = detail.invoice.number or f"draft-invoice-{detail.invoice.pk}"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@login_required
@refusals_as_http
@require_GET
def invoice_print(request: HttpRequest, hospital_code: str, invoice_id: int) -> HttpResponse:
    detail = selectors.invoice_detail(
        user=request.user, invoice_id=invoice_id, client_address=client_address(request), purpose="print"
    )
    context = {
        "hospital": request.hospital,
        "detail": detail,
        "invoice": detail.invoice,
        "settings": services.billing_settings_get(),
        "printed_at": timezone.now(),
    }
    return render(request, "billing/invoice_print.html", context)


# Lists


@login_required
@refusals_as_http
@require_GET
def outstanding(request: HttpRequest, hospital_code: str) -> HttpResponse:
    page = selectors.outstanding_invoices(
        user=request.user, page_number=request.GET.get("page", 1), client_address=client_address(request)
    )
    context = _base_context(request)
    context["page"] = page
    return render(request, "billing/outstanding.html", context)


@login_required
@refusals_as_http
@require_GET
def patient_invoices(request: HttpRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    include_voided = request.GET.get("voided") == "1"
    patient, invoices = selectors.invoices_for_patient(
        user=request.user,
        patient_id=patient_id,
        include_voided=include_voided,
        client_address=client_address(request),
    )
    context = _base_context(request)
    context.update(patient=patient, invoices=invoices, include_voided=include_voided)
    if context["can"].create_invoice:
        context["visits"] = selectors.visits_to_invoice(
            user=request.user, patient_id=patient.pk, client_address=client_address(request)
        )
    return render(request, "billing/patient_invoices.html", context)


@login_required
@refusals_as_http
@require_GET
def takings(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """The takings of one day (`?day=yyyy-mm-dd`, today in the hospital's time zone by default)."""
    context = _base_context(request)
    if not context["can"].see_takings:
        raise NotAllowed("Only a hospital administrator may see the day's takings.")
    raw = request.GET.get("day", "").strip()
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(request.hospital.time_zone)).date()
    try:
        day = datetime.date.fromisoformat(raw) if raw else today
    except ValueError:
        context.update(
            error=f"{raw[:40]!r} is not a day: use yyyy-mm-dd, like {today.isoformat()}.", day=today
        )
        return render(request, "billing/takings.html", context, status=BAD_REQUEST)
    try:
        summary = selectors.takings_for_day(
            user=request.user, day=day, client_address=client_address(request)
        )
    except ApplicationError as exc:
        context.update(_error_context(exc), day=today)
        return render(request, "billing/takings.html", context, status=BAD_REQUEST)
    context.update(
        takings=summary,
        day=day,
        previous_day=day - datetime.timedelta(days=1) if day > datetime.date.min else None,
        next_day=day + datetime.timedelta(days=1) if day < datetime.date.max else None,
    )
    return render(request, "billing/takings.html", context)
