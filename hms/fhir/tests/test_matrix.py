"""Every role through every FHIR resource type, read and search, against the permission matrix:
the FHIR namespace's own authorization walk (the page walk leaves it out)."""

import pytest

from hms.accounts.permissions import Action, Resource, permission_scope
from hms.fhir.resources import KINDS
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"
ROLES = ("admin", "doctor", "doctor2", "nurse", "receptionist", "patient")


def _instance(world, kind_name):
    return {
        "Patient": str(world.patient.pk),
        "Encounter": str(world.encounter.pk),
        "Observation": f"vital-{world.vital.pk}",
        "Condition": str(world.diagnosis.pk),
        "AllergyIntolerance": str(world.allergy.pk),
        "MedicationRequest": str(world.prescription.pk),
        "Appointment": str(world.appointment.pk),
        "DiagnosticReport": str(world.lab.order_id),
        "ServiceRequest": str(world.lab.order_id),
    }[kind_name]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_and_searches_as_the_matrix_says(world, role):
    client = world.client(role)
    user = world.users[role]
    for name, kind in KINDS.items():
        with hospital_context("RGH001"):
            scopes = [
                permission_scope(user=user, resource=t.resource, action=Action.VIEW) for t in kind.tables
            ]
        search = client.get(f"{BASE}/{name}", {} if name == "Patient" else {"patient": world.patient.pk})
        read = client.get(f"{BASE}/{name}/{_instance(world, name)}")
        if not any(scopes):
            assert (search.status_code, read.status_code) == (403, 403), (role, name)
            continue
        assert search.status_code == 200, (role, name)
        # In scope: the doctor (an encounter with the patient), the nurse, the patient themselves;
        # out of it (the second doctor, for care-scoped records) the record reads as missing.
        in_scope = scopes[0] is not None and (scopes[0] != "care" or role == "doctor")
        assert read.status_code == (200 if in_scope else 404), (role, name, scopes)
        assert (search.json()["total"] > 0) == in_scope, (role, name)
    with hospital_context("RGH001"):
        staff = permission_scope(user=user, resource=Resource.STAFF, action=Action.VIEW) is not None
    assert client.get(f"{BASE}/Practitioner").status_code == (200 if staff else 403)
    assert client.get(f"{BASE}/Organization/rgh001").status_code == 200
