"""Alert pages: the list of critical alerts, the acknowledgement (from it or the doctor's start
page), and the ADMIN's settings. Thin: each parses a form and calls one service or selector."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from hms.accounts.display import display_name
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.alerts.configuration import alert_settings, alert_settings_update, hospital_doctors
from hms.alerts.forms import AcknowledgeForm, AlertSettingsForm
from hms.alerts.models import CriticalAlert
from hms.alerts.selectors import critical_alerts_page
from hms.alerts.services import critical_alert_acknowledge, critical_alerts_escalate
from hms.core.http import client_address
from hms.core.pages import form_submit, hospital_page
from hms.tenancy.http import HospitalRequest


def _list_render(
    request: HospitalRequest, *, failed: AcknowledgeForm | None = None, failed_id: int | None = None
) -> HttpResponse:
    everything = request.GET.get("all") == "1"
    page = critical_alerts_page(
        user=request.user,
        include_acknowledged=everything,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    may_acknowledge = (
        permission_scope(user=request.user, resource=Resource.CRITICAL_ALERT, action=Action.UPDATE)
        is not None
    )
    context = {
        "page": page,
        "everything": everything,
        "may_acknowledge": may_acknowledge,
        "failed": failed,
        "failed_id": failed_id,
        # A refused acknowledgement keeps where its form came from (the start page, say).
        "next_page": _next_page(request, request.hospital.code, request.POST.get("next", "")),
        "may_configure": permission_scope(
            user=request.user, resource=Resource.ALERT_SETTINGS, action=Action.UPDATE
        )
        is not None,
        "settings": alert_settings(),
    }
    return render(request, "alerts/alert_list.html", context, status=400 if failed is not None else 200)


@hospital_page()
def alert_list(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """Open critical alerts: a doctor's own, every one for the ADMIN (all of them with ?all=1)."""
    critical_alerts_escalate()
    return _list_render(request)


def _next_page(request: HospitalRequest, hospital_code: str, wanted: str) -> str:
    """Where to go after acknowledging: the page the form was on, if it is one of this site's."""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("alerts:list", kwargs={"hospital_code": hospital_code})


@hospital_page("POST")
def acknowledge(request: HospitalRequest, hospital_code: str, alert_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.CRITICAL_ALERT, action=Action.UPDATE)
    form = AcknowledgeForm(request.POST)
    alert: CriticalAlert | None = form_submit(request, form, critical_alert_acknowledge, alert_id=alert_id)
    if alert is None:
        return _list_render(request, failed=form, failed_id=alert_id)
    messages.success(request, f"Acknowledged: {alert.text}. Your read-back is recorded.")
    return redirect(_next_page(request, hospital_code, request.POST.get("next", "")))


@hospital_page("GET", "POST")
def alert_settings_page(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The ADMIN's page: how long an alert waits before escalation, to whom, and the channels."""
    permission_require(user=request.user, resource=Resource.ALERT_SETTINGS, action=Action.VIEW)
    doctors = [(doctor.pk, display_name(doctor)) for doctor in hospital_doctors()]
    current = alert_settings()
    if request.method == "POST":
        permission_require(user=request.user, resource=Resource.ALERT_SETTINGS, action=Action.UPDATE)
        form = AlertSettingsForm(request.POST, doctors=doctors)
        if form_submit(request, form, alert_settings_update) is not None:
            messages.success(
                request, "The alert settings are saved; they apply to alerts raised from now on."
            )
            return redirect("alerts:settings", hospital_code=hospital_code)
    else:
        initial = {
            "escalation_minutes": current.escalation_minutes,
            "escalation_clinician_id": current.escalation_clinician_id or "",
            "channels": list(current.channels),
        }
        form = AlertSettingsForm(initial=initial, doctors=doctors)
    status = 400 if form.is_bound else 200
    return render(request, "alerts/settings.html", {"form": form, "current": current}, status=status)
