"""Bench-only URLconf of bench/pg_untenanted_settings.py: /h/<CODE>/patient-list/ without tenant routing.

The wrapper does what any single-database site serving this page must do (find the
hospital named in the URL, for its name, code and time zone, and refuse users of
another hospital) and then calls the unchanged hms.web.views.patient_list.

The view's selectors ask `current_tenant().alias` for the database to open their
transaction on (patient_page, audit_record). The wrapper answers that question and
nothing more: it sets the same ContextVar to a Tenant whose alias is "default"
for the duration of the call. It does not enter `tenant_database()`, which would
register a tenant alias and take a connection slot (and refuses "default"):
there is no router, so every query, tenant models included, goes to the one
database anyway. A ContextVar set and reset is what the tenanted path pays too.
"""

from django.contrib.auth.decorators import login_required
from django.db import DEFAULT_DB_ALIAS
from django.http import Http404, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from hms.hospitals.models import Hospital
from hms.tenancy import context
from hms.tenancy.http import HospitalRequest
from hms.web import views


@login_required
def patient_list(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    hospital = Hospital.objects.filter(code=hospital_code, status=Hospital.Status.ACTIVE).first()
    if hospital is None or not request.user.may_enter(hospital.pk):
        raise Http404("No such hospital.")
    request.hospital = hospital
    token = context._current.set(context.Tenant(code=hospital.code, alias=DEFAULT_DB_ALIAS, database={}))
    try:
        return views.patient_list(request, hospital_code)
    finally:
        context._current.reset(token)


urlpatterns = [
    path("h/<str:hospital_code>/patient-list/", patient_list, name="untenanted-patient-list"),
    *project_urlpatterns,
]
