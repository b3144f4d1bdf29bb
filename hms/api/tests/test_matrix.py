"""Every role gets through the API what the permission matrix gives it on the pages; one hospital's
tokens read nothing of another's; reads write the pages' audit rows.

The table names each endpoint with the matrix's resource and action: the expected answer is
worked out from the matrix itself (hms.accounts.permissions.MATRIX), so a change of the matrix
changes what this test expects, as it does for the page walk.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from hms.accounts.models import Role
from hms.accounts.permissions import MATRIX, Action, Resource, Scope
from hms.accounts.tests.factories import UserFactory
from hms.api.tests.conftest import ApiClient, token_for
from hms.audit.models import AuditEvent
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory, PatientIdentifierFactory
from hms.security.models import SecurityEvent
from hms.staff.tests.factories import DepartmentFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT, Role.SUPERADMIN]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {code}, {patient} (a patient of the hospital), {own} (the PATIENT user's record)
    resource: Resource | None  # None: the platform operator's
    action: Action
    kind: str  # "list" (200, empty unless ALL), "create" (201), "record" (200 / 404 for OWN, CARE),
    # "own" (the PATIENT user's record: 200 / 404 for CARE), "plain"
    body: dict | None = None


ENDPOINTS = [
    Endpoint("patients list", "get", "patients", Resource.PATIENT, Action.VIEW, "list"),
    Endpoint("patients search", "get", "patients?q=Zed", Resource.PATIENT, Action.VIEW, "list"),
    Endpoint(
        "patient register",
        "post",
        "patients",
        Resource.PATIENT,
        Action.CREATE,
        "create",
        {"given_name": "New", "family_name": "Person{n}", "birth_date": "1990-0{m}-1{m}"},
    ),
    Endpoint("patient read", "get", "patients/{patient}", Resource.PATIENT, Action.VIEW, "record"),
    Endpoint(
        "patient update",
        "patch",
        "patients/{patient}",
        Resource.PATIENT,
        Action.UPDATE,
        "plain",
        {"phone": "555"},
    ),
    Endpoint("identifiers", "get", "patients/{patient}/identifiers", Resource.PATIENT, Action.VIEW, "record"),
    Endpoint(
        "identifier add",
        "post",
        "patients/{patient}/identifiers",
        Resource.PATIENT,
        Action.UPDATE,
        "create",
        {"system": "PASSPORT", "value": "P-{n}"},
    ),
    Endpoint("staff", "get", "staff", Resource.STAFF, Action.VIEW, "plain"),
    Endpoint("departments", "get", "departments", Resource.STAFF, Action.VIEW, "plain"),
    Endpoint("audit log", "get", "audit-events?action=patient.", Resource.AUDIT_LOG, Action.VIEW, "plain"),
    Endpoint("critical alerts", "get", "critical-alerts", Resource.CRITICAL_ALERT, Action.VIEW, "plain"),
    Endpoint("hospitals", "get", "/api/v1/hospitals/", None, Action.VIEW, "plain"),
    # The clinical resources: {patient} is in nobody's care (CARE answers 404, as for OWN).
    Endpoint("appointments", "get", "appointments", Resource.APPOINTMENT, Action.VIEW, "plain"),
    *(
        endpoint
        for name, path, resource in (
            ("encounters", "encounters", Resource.ENCOUNTER),
            ("allergies", "allergies", Resource.ALLERGY),
            ("allergy status", "no-known-allergies", Resource.ALLERGY),
            ("problems", "problems", Resource.DIAGNOSIS),
            ("prescriptions", "prescriptions", Resource.PRESCRIPTION),
            ("lab orders", "lab-orders", Resource.LAB_ORDER),
            ("invoices", "invoices", Resource.INVOICE),
        )
        for endpoint in (
            Endpoint(name, "get", f"patients/{{patient}}/{path}", resource, Action.VIEW, "record"),
            Endpoint(f"own {name}", "get", f"patients/{{own}}/{path}", resource, Action.VIEW, "own"),
        )
    ),
    Endpoint(
        "encounter start",
        "post",
        "patients/{patient}/encounters",
        Resource.ENCOUNTER,
        Action.CREATE,
        "create",
        {},
    ),
    Endpoint(
        "no known allergies",
        "post",
        "patients/{patient}/no-known-allergies",
        Resource.ALLERGY,
        Action.CREATE,
        "create",
        {},  # before the allergy below: an active allergy refuses it
    ),
    Endpoint(
        "allergy record",
        "post",
        "patients/{patient}/allergies",
        Resource.ALLERGY,
        Action.CREATE,
        "create",
        {"substance": "Latex {n}", "category": "environment", "severity": "mild"},
    ),
    Endpoint(
        "problem add",
        "post",
        "patients/{patient}/problems",
        Resource.DIAGNOSIS,
        Action.CREATE,
        "create",
        {"code": "I10"},
    ),
]


def _expected(endpoint: Endpoint, role: Role) -> int:
    if endpoint.resource is None:
        return 200 if role == Role.SUPERADMIN else 403
    scope = MATRIX.get(role, {}).get((endpoint.resource, endpoint.action))
    if endpoint.kind == "list":
        return 200  # as the page: a list nobody may read is empty, not refused
    if scope is None:
        return 403
    if endpoint.kind == "own":
        return 404 if scope == Scope.CARE else 200  # the PATIENT user's record is in nobody's care
    if endpoint.kind in ("record", "create") and scope in (Scope.OWN, Scope.CARE):
        return 404  # another patient's record, or one outside the doctor's care: as a missing one
    return 201 if endpoint.kind == "create" else 200


@pytest.fixture
def world(make_hospital):
    one, two = make_hospital("MX001"), make_hospital("MX002")
    users = {role: UserFactory(username=f"{role.lower()}1", role=role, hospital=one) for role in ROLES[:-1]}
    users[Role.SUPERADMIN] = UserFactory(username="operator", role=Role.SUPERADMIN, hospital=None)
    stranger = UserFactory(username="stranger", role=Role.ADMIN, hospital=two)
    with hospital_context("MX001"):
        patient = PatientFactory(given_name="Zed", family_name="Zulu")
        PatientIdentifierFactory(patient=patient)
        own = PatientFactory(user_id=users[Role.PATIENT].pk)
        DepartmentFactory()
    with hospital_context("MX002"):
        foreign = PatientFactory(given_name="Zed", family_name="Zulu")
    return {"users": users, "stranger": stranger, "patient": patient, "own": own, "foreign": foreign}


def _address(endpoint: Endpoint, code: str, patient: int, own: int, n: int) -> str:
    path = endpoint.path.format(patient=patient, own=own)
    return path if path.startswith("/") else f"/api/v1/hospitals/{code}/{path}"


def _call(client: ApiClient, endpoint: Endpoint, address: str, n: int):
    body = None
    if endpoint.body is not None:
        body = {k: v.format(n=n, m=n % 9 + 1) if isinstance(v, str) else v for k, v in endpoint.body.items()}
    return getattr(client, endpoint.method)(address, body, content_type="application/json")


def test_every_role_gets_what_the_matrix_gives_it(world):
    wrong = []
    n = 0
    for role in ROLES:
        client = ApiClient(token_for(Client(), world["users"][role].username))
        for endpoint in ENDPOINTS:
            n += 1
            address = _address(endpoint, "MX001", world["patient"].pk, world["own"].pk, n)
            response = _call(client, endpoint, address, n)
            expected = _expected(endpoint, role)
            if response.status_code != expected:
                wrong.append(f"{role} {endpoint.name}: {response.status_code}, expected {expected}")
            elif response.status_code >= 400:
                assert response["Content-Type"] == "application/problem+json"
            if endpoint.kind == "list" and response.status_code == 200:
                scope = MATRIX.get(role, {}).get((endpoint.resource, endpoint.action))
                found = bool(response.json()["results"])
                if found != (scope == Scope.ALL):
                    wrong.append(f"{role} {endpoint.name}: results {'shown' if found else 'empty'}")
    assert not wrong


def test_a_patient_reads_their_own_record_and_nobody_elses(world):
    client = ApiClient(token_for(Client(), "patient1"))
    assert client.get(f"/api/v1/hospitals/MX001/patients/{world['own'].pk}").status_code == 200
    assert client.get(f"/api/v1/hospitals/MX001/patients/{world['patient'].pk}").status_code == 404


def test_another_hospitals_token_reads_nothing_and_looks_like_nothing_exists(world):
    client = ApiClient(token_for(Client(), "stranger"))
    foreign = client.get("/api/v1/hospitals/MX001/patients")
    unknown = client.get("/api/v1/hospitals/NOSUCH1/patients")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    for endpoint in ENDPOINTS:
        if endpoint.resource is None:
            continue
        response = _call(
            client, endpoint, _address(endpoint, "MX001", world["patient"].pk, world["own"].pk, 1), 1
        )
        assert response.status_code == 404, endpoint.name
        assert b"Zulu" not in response.content
    assert SecurityEvent.objects.filter(kind="foreign_hospital", username="stranger").exists()
    # Its own hospital's address with the other hospital's record id: the same 404 as a missing one.
    mine = client.get(f"/api/v1/hospitals/MX002/patients/{world['patient'].pk + 1000}")
    theirs = client.get(f"/api/v1/hospitals/MX002/patients/{world['own'].pk}")
    if world["own"].pk != world["foreign"].pk:
        assert theirs.status_code == mine.status_code == 404
        assert theirs.json() == mine.json()


def test_reads_write_the_pages_audit_rows(world):
    client = ApiClient(token_for(Client(), "doctor1"))
    patient = world["patient"]
    client.get(f"/api/v1/hospitals/MX001/patients/{patient.pk}")
    client.get("/api/v1/hospitals/MX001/patients?q=zed")
    client.get("/api/v1/hospitals/MX001/patients")
    with hospital_context("MX001"):
        events = list(AuditEvent.objects.order_by("id").values_list("action", "patient_id", "actor_username"))
    assert ("patient.view", patient.pk, "doctor1") in events
    assert any(action == "patient.search" for action, _, _ in events)
    assert any(action == "patient.list" for action, _, _ in events)


def test_a_refusal_is_audited_as_denied(world):
    client = ApiClient(token_for(Client(), "nurse1"))
    assert (
        client.patch(
            f"/api/v1/hospitals/MX001/patients/{world['patient'].pk}",
            {"phone": "1"},
            content_type="application/json",
        ).status_code
        == 403
    )
    with hospital_context("MX001"):
        assert AuditEvent.objects.filter(outcome="denied", actor_username="nurse1").exists()
        assert Patient.objects.get(pk=world["patient"].pk).phone != "1"


def test_a_patient_update_reads_the_record_once(world):
    """One PATCH: one audited read of the record and one update row, and the answer shows the
    record as saved with its identifiers."""
    client = ApiClient(token_for(Client(), "receptionist1"))
    patient = world["patient"]
    with hospital_context("MX001"):
        before = AuditEvent.objects.count()
    response = client.patch(
        f"/api/v1/hospitals/MX001/patients/{patient.pk}",
        {"phone": " 555-0100 ", "family_name": "Zulu-Smith"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["phone"], body["family_name"], body["given_name"]) == ("555-0100", "Zulu-Smith", "Zed")
    assert len(body["identifiers"]) == 1
    with hospital_context("MX001"):
        rows = list(AuditEvent.objects.order_by("id")[before:].values_list("action", "patient_id"))
    assert rows == [("patient.view", patient.pk), ("patient.update", patient.pk)]
