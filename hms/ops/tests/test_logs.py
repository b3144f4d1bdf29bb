"""Structured logs: every line of a request carries its id, hospital and user; no patient data.

The production logging configuration (config/settings/base.py, HMS_LOG_FORMAT=json) is
installed for each test with its handler writing to a buffer, so what is checked is what
an operator's log collector would receive.
"""

import io
import json
import logging
import logging.config

import pytest
from django.http import HttpResponse
from django.urls import include, path

from config.settings import base as base_settings
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant, hospital_context

PATIENT = "Rahima Khatun"
page_logger = logging.getLogger("hms.ops.tests.page")


def _patients_view(request, hospital_code):
    page_logger.warning("looked up %d patients", Patient.objects.count())
    return HttpResponse(current_tenant().code)


urlpatterns = [
    path("h/<str:hospital_code>/probe/", _patients_view, name="probe"),
    path("", include("config.urls")),
]


def _configure(log_format: str) -> io.StringIO:
    config = json.loads(json.dumps(base_settings.LOGGING))  # a copy to change
    config["handlers"]["console"]["formatter"] = log_format
    config["root"]["level"] = "INFO"
    logging.config.dictConfig(config)
    buffer = io.StringIO()
    for handler in logging.getLogger().handlers:
        handler.setStream(buffer)
    return buffer


@pytest.fixture
def production_logs():
    """Production's logging, writing to a buffer; the test run's own configuration after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in ("axes",)})
    configured: list[io.StringIO] = []

    def configure(log_format="json"):
        configured.append(_configure(log_format))
        return configured[-1]

    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger("django.server").handlers.clear()


@pytest.fixture
def hospital_page(settings, client, make_hospital, make_user):
    settings.ROOT_URLCONF = __name__
    hospital = make_hospital("TH001")
    with hospital_context("TH001"):
        given, family = PATIENT.split()
        Patient.objects.create(mrn="TH001-1", given_name=given, family_name=family, birth_date="1990-01-01")
    doctor = make_user("doctor_th", hospital=hospital)
    client.force_login(doctor)
    return doctor


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_every_line_of_a_request_names_it_its_hospital_and_its_user(client, hospital_page, production_logs):
    buffer = production_logs("json")
    response = client.get("/h/TH001/probe/", {"q": PATIENT})
    assert response.status_code == 200
    lines = _lines(buffer)
    page_line = next(line for line in lines if line["logger"] == page_logger.name)
    access = next(line for line in lines if line["logger"] == "hms.access")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    for line in (page_line, access):
        assert line["request_id"] == request_id
        assert line["hospital"] == "TH001"
        assert line["user_id"] == hospital_page.pk
        assert {"time", "level", "logger", "message"} <= line.keys()
    assert page_line["level"] == "WARNING"
    assert page_line["message"] == "looked up 1 patients"
    assert access["method"] == "GET"
    assert access["path"] == "/h/TH001/probe/"
    assert access["status"] == 200
    assert access["view"] == "probe"
    assert isinstance(access["duration_ms"], float)
    assert access["time"].endswith("+00:00")


@pytest.mark.django_db
def test_no_query_string_and_no_patient_name_reaches_the_log(client, hospital_page, production_logs):
    buffer = production_logs("json")
    client.get("/h/TH001/probe/", {"q": PATIENT})
    client.get("/h/TH001/no-such-page/", {"q": PATIENT})  # Django logs "Not Found" with the request
    client.get("/h/NOPE01/probe/", {"name": "Khatun"})
    text = buffer.getvalue()
    assert "Khatun" not in text
    assert "Rahima" not in text
    assert "q=" not in text
    assert "WSGIRequest" not in text
    not_found = [line for line in _lines(buffer) if line["logger"] == "django.request"]
    assert not_found, "Django's own 404 line is expected"
    for line in not_found:
        assert line["request_id"]  # logged after the middleware returned, still the request's
        assert line["hospital"] in ("TH001", "NOPE01")


@pytest.mark.django_db
def test_a_trusted_proxys_request_id_is_kept_and_anyone_elses_replaced(client, settings, production_logs):
    settings.HMS_TRUSTED_PROXIES = ["10.0.0.5"]
    production_logs("json")
    from_proxy = client.get(
        "/login/",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        HTTP_X_REQUEST_ID="abc123-proxy",
    )
    assert from_proxy["X-Request-ID"] == "abc123-proxy"
    forged = client.get("/login/", REMOTE_ADDR="198.51.100.7", HTTP_X_REQUEST_ID="abc123-forged")
    assert forged["X-Request-ID"] != "abc123-forged"
    malformed = client.get("/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID='x" injected\n{')
    assert malformed["X-Request-ID"] != 'x" injected\n{'
    assert len(malformed["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_anonymous_requests_have_an_id_and_no_user(client, production_logs):
    buffer = production_logs("json")
    response = client.get("/login/")
    access = next(line for line in _lines(buffer) if line["logger"] == "hms.access")
    assert access["request_id"] == response["X-Request-ID"]
    assert access["user_id"] is None
    assert access["hospital"] is None
    assert access["view"] == "login"


@pytest.mark.django_db
def test_text_format_for_a_developers_terminal(client, hospital_page, production_logs):
    buffer = production_logs("text")
    response = client.get("/h/TH001/probe/")
    access = next(line for line in buffer.getvalue().splitlines() if " hms.access " in line)
    assert f"[{response['X-Request-ID']} TH001 {hospital_page.pk}] GET /h/TH001/probe/ 200" in access
    logging.getLogger("hms.ops.tests.outside").warning("no request here")
    assert "[- - -] no request here" in buffer.getvalue()


@pytest.mark.django_db
def test_a_command_inside_a_hospital_context_logs_the_hospital(make_hospital, production_logs):
    make_hospital("TH002")
    buffer = production_logs("json")
    with hospital_context("TH002"):
        logging.getLogger("hms.ops.tests.command").warning("migrating")
    line = _lines(buffer)[-1]
    assert line["hospital"] == "TH002"
    assert line["request_id"] is None


@pytest.mark.django_db
def test_health_probes_write_no_access_line(client, production_logs):
    buffer = production_logs("json")
    client.get("/healthz")
    assert not [line for line in _lines(buffer) if line["logger"] == "hms.access"]
