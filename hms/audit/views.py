"""The audit log page of a hospital, for its administrators, and its CSV export."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hms.audit.forms import AuditLogFilterForm
from hms.audit.selectors import (
    COLUMNS,
    AuditFilters,
    AuditRow,
    audit_chain_check,
    audit_event_export,
    audit_event_page,
)
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address
from hms.core.pages import form_error_show, hospital_page
from hms.tenancy.http import HospitalRequest


def _filters(form: AuditLogFilterForm) -> AuditFilters:
    data = form.cleaned_data
    return AuditFilters(
        username=data.get("username", ""),
        mrn=data.get("mrn", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        action_prefix=data.get("action", ""),
    )


@hospital_page()
def audit_log(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    form = AuditLogFilterForm(request.GET)
    form.is_valid()  # a filter that is not valid is left out, and the page says so
    filters = _filters(form)
    address = client_address(request)
    try:
        if request.GET.get("export") == "csv":
            return _csv(
                audit_event_export(user=request.user, filters=filters, client_address=address), hospital_code
            )
        log = audit_event_page(
            user=request.user, filters=filters, page_number=request.GET.get("page", 1), client_address=address
        )
    except ApplicationError as error:  # an MRN of no patient here: the log without that filter
        form_error_show(form, error)
        filters = AuditFilters(**{**filters.__dict__, "mrn": ""})
        log = audit_event_page(
            user=request.user, filters=filters, page_number=request.GET.get("page", 1), client_address=address
        )
    bad = [str(form.fields[name].label) for name in form.errors if name in form.fields]
    chain = audit_chain_check(user=request.user) if request.GET.get("verify") else None
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query.pop("verify", None)
    export_query["export"] = "csv"
    return render(
        request,
        "audit/audit_log.html",
        {
            "log": log,
            "page": log.page,
            "columns": COLUMNS,
            "form": form,
            "bad": bad,
            "chain": chain,
            "export_query": export_query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


def _csv(rows: list[AuditRow], hospital_code: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    response["Content-Disposition"] = f'attachment; filename="audit-log-{hospital_code}-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row.cells])
    return response


def _safe(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
