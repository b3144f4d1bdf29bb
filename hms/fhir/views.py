"""FHIR endpoints of one hospital: metadata, read, search, and create/update of Patient and
Appointment. Thin: parse, call one selector or service, render."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from hms.accounts.display import display_names
from hms.core.http import client_address
from hms.fhir import mappers, selectors, writes
from hms.fhir.capability import capability_statement
from hms.fhir.http import FhirError, body_json, fhir_response, fhir_view
from hms.fhir.resources import KINDS, PATIENT
from hms.fhir.search import page_token
from hms.tenancy.context import current_tenant
from hms.tenancy.http import HospitalRequest

WRITES = {
    "Patient": (writes.patient_create, writes.patient_replace),
    "Appointment": (writes.appointment_create, writes.appointment_replace),
}
# The hospital's own resources: its people, departments and itself (no patient data, not audited).
Reader = Callable[[HospitalRequest, str], dict[str, Any]]
Searcher = Callable[[HospitalRequest], selectors.SearchPage]
HOSPITAL_RESOURCES: dict[str, tuple[Reader, Searcher]] = {
    "Practitioner": (
        lambda request, pk: selectors.practitioner_read(user=request.user, resource_id=pk),
        lambda request: selectors.practitioner_search(user=request.user, query=request.GET),
    ),
    "PractitionerRole": (
        lambda request, pk: selectors.practitioner_role_read(
            user=request.user, hospital=request.hospital, resource_id=pk
        ),
        lambda request: selectors.practitioner_role_search(
            user=request.user, hospital=request.hospital, query=request.GET
        ),
    ),
    "Location": (
        lambda request, pk: selectors.location_read(
            user=request.user, hospital=request.hospital, resource_id=pk
        ),
        lambda request: selectors.location_search(
            user=request.user, hospital=request.hospital, query=request.GET
        ),
    ),
    "Organization": (
        lambda request, pk: selectors.organization_read(hospital=request.hospital, resource_id=pk),
        lambda request: selectors.organization_search(hospital=request.hospital, query=request.GET),
    ),
}
SUPPORTED = (*KINDS, *HOSPITAL_RESOURCES)


def base_url(request: HttpRequest, hospital_code: str) -> str:
    return request.build_absolute_uri(f"/fhir/{hospital_code}")


@fhir_view("GET")
def metadata(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """The CapabilityStatement: no sign-in needed (the hospital middleware lets it through)."""
    published = timezone.now().date().isoformat()
    return fhir_response(capability_statement(base_url(request, hospital_code), published))


def _unsupported(resource_type: str) -> FhirError:
    return FhirError(
        404,
        "not-supported",
        f"{resource_type} is not served here; see metadata for what is: {', '.join(SUPPORTED)}.",
    )


@fhir_view("GET", "POST")
def resource_type(request: HospitalRequest, hospital_code: str, resource_type: str) -> HttpResponse:
    if resource_type not in SUPPORTED:
        raise _unsupported(resource_type)
    if request.method == "POST":
        return _create(request, hospital_code, resource_type)
    if resource_type in HOSPITAL_RESOURCES:
        page = HOSPITAL_RESOURCES[resource_type][1](request)
    else:
        page = selectors.resource_search(
            kind=KINDS[resource_type],
            query=request.GET,
            user=request.user,
            client_address=client_address(request),
        )
    return fhir_response(_bundle(request, hospital_code, page))


@fhir_view("GET", "PUT")
def resource_instance(
    request: HospitalRequest, hospital_code: str, resource_type: str, resource_id: str
) -> HttpResponse:
    if resource_type not in SUPPORTED:
        raise _unsupported(resource_type)
    if request.method == "PUT":
        if resource_type not in WRITES:
            raise FhirError(
                405, "not-supported", f"{resource_type} is read-only here.", headers={"Allow": "GET, HEAD"}
            )
        _create_one, replace = WRITES[resource_type]
        row = replace(
            user=request.user,
            resource_id=resource_id,
            body=body_json(request),
            client_address=client_address(request),
        )
        return fhir_response(_written(row, resource_type))
    if resource_type in HOSPITAL_RESOURCES:
        return fhir_response(HOSPITAL_RESOURCES[resource_type][0](request, resource_id))
    found = selectors.resource_read(
        kind=KINDS[resource_type],
        resource_id=resource_id,
        user=request.user,
        client_address=client_address(request),
    )
    return fhir_response(found.resource)


def _written(row: Any, resource_type: str) -> dict[str, Any]:
    """What a create or update stored, as the resource (the write's own audit row covers it)."""
    row.refresh_from_db()
    table = KINDS[resource_type].tables[0]
    return table.to_fhir(row, mappers.Context(current_tenant().code, display_names(table.people_of(row))))


def _create(request: HospitalRequest, hospital_code: str, resource_type: str) -> HttpResponse:
    if resource_type not in WRITES:
        raise FhirError(
            405, "not-supported", f"{resource_type} is read-only here.", headers={"Allow": "GET, HEAD"}
        )
    body = body_json(request)
    create, _replace = WRITES[resource_type]
    condition = request.META.get("HTTP_IF_NONE_EXIST")
    if condition is not None:
        if resource_type != "Patient":
            raise FhirError(400, "not-supported", "Conditional create is supported for Patient only.")
        existing = selectors.resource_search(
            kind=PATIENT,
            query=QueryDict(condition.lstrip("?") + "&_count=2"),
            user=request.user,
            client_address=client_address(request),
        )
        if existing.total > 1:
            raise FhirError(
                412, "multiple-matches", f"{existing.total} patients match If-None-Exist: {condition}."
            )
        if existing.total == 1:
            return fhir_response(existing.resources[0], 200)
    row = create(user=request.user, body=body, client_address=client_address(request))
    location = f"{base_url(request, hospital_code)}/{resource_type}/{row.pk}"
    return fhir_response(_written(row, resource_type), 201, headers={"Location": location})


def _bundle(request: HttpRequest, hospital_code: str, page: selectors.SearchPage) -> dict[str, Any]:
    base = base_url(request, hospital_code)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if page.count and page.offset + page.count < page.total:
        following = request.GET.copy()
        following["_page_token"] = page_token(page.offset + page.count)
        links.append(
            {"relation": "next", "url": f"{request.build_absolute_uri(request.path)}?{following.urlencode()}"}
        )

    def entry(resource: dict[str, Any], mode: str) -> dict[str, Any]:
        return {
            "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
    }
    entries = [entry(r, "match") for r in page.resources] + [entry(r, "include") for r in page.included]
    if entries:  # FHIR's JSON has no empty arrays
        bundle["entry"] = entries
    return bundle
