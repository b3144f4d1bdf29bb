"""FHIR reads: one resource, or one page of a search, within the user's rights and audited as the
pages' reads are.

Every read asks the permission matrix first (a role that may never see a kind of record gets
403), then the record-access functions (hms.care.access): a record outside the user's care, or
another patient's for a patient, answers 404 exactly as a missing one, and break-the-glass
opens it as it opens the pages. Each read writes its audit row in the read's transaction: a
read names its record and patient; a search names the rows and the patients it returned.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import CharField, F, Q, QuerySet
from django.http import QueryDict

from hms.accounts.display import display_names
from hms.accounts.models import STAFF_ROLES, User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.audit.records import audit_row
from hms.care.access import patient_access, patient_scope_filter
from hms.core.exceptions import NotFound
from hms.core.ids import record_id
from hms.fhir import mappers
from hms.fhir.http import bad_request
from hms.fhir.resources import PATIENT, Kind, Table
from hms.fhir.search import (
    count_of,
    offset_of,
    references_filter,
    subqueries_first,
    token,
    tokens_filter,
    unknown_parameters,
    values_of,
)
from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.patients.selectors import _SameOrderNoIndex, patient_detail
from hms.staff.models import Department, StaffMember
from hms.tenancy.context import current_tenant

NOT_FOUND = "No such {} here."


@dataclass(frozen=True)
class Found:
    """One resource read: the row, its table, and the FHIR resource made of it."""

    row: Any
    resource: dict[str, Any]


@dataclass(frozen=True)
class SearchPage:
    resources: list[dict[str, Any]]
    included: list[dict[str, Any]]
    total: int
    offset: int
    count: int


def _context(rows: list[tuple[Table, Any]]) -> mappers.Context:
    people = {pk for table, row in rows for pk in table.people_of(row)}
    return mappers.Context(current_tenant().code, display_names(people))


def _some_visible(kind: Kind, user: User) -> list[Table]:
    """The tables of `kind` the user's role may see; NotAllowed (403) if none."""
    tables = [t for t in kind.tables if permission_scope(user=user, resource=t.resource, action=Action.VIEW)]
    if not tables:
        permission_require(user=user, resource=kind.tables[0].resource, action=Action.VIEW)
    return tables


def _table_of(kind: Kind, resource_id: str) -> tuple[Table, int]:
    """The table and row id a resource id names; NotFound for ids this server never gives."""
    for table in sorted(kind.tables, key=lambda t: -len(t.prefix)):
        if resource_id.startswith(table.prefix):
            pk = record_id(resource_id[len(table.prefix) :])
            if pk is not None:
                return table, pk
    raise NotFound(NOT_FOUND.format(kind.name))


def resource_read(*, kind: Kind, resource_id: str, user: User, client_address: str | None = None) -> Found:
    """One resource the user may see; audited as the record's page is."""
    if kind is PATIENT:
        pk = record_id(resource_id)
        if pk is None:
            permission_require(user=user, resource=Resource.PATIENT, action=Action.VIEW)
            raise NotFound(NOT_FOUND.format("patient"))
        patient = patient_detail(user=user, patient_id=pk, client_address=client_address)
        return Found(patient, mappers.patient_resource(patient, mappers.Context(current_tenant().code)))
    _some_visible(kind, user)  # a role that may see none of it is refused before anything is read
    table, pk = _table_of(kind, resource_id)
    permission_require(user=user, resource=table.resource, action=Action.VIEW)
    with transaction.atomic(using=current_tenant().alias):
        row = table.rows(user).filter(pk=pk).first()
        if row is None:
            raise NotFound(NOT_FOUND.format(kind.name))
        try:
            patient = patient_access(
                user=user, patient_id=table.patient_of(row).pk, resource=table.resource, action=Action.VIEW
            )
        except NotFound:
            raise NotFound(NOT_FOUND.format(kind.name)) from None
        audit_row(
            user,
            table.view_action,
            patient,
            client_address,
            resource=table.model.__name__,
            **{f"{table.model._meta.model_name}_id": row.pk},
            interface="fhir",
        )
    return Found(row, table.to_fhir(row, _context([(table, row)])))


def _search_parameters(kind: Kind, query: QueryDict) -> list[tuple[str, str]]:
    params = kind.params()
    names = list(query.keys())
    modified = sorted(name for name in names if ":" in name)
    if modified:
        raise bad_request(f"Search modifiers are not supported: {', '.join(modified)}.")
    unknown = unknown_parameters(names, params)
    if unknown:
        supported = ", ".join(sorted(params))
        raise bad_request(
            f"Unknown search parameter(s) for {kind.name}: {', '.join(unknown)}. Supported: {supported}."
        )
    for value in query.getlist("_include"):
        if value not in kind.includes:
            raise bad_request(
                f"_include={value} is not supported for {kind.name}"
                + (f"; use {' or '.join(kind.includes)}." if kind.includes else ".")
            )
    return [(name, value) for name in names if name in params for value in query.getlist(name)]


def _in_order(table: Table, rows: QuerySet[Any]) -> QuerySet[Any]:
    """`rows` in the table's order, a text column first in it (a patient's family name) sorted
    through an expression no index supplies: the same values and collation, so the same order.

    Ordered by the bare column, PostgreSQL may answer "the first 25 matches in name order" by
    walking the (family_name, given_name, id) index and filtering, betting that matches are
    spread evenly along it; those of a name prefix sit together, so for Patient?name=Jon it
    read 83,000 rows at 100,000 patients (160 ms; bench/fhir_search.py). The pages' patient
    search meets this the same way (hms.patients.selectors).
    """
    first, *rest = table.order
    name = first.removeprefix("-")
    if not isinstance(table.model._meta.get_field(name), CharField):
        return rows.order_by(*table.order)
    key = _SameOrderNoIndex(F(name))
    return rows.order_by(key.desc() if first.startswith("-") else key.asc(), *rest)


def resource_search(
    *, kind: Kind, query: QueryDict, user: User, client_address: str | None = None
) -> SearchPage:
    """One page of `kind`'s rows matching `query`, within the user's scope; one audit row naming
    them and their patients."""
    wanted = _search_parameters(kind, query)
    count, offset = count_of(query.get("_count")), offset_of(query.get("_page_token"))
    tables = _some_visible(kind, user)
    querysets = []
    for table in tables:
        queryset = table.rows(user).filter(
            patient_scope_filter(
                user=user, resource=table.resource, action=Action.VIEW, field=table.patient_path
            )
        )
        for name, value in wanted:
            queryset = queryset.filter(subqueries_first(table.params[name].filter(value)))
        querysets.append((table, _in_order(table, queryset)))
    with transaction.atomic(using=current_tenant().alias):
        listed: list[tuple[Table, Any]] = []
        total, start = 0, offset
        for table, queryset in querysets:
            size = queryset.count()
            total += size
            if start < size and len(listed) < count:
                listed += [(table, row) for row in queryset[start : start + count - len(listed)]]
            start = max(0, start - size)
        patients = {table.patient_of(row).pk: table.patient_of(row) for table, row in listed}
        included: list[Patient] = []
        if query.getlist("_include") and patients:
            scope = patient_scope_filter(user=user, resource=Resource.PATIENT, action=Action.VIEW, field="pk")
            included = list(
                Patient.objects.filter(scope, pk__in=list(patients)).prefetch_related(
                    "identifiers", "next_of_kin"
                )
            )
        about = next(iter(patients.values())) if len(patients) == 1 else kind.tables[0].model
        audit_row(
            user,
            kind.search_action,
            about,
            client_address,
            resource=kind.tables[0].model.__name__,
            ids=[f"{table.prefix}{row.pk}" for table, row in listed],
            patient_ids=sorted(patients),
            query=query.urlencode(),
            interface="fhir",
        )
    context = _context(listed)
    return SearchPage(
        resources=[table.to_fhir(row, context) for table, row in listed],
        included=[mappers.patient_resource(patient, context) for patient in included],
        total=total,
        offset=offset,
        count=count,
    )


# --- the hospital's people and the hospital itself (no patient data: not audited) ---------


def _staff(user: User) -> Any:
    permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
    return User.objects.filter(hospital__code=current_tenant().code, role__in=STAFF_ROLES).order_by(
        "last_name", "first_name", "id"
    )


def practitioner_read(*, user: User, resource_id: str) -> dict[str, Any]:
    pk = record_id(resource_id)
    person = _staff(user).filter(pk=pk).first() if pk is not None else None
    if person is None:
        raise NotFound(NOT_FOUND.format("practitioner"))
    return _practitioners([person])[0]


def _practitioners(people: list[User]) -> list[dict[str, Any]]:
    licences = dict(
        StaffMember.objects.filter(user_id__in=[p.pk for p in people]).values_list(
            "user_id", "licence_number"
        )
    )
    context = mappers.Context(current_tenant().code, display_names(p.pk for p in people))
    return [mappers.practitioner_resource(p, context, licences.get(p.pk, "")) for p in people]


def practitioner_search(*, user: User, query: QueryDict) -> SearchPage:
    known = {"_id", "name", "identifier"}
    unknown = unknown_parameters(query.keys(), known)
    if unknown or any(":" in name for name in query) or query.getlist("_include"):
        raise bad_request(f"Practitioner is searched by {', '.join(sorted(known))} only.")
    people = _staff(user)
    for value in query.getlist("_id"):
        people = people.filter(pk__in=[record_id(v) or 0 for v in values_of(value)])
    for value in query.getlist("name"):
        condition = Q(pk__in=[])
        for part in values_of(value):
            condition |= Q(first_name__istartswith=part) | Q(last_name__istartswith=part)
        people = people.filter(condition)
    system = mappers.licence_system(current_tenant().code)

    def licence(item: Any) -> Q:
        if item.system not in (None, system) or not item.code:
            return Q(pk__in=[])
        return Q(licence_number=item.code)

    for value in query.getlist("identifier"):
        holders = StaffMember.objects.filter(tokens_filter(value, licence)).values_list("user_id", flat=True)
        people = people.filter(pk__in=list(holders))
    count, offset = count_of(query.get("_count")), offset_of(query.get("_page_token"))
    total = people.count()
    return SearchPage(_practitioners(list(people[offset : offset + count])), [], total, offset, count)


def _search_of(query: QueryDict, known: set[str], kind: str) -> tuple[int, int]:
    """The page asked for (`_count`, the cursor), once the query names only `known` parameters."""
    if (
        unknown_parameters(query.keys(), known)
        or any(":" in name for name in query)
        or query.getlist("_include")
    ):
        raise bad_request(f"{kind} is searched by {', '.join(sorted(known))} only.")
    return count_of(query.get("_count")), offset_of(query.get("_page_token"))


def _members(user: User) -> Any:
    permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
    return StaffMember.objects.select_related("department").order_by("id")


def _roles(members: list[StaffMember], hospital: Hospital) -> list[dict[str, Any]]:
    context = mappers.Context(hospital.code, display_names(m.user_id for m in members))
    return [mappers.practitioner_role_resource(m, context, hospital) for m in members]


def practitioner_role_read(*, user: User, hospital: Hospital, resource_id: str) -> dict[str, Any]:
    pk = record_id(resource_id)
    member = _members(user).filter(pk=pk).first() if pk is not None else None
    if member is None:
        raise NotFound(NOT_FOUND.format("practitioner role"))
    return _roles([member], hospital)[0]


def practitioner_role_search(*, user: User, hospital: Hospital, query: QueryDict) -> SearchPage:
    count, offset = _search_of(query, {"_id", "practitioner", "specialty", "active"}, "PractitionerRole")
    members = _members(user)
    for value in query.getlist("_id"):
        members = members.filter(pk__in=[record_id(v) or 0 for v in values_of(value)])
    for value in query.getlist("practitioner"):
        members = members.filter(references_filter(value, "Practitioner", "user_id"))
    for value in query.getlist("specialty"):
        condition = Q(pk__in=[])
        for item in (token(v) for v in values_of(value)):
            condition |= Q(specialty__iexact=item.code)
        members = members.filter(condition)
    for value in query.getlist("active"):
        if value not in ("true", "false"):
            raise bad_request("active is true or false.")
        members = members.filter(is_active=value == "true")
    total = members.count()
    return SearchPage(_roles(list(members[offset : offset + count]), hospital), [], total, offset, count)


def location_read(*, user: User, hospital: Hospital, resource_id: str) -> dict[str, Any]:
    permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
    pk = record_id(resource_id)
    department = Department.objects.filter(pk=pk).first() if pk is not None else None
    if department is None:
        raise NotFound(NOT_FOUND.format("location"))
    return mappers.location_resource(department, hospital)


def location_search(*, user: User, hospital: Hospital, query: QueryDict) -> SearchPage:
    permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
    count, offset = _search_of(query, {"_id", "name", "identifier", "status"}, "Location")
    departments = Department.objects.order_by("name", "id")
    for value in query.getlist("_id"):
        departments = departments.filter(pk__in=[record_id(v) or 0 for v in values_of(value)])
    for value in query.getlist("name"):
        condition = Q(pk__in=[])
        for part in values_of(value):
            condition |= Q(name__istartswith=part)
        departments = departments.filter(condition)
    for value in query.getlist("identifier"):
        departments = departments.filter(code__in=[token(v).code for v in values_of(value)])
    for value in query.getlist("status"):
        wanted = set(values_of(value))
        if not wanted <= {"active", "inactive"}:
            raise bad_request("status is active or inactive.")
        departments = departments.filter(is_active__in=[state == "active" for state in wanted])
    total = departments.count()
    found = [mappers.location_resource(d, hospital) for d in departments[offset : offset + count]]
    return SearchPage(found, [], total, offset, count)


def organization_read(*, hospital: Hospital, resource_id: str) -> dict[str, Any]:
    if resource_id != mappers.organization_id(hospital):
        raise NotFound(NOT_FOUND.format("organization"))
    return mappers.organization_resource(hospital)


def organization_search(*, hospital: Hospital, query: QueryDict) -> SearchPage:
    known = {"_id", "identifier", "name"}
    if unknown_parameters(query.keys(), known) or query.getlist("_include"):
        raise bad_request(f"Organization is searched by {', '.join(sorted(known))} only.")
    matches = True
    for value in query.getlist("_id"):
        matches &= mappers.organization_id(hospital) in values_of(value)
    for value in query.getlist("identifier"):
        items = [token(v) for v in values_of(value)]
        matches &= any(i.code == hospital.code and i.system in (None, mappers.HOSPITAL_SYSTEM) for i in items)
    for value in query.getlist("name"):
        matches &= any(hospital.name.casefold().startswith(v.casefold()) for v in values_of(value))
    count, offset = count_of(query.get("_count")), offset_of(query.get("_page_token"))
    found = [mappers.organization_resource(hospital)] if matches else []
    return SearchPage(found[offset : offset + count], [], len(found), offset, count)
