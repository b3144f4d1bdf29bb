"""The audit log page of a hospital, for its administrators."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hms.audit.selectors import audit_chain_check, audit_event_page
from hms.core.http import client_address, refusals_as_http
from hms.core.ids import record_id


@login_required
@refusals_as_http
def audit_log(request: HttpRequest, hospital_code: str) -> HttpResponse:
    patient = request.GET.get("patient", "").strip()
    actor = request.GET.get("actor", "").strip()
    action = request.GET.get("action", "").strip()[:64]
    bad = [
        name for name, value in (("patient", patient), ("user", actor)) if value and record_id(value) is None
    ]
    page = audit_event_page(
        user=request.user,
        patient_id=record_id(patient) if patient else None,
        actor_id=record_id(actor) if actor else None,
        action_prefix=action,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    chain = audit_chain_check(user=request.user) if request.GET.get("verify") else None
    return render(
        request,
        "audit/audit_log.html",
        {
            "hospital": request.hospital,
            "page": page,
            "patient": patient,
            "actor": actor,
            "action": action,
            "bad": bad,
            "chain": chain,
        },
        status=400 if bad else 200,
    )
