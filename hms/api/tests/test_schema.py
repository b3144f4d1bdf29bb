"""The OpenAPI schema: generated without a warning, and the API keeps to it.

The property-based run (schemathesis) sends generated requests to every operation as each
role, with a token of that role, and checks every answer: never a 5xx, a status the schema
declares, the declared content type and a body that matches its schema. Examples per
operation are bounded (EXAMPLES) so each role's run takes well under a minute.
"""

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.api.tests.conftest import token_for
from hms.patients.tests.factories import PatientFactory, PatientIdentifierFactory
from hms.staff.tests.factories import DepartmentFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Provisioning makes a real database per hospital: test_platform.py covers it with chosen data.
NOT_GENERATED = {"hospitals_create"}
# Operations whose answers this run found not to match their schema, until they are fixed: only
# "never a 5xx" is checked for them. Each is a bug: remove it from here with the fix.
SCHEMA_MISMATCH: set[str] = set()


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "Problem:" in text
    assert "bearerAuth" in text


def test_the_docs_page_serves_swagger_ui_from_our_own_files(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<style" not in body and "<script>" not in body
    assert "cdn" not in body.lower()
    assert "swagger-ui-bundle.js" in body
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200


@contextmanager
def connections_kept():
    """As Django's test client does: the test's transaction outlives each request (the WSGI
    handler would otherwise close the connections it runs in at the end of every request).
    Django's client connects the handler again after each of its requests: enter this after."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT, Role.SUPERADMIN]
)
def test_every_operation_keeps_to_the_schema(make_hospital, role):
    hospital = make_hospital("ST001")
    user = UserFactory(username="walker", role=role, hospital=None if role == Role.SUPERADMIN else hospital)
    with hospital_context("ST001"):
        patient = PatientFactory(user_id=user.pk if role == Role.PATIENT else None)
        PatientIdentifierFactory(patient=patient)
        PatientFactory.create_batch(3)
        DepartmentFactory()
    token = token_for(Client(), "walker")
    with connections_kept():
        failures = _walk(token, patient.pk)
    assert not failures, "\n\n".join(failures)


def _walk(token: str, patient_id: int) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operation_id = operation.definition.raw.get("operationId")
        if operation_id in NOT_GENERATED:
            continue
        checks = [not_a_server_error] if operation_id in SCHEMA_MISMATCH else CHECKS
        try:
            _operation_run(operation, checks, headers, patient_id)
        except Exception as failure:  # noqa: BLE001 - collected: one run reports every failing operation
            failures.append(f"{operation.label}: {failure}")
    return failures


def _operation_run(operation, checks, headers, patient_id):
    """EXAMPLES generated requests to one operation, in the walker's hospital; every answer checked."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if "hospital_code" in (case.path_parameters or {}):
            case.path_parameters["hospital_code"] = "ST001"
        if "patient_id" in (case.path_parameters or {}) and case.path_parameters["patient_id"] % 2:
            case.path_parameters["patient_id"] = patient_id  # half the requests name a real patient
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    run()
