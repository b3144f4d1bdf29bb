"""The audit log page of a hospital, for its administrators."""

from django.http import HttpResponse
from django.shortcuts import render

from hms.audit.forms import AuditLogFilterForm
from hms.audit.selectors import audit_chain_check, audit_event_page
from hms.core.http import client_address
from hms.core.pages import hospital_page
from hms.tenancy.http import HospitalRequest


@hospital_page()
def audit_log(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    form = AuditLogFilterForm(request.GET)
    form.is_valid()  # a filter that is not valid is left out, and the page says so
    filters = form.cleaned_data
    bad = [str(form.fields[name].label) for name in form.errors]
    page = audit_event_page(
        user=request.user,
        patient_id=filters.get("patient"),
        actor_id=filters.get("actor"),
        action_prefix=filters.get("action", ""),
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    chain = audit_chain_check(user=request.user) if request.GET.get("verify") else None
    return render(
        request,
        "audit/audit_log.html",
        {"page": page, "form": form, "bad": bad, "chain": chain},
        status=400 if bad else 200,
    )
