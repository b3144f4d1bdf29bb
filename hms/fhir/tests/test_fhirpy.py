"""A third-party FHIR client (fhirpy's SyncFHIRClient) reads, searches, pages and creates against
the running server, as an outside system would."""

import os

import pytest
from fhirpy import SyncFHIRClient

from hms.fhir.tests.conftest import fhir_valid, token_of


@pytest.fixture
def fhir_client(world, live_server):
    # fhirpy's sync client is plain blocking HTTP; the live server's thread does the ORM work.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    def make(name):
        return SyncFHIRClient(
            f"{live_server.url}/fhir/RGH001",
            authorization=f"Bearer {token_of(world.users[name])}",
            extra_headers={"Accept": "application/fhir+json"},
        )

    return make


def test_fhirpy_reads_searches_pages_and_creates(world, fhir_client):
    client = fhir_client("doctor")
    patient = client.reference("Patient", str(world.patient.pk)).to_resource()
    assert patient["name"][0]["family"] == "Okafor"
    fhir_valid(patient.serialize())
    found = client.resources("Patient").search(name="amina").fetch()
    assert [p["id"] for p in found] == [str(world.patient.pk)]
    everyone = client.resources("Patient").limit(1).fetch_all()  # follows the `next` links
    assert sorted(p["id"] for p in everyone) == sorted([str(world.patient.pk), str(world.stranger.pk)])
    vitals = (
        client.resources("Observation").search(patient=str(world.patient.pk), category="vital-signs").fetch()
    )
    assert {o["code"]["coding"][0]["system"] for o in vitals} == {"http://loinc.org"}
    for observation in vitals:
        fhir_valid(observation.serialize())

    desk = fhir_client("receptionist")
    created = desk.resource(
        "Patient",
        name=[{"family": "Begum", "given": ["Nasrin"]}],
        gender="female",
        birthDate="1979-03-01",
    )
    created.save()
    assert created["id"]
    assert desk.resources("Patient").search(_id=created["id"]).fetch()[0]["name"][0]["family"] == "Begum"


def test_fhirpy_sees_refusals_as_errors(world, fhir_client):
    from fhirpy.base.exceptions import ForbiddenError, ResourceNotFound

    desk = fhir_client("receptionist")
    with pytest.raises(ForbiddenError):
        desk.resources("Observation").search(patient=str(world.patient.pk)).fetch()
    with pytest.raises(ResourceNotFound):
        desk.reference("Patient", "999999").to_resource()
