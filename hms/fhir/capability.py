"""The CapabilityStatement of /fhir/<CODE>/metadata, written from the resource table
(hms.fhir.resources) so it lists exactly what is served."""

from typing import Any

from hms.fhir.http import FHIR_VERSION
from hms.fhir.resources import KINDS

SOFTWARE_VERSION = "0.1.0"
OTHER_TYPES = {
    "Practitioner": {
        "_id": ("token", "The user's id."),
        "name": ("string", "The start of the given or family name."),
        "identifier": ("token", "The licence number (urn:hms:<CODE>:licence)."),
    },
    "PractitionerRole": {
        "_id": ("token", "The staff member's id."),
        "practitioner": ("reference", "The person (Practitioner/<id>)."),
        "specialty": ("token", "The specialty, as written."),
        "active": ("token", "true | false."),
    },
    "Location": {
        "_id": ("token", "The department's id."),
        "name": ("string", "The start of the department's name."),
        "identifier": ("token", "The department's code (urn:hms:<CODE>:department)."),
        "status": ("token", "active | inactive."),
    },
    "Organization": {
        "_id": ("token", "The hospital's id."),
        "identifier": ("token", "The hospital's code (urn:hms:hospital)."),
        "name": ("string", "The start of the hospital's name."),
    },
}


def _param(name: str, kind: str, documentation: str) -> dict[str, str]:
    described = {"name": name, "type": kind}
    if documentation:
        described["documentation"] = documentation
    return described


def capability_statement(base_url: str, published: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for kind in KINDS.values():
        params: dict[str, dict[str, str]] = {}
        for table in kind.tables:
            for name, param in table.params.items():
                params.setdefault(name, _param(name, param.type, param.documentation))
        described: dict[str, Any] = {
            "type": kind.name,
            "interaction": [{"code": code} for code in kind.interactions],
            "searchParam": list(params.values()),
        }
        if kind.includes:
            described["searchInclude"] = list(kind.includes)
        if kind.profile:
            described["supportedProfile"] = [kind.profile]
        if "create" in kind.interactions:
            described["conditionalCreate"] = kind.name == "Patient"
            described["updateCreate"] = False
        resources.append(described)
    for name, other in OTHER_TYPES.items():
        resources.append(
            {
                "type": name,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [_param(p, type_, doc) for p, (type_, doc) in other.items()],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "kind": "instance",
        "software": {"name": "HMS", "version": SOFTWARE_VERSION},
        "implementation": {"description": "One hospital's FHIR endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": "A bearer token from POST /api/v1/auth/token "
                    "(Authorization: Bearer <token>); a user reaches only their own hospital.",
                },
                "resource": resources,
            }
        ],
    }
