"""HospitalMiddleware through the test client: who may enter which hospital, and in what state."""

import sqlite3
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone

from hms.accounts.models import Role
from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.tenancy import connections as tenant_connections
from hms.tenancy import middleware
from hms.tenancy.context import current_tenant, current_tenant_or_none, hospital_context
from hms.tenancy.exceptions import CrossHospitalWrite, NoHospitalSelected, TenancyError
from hms.tenancy.middleware import SCHEMA_RETRY_AFTER_SECONDS
from hms.tenancy.schema import current_fingerprint

# --- a URL configuration with views that report or fail, used by some tests below -------

seen_in_view: list[object] = []


class ViewFailed(Exception):
    pass


def _report_view(request, hospital_code):
    tenant = current_tenant()
    seen_in_view.append(tenant.code)
    return HttpResponse(f"{tenant.code}:{Patient.objects.count()}")


def _failing_view(request, hospital_code):
    seen_in_view.append(current_tenant().code)
    Patient.objects.count()  # the hospital's connection really is used
    raise ViewFailed("the view broke")


def _time_zone_view(request, hospital_code):
    seen_in_view.append(timezone.get_current_timezone_name())
    return HttpResponse(timezone.get_current_timezone_name())


def _new_patient() -> None:
    Patient.objects.create(mrn="NEW-1", given_name="N", family_name="New", birth_date="1990-01-01")


def _patient_of_another_hospital_saved_here() -> None:
    with hospital_context("DMC001"):
        patient = Patient.objects.get()
    patient.given_name = "Moved"
    patient.save()


_WRITES = {"patient": _new_patient, "cross": _patient_of_another_hospital_saved_here}


def _form_view(request, hospital_code=None):
    """Saves the way the clinical views do: an ApplicationError is shown beside the form (400)."""
    try:
        _WRITES[request.GET["write"]]()
    except ApplicationError as error:
        seen_in_view.append("form error")
        return HttpResponse(error.message, status=400)
    return HttpResponse("saved")


urlpatterns = [
    path("h/<str:hospital_code>/", _report_view),
    path("h/<str:hospital_code>/report/", _report_view),
    path("h/<str:hospital_code>/boom/", _failing_view),
    path("h/<str:hospital_code>/time-zone/", _time_zone_view),
    path("h/<str:hospital_code>/form/", _form_view),
    path("outside/form/", _form_view),
    path("", include("config.urls")),  # the rest, for the links the refusal pages show
]


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = __name__
    seen_in_view.clear()
    yield seen_in_view
    seen_in_view.clear()


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def hospitals(make_hospital):
    """TH001 and DMC001, each with one patient."""
    rows = {code: make_hospital(code, name=f"{code} General") for code in ("TH001", "DMC001")}
    for code in rows:
        with hospital_context(code):
            Patient.objects.create(mrn=f"{code}-1", given_name="P", family_name=code, birth_date="1990-01-01")
    return rows


@pytest.fixture
def login(client, make_user):
    def as_user(username, role=Role.DOCTOR, hospital=None):
        user = make_user(username, role=role, hospital=hospital)
        client.force_login(user)
        return user

    return as_user


def _set_status(code: str, status: str) -> None:
    Hospital.objects.filter(code=code).update(status=status)


# --- membership: another hospital looks exactly like no hospital -------------------------


@pytest.mark.django_db
def test_member_enters_own_hospital(client, hospitals, login):
    login("dmc_doctor", hospital=hospitals["DMC001"])
    response = client.get("/h/DMC001/patient-list/")  # the front page is the doctor's own day
    assert response.status_code == 200
    assert b"DMC001 General" in response.content
    assert b"DMC001-1" in response.content  # its own patient, from its own database
    assert b"TH001-1" not in response.content


@pytest.mark.django_db
def test_other_hospitals_code_answers_exactly_like_an_unknown_or_invalid_code(client, hospitals, login):
    login("dmc_doctor", hospital=hospitals["DMC001"])
    other = client.get("/h/TH001/")
    unknown = client.get("/h/NOPE999/")
    invalid = client.get("/h/th001/")
    hostile = client.get("/h/" + quote("TH001;--", safe="") + "/")
    assert other.status_code == 404
    assert b"TH001" not in other.content
    for response in (unknown, invalid, hostile):
        assert response.status_code == other.status_code
        assert response.content == other.content
        assert response["Content-Type"] == other["Content-Type"]
    assert current_tenant_or_none() is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_every_hospital_role_is_kept_out_of_other_hospitals(client, hospitals, login, role):
    login("someone", role=role, hospital=hospitals["DMC001"])
    assert client.get("/h/DMC001/").status_code == 200
    assert client.get("/h/TH001/").status_code == 404


@pytest.mark.django_db
def test_superadmin_may_enter_any_active_hospital(client, hospitals, login):
    login("root", role=Role.SUPERADMIN)
    for code in ("TH001", "DMC001"):
        response = client.get(f"/h/{code}/")
        assert response.status_code == 200
        assert f"{code} General".encode() in response.content
    assert client.get("/h/NOPE999/").status_code == 404


@pytest.mark.django_db
def test_superadmin_gets_each_hospitals_own_data(client, hospitals, login, probe_urls):
    login("root", role=Role.SUPERADMIN)
    assert client.get("/h/TH001/report/").content == b"TH001:1"
    assert client.get("/h/DMC001/report/").content == b"DMC001:1"
    assert probe_urls == ["TH001", "DMC001"]


# --- anonymous users learn nothing -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["TH001", "NOPE999", "th001", "ARCH01"])
def test_anonymous_is_sent_to_login_whatever_the_code(client, hospitals, make_hospital, code):
    make_hospital("ARCH01")
    _set_status("ARCH01", Hospital.Status.ARCHIVED)
    url = f"/h/{code}/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"
    assert current_tenant_or_none() is None


@pytest.mark.django_db
def test_anonymous_redirects_do_not_differ_between_known_and_unknown(client, hospitals):
    known = client.get("/h/TH001/")
    unknown = client.get("/h/NOPE999/")
    assert known.status_code == unknown.status_code == 302
    assert known.content == unknown.content
    assert known["Location"].replace("TH001", "X") == unknown["Location"].replace("NOPE999", "X")


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["/api/v1/hospitals", "/fhir"])
def test_anonymous_api_requests_get_the_same_401_for_any_code(client, hospitals, prefix):
    known = client.get(f"{prefix}/TH001/")
    unknown = client.get(f"{prefix}/NOPE999/")
    assert known.status_code == unknown.status_code == 401
    assert known.content == unknown.content


# --- hospital states ---------------------------------------------------------------------


@pytest.mark.django_db
def test_suspended_hospital_answers_403_to_its_members(client, hospitals, login):
    login("th_doctor", hospital=hospitals["TH001"])
    _set_status("TH001", Hospital.Status.SUSPENDED)
    response = client.get("/h/TH001/")
    assert response.status_code == 403
    assert b"suspended" in response.content
    assert current_tenant_or_none() is None


@pytest.mark.django_db
def test_suspended_hospital_is_still_404_to_outsiders(client, hospitals, login):
    login("dmc_doctor", hospital=hospitals["DMC001"])
    unknown = client.get("/h/NOPE999/")
    _set_status("TH001", Hospital.Status.SUSPENDED)
    response = client.get("/h/TH001/")
    assert response.status_code == 404
    assert response.content == unknown.content


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Hospital.Status.PROVISIONING, Hospital.Status.FAILED])
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.SUPERADMIN])
def test_hospitals_not_in_service_answer_404(client, hospitals, login, probe_urls, status, role):
    login("user", role=role, hospital=None if role == Role.SUPERADMIN else hospitals["TH001"])
    unknown = client.get("/h/NOPE999/")
    _set_status("TH001", status)
    for url in ("/h/TH001/", "/h/TH001/report/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.content == unknown.content
    assert probe_urls == []  # the view never ran
    _set_status("TH001", Hospital.Status.ACTIVE)
    assert client.get("/h/TH001/").content == b"TH001:1"
    assert probe_urls == ["TH001"]


# --- schema: no mixed schemas are served -------------------------------------------------


def _roll_back_last_audit_migration(code: str) -> None:
    """Make the hospital's database really behind the code: undo audit.0002."""
    with hospital_context(code) as tenant:
        connection = connections[tenant.alias]
        executor = MigrationExecutor(connection)
        executor.migrate([("audit", "0001_initial")])
        executor.loader.build_graph()
        assert ("audit", "0002_append_only") not in executor.loader.applied_migrations


@pytest.mark.django_db
def test_hospital_behind_the_schema_gets_503_until_migrated(client, hospitals, login, probe_urls):
    login("th_doctor", hospital=hospitals["TH001"])
    _roll_back_last_audit_migration("TH001")
    Hospital.objects.filter(code="TH001").update(schema_fingerprint="0123456789abcdef")
    assert current_fingerprint() != "0123456789abcdef"

    for url in ("/h/TH001/", "/h/TH001/report/"):
        response = client.get(url)
        assert response.status_code == 503
        assert response["Retry-After"] == str(SCHEMA_RETRY_AFTER_SECONDS)
        assert b"being upgraded" in response.content
        assert b"TH001 General" in response.content
    assert probe_urls == []
    # Other hospitals are served meanwhile.
    login("dmc_doctor", hospital=hospitals["DMC001"])
    assert client.get("/h/DMC001/").status_code == 200
    # And an outsider still cannot tell the hospital exists.
    assert client.get("/h/TH001/").status_code == 404

    call_command("migrate_hospitals", "--hospital", "TH001", "--jobs", "1", "--no-progress")
    hospital = Hospital.objects.get(code="TH001")
    assert hospital.schema_fingerprint == current_fingerprint()
    with hospital_context(hospital) as tenant:
        applied = MigrationExecutor(connections[tenant.alias]).loader.applied_migrations
        assert ("audit", "0002_append_only") in applied

    login("th_doctor2", hospital=hospitals["TH001"])
    response = client.get("/h/TH001/")
    assert response.status_code == 200
    assert "Retry-After" not in response
    assert response.content == b"TH001:1"
    assert probe_urls == ["DMC001", "TH001"]


@pytest.mark.django_db
def test_hospital_with_no_recorded_schema_is_refused(client, hospitals, login):
    login("th_doctor", hospital=hospitals["TH001"])
    Hospital.objects.filter(code="TH001").update(schema_fingerprint="")
    response = client.get("/h/TH001/")
    assert response.status_code == 503
    assert response.has_header("Retry-After")


# --- the context is always reset after a request -----------------------------------------


@pytest.mark.django_db
def test_context_is_set_during_the_request_and_reset_after(client, hospitals, login, probe_urls):
    login("th_doctor", hospital=hospitals["TH001"])
    assert client.get("/h/TH001/report/").content == b"TH001:1"
    assert probe_urls == ["TH001"]
    assert current_tenant_or_none() is None
    assert tenant_connections.registered_aliases() == []


@pytest.mark.django_db
def test_context_is_reset_when_the_view_raises(client, hospitals, login, probe_urls):
    login("th_doctor", hospital=hospitals["TH001"])
    with pytest.raises(ViewFailed):
        client.get("/h/TH001/boom/")
    assert probe_urls == ["TH001"]
    assert current_tenant_or_none() is None
    # The hospital is released too: nothing keeps it registered after the request.
    assert tenant_connections.registered_aliases() == []

    # Served as a 500 page when exceptions are not re-raised to the test.
    client.raise_request_exception = False
    response = client.get("/h/TH001/boom/")
    assert response.status_code == 500
    assert current_tenant_or_none() is None
    assert tenant_connections.registered_aliases() == []
    # And the next request works normally.
    assert client.get("/h/TH001/report/").content == b"TH001:1"


@pytest.mark.django_db
def test_context_is_reset_inside_an_outer_context(client, hospitals, login, probe_urls):
    """A request handled inside some other hospital's context leaves that context intact."""
    login("th_doctor", hospital=hospitals["TH001"])
    with hospital_context("DMC001"):
        assert client.get("/h/TH001/report/").content == b"TH001:1"
        assert current_tenant().code == "DMC001"
        with pytest.raises(ViewFailed):
            client.get("/h/TH001/boom/")
        assert current_tenant().code == "DMC001"
        assert Patient.objects.get().mrn == "DMC001-1"


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_a_database_damaged_under_a_page_answers_503_and_other_hospitals_go_on(client, hospitals, login):
    login("th_doctor", hospital=hospitals["TH001"])
    assert client.get("/h/TH001/").status_code == 200
    with hospital_context("TH001") as tenant:
        path = connections[tenant.alias].settings_dict["NAME"]
    # Damaged behind the application's back: the page's own query fails, not the connect.
    damaged = sqlite3.connect(path.removeprefix("file:").split("?")[0])
    damaged.execute("DROP TABLE patients_patient")
    damaged.commit()
    damaged.close()

    client.raise_request_exception = False
    response = client.get("/h/TH001/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"busy or unreachable" in response.content
    login("dmc_doctor", hospital=hospitals["DMC001"])
    assert client.get("/h/DMC001/").status_code == 200


# --- tenancy errors reach the middleware, never a form -----------------------------------


def test_tenancy_errors_are_not_application_errors():
    """Views catch ApplicationError to show it beside a form; these must get past them."""
    assert not issubclass(TenancyError, ApplicationError)
    error = CrossHospitalWrite("written elsewhere")
    assert (error.message, error.code) == ("written elsewhere", "cross_hospital_write")


@pytest.mark.django_db
def test_a_write_with_no_hospital_selected_is_not_shown_as_a_form_error(client, login, probe_urls):
    login("root", role=Role.SUPERADMIN)
    with pytest.raises(NoHospitalSelected):
        client.post("/outside/form/?write=patient")
    assert probe_urls == []  # the view's `except ApplicationError` never saw it


@pytest.mark.django_db
def test_a_write_across_hospitals_is_not_shown_as_a_form_error(client, hospitals, login, probe_urls):
    login("root", role=Role.SUPERADMIN)
    with pytest.raises(CrossHospitalWrite):
        client.post("/h/TH001/form/?write=cross")
    assert probe_urls == []
    with hospital_context("DMC001"):
        assert Patient.objects.get().given_name == "P"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_write_refused_by_a_read_only_hospital_answers_the_read_only_503(
    client, hospitals, login, probe_urls, monkeypatch, method
):
    """The router's HospitalReadOnly passes the view's form handling and the middleware answers it.

    A read-only hospital serves GETs, so a page that writes on a GET meets the router. A POST
    is refused before its view runs; here that early refusal is switched off, so the POST's
    write meets the router too, as any write that gets past it would.
    """
    login("th_doctor", hospital=hospitals["TH001"])
    Hospital.objects.filter(code="TH001").update(read_only=True)
    monkeypatch.setattr(middleware, "SAFE_METHODS", ("GET", "HEAD", "OPTIONS", "POST"))
    response = getattr(client, method)("/h/TH001/form/?write=patient")
    assert response.status_code == 503
    assert response["Retry-After"] == str(SCHEMA_RETRY_AFTER_SECONDS)
    assert b"being moved" in response.content
    assert probe_urls == []
    with hospital_context("TH001"):
        assert not Patient.objects.filter(mrn="NEW-1").exists()


# --- the hospital's time zone is the current one while its page runs ---------------------


@pytest.mark.django_db
def test_a_page_runs_in_its_hospitals_time_zone_and_the_zone_is_restored_after(
    client, make_hospital, login, probe_urls, settings
):
    dhaka = make_hospital("DHK01", time_zone="Asia/Dhaka")
    make_hospital("LON01", time_zone="Europe/London")
    login("root", role=Role.SUPERADMIN)
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE

    assert client.get("/h/DHK01/time-zone/").content == dhaka.time_zone.encode()
    assert client.get("/h/LON01/time-zone/").content == b"Europe/London"
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE

    # Whatever was active before the request is active again after it, even if the view fails.
    with timezone.override("America/New_York"):
        assert client.get("/h/DHK01/time-zone/").content == b"Asia/Dhaka"
        assert timezone.get_current_timezone_name() == "America/New_York"
        with pytest.raises(ViewFailed):
            client.get("/h/DHK01/boom/")
        assert timezone.get_current_timezone_name() == "America/New_York"
    assert probe_urls == ["Asia/Dhaka", "Europe/London", "Asia/Dhaka", "DHK01"]
