"""What each FHIR resource type is made of here: the tables behind it, the matrix's resource for
each, the search parameters and how each filters, the mapping, and the audit actions.

The capability statement is written from this table, so it lists exactly what is served.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from django.db.models import Prefetch, Q, QuerySet

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_scope
from hms.core.ids import record_id
from hms.encounters.icd10 import CODE_SETS
from hms.encounters.models import (
    Allergy,
    Diagnosis,
    Encounter,
    NoKnownAllergies,
    Observation,
    ProblemListItem,
)
from hms.fhir import mappers
from hms.fhir.http import bad_request
from hms.fhir.search import Token, date_filter, references_filter, tokens_filter, values_of
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.normalise import name_normalise
from hms.scheduling.models import Appointment
from hms.scheduling.wallclock import hospital_zone
from hms.tenancy.context import current_tenant

NOTHING = Q(pk__in=[])
# Matches every row; Q() would not do: NOTHING | Q() is NOTHING (an empty Q is dropped from an OR).
EVERYTHING = Q(pk__isnull=False)

Filter = Callable[[str], Q]
Ours = TypeVar("Ours", bound=str)  # a model's status (its TextChoices)


@dataclass(frozen=True)
class Param:
    """One search parameter of one table: its FHIR type, what it means, and its filter."""

    type: str  # token | date | reference | string
    documentation: str
    filter: Filter


def _its_patient(row: Any) -> Patient:
    return row.patient


@dataclass(frozen=True, kw_only=True)
class Table:
    """One model behind a resource type (Observation has two: vital signs and lab results)."""

    model: type[Any]
    resource: Resource  # the permission matrix's row
    params: dict[str, Param]
    to_fhir: Callable[[Any, mappers.Context], dict[str, Any]]
    order: tuple[str, ...]
    people: tuple[str, ...] = ()  # fields naming the shared users the resource shows by name
    patient_path: str = "patient"  # from the model to its patient, for patient_scope_filter
    prefix: str = ""  # before the row's id in the resource's id ("vital-", "lab-")
    queryset: Callable[[User], QuerySet[Any]] | None = None  # else: live rows with their patient
    patient_of: Callable[[Any], Patient] = _its_patient

    def rows(self, user: User) -> QuerySet[Any]:
        if self.queryset is not None:
            return self.queryset(user)
        return self.model.objects.live().select_related("patient")

    @property
    def view_action(self) -> str:
        """The audit action of reading one, named for the matrix's row as on the pages."""
        return f"{self.resource}.view"

    def people_of(self, row: Any) -> tuple[int | None, ...]:
        return tuple(getattr(row, field) for field in self.people)


READ_AND_SEARCH = ("read", "search-type")


@dataclass(frozen=True)
class Kind:
    name: str
    tables: tuple[Table, ...]
    search_action: str
    includes: tuple[str, ...] = ()  # `_include` values: each names the row's patient
    interactions: tuple[str, ...] = READ_AND_SEARCH
    profile: str = ""
    param_docs: dict[str, Param] = field(default_factory=dict)

    def params(self) -> dict[str, Param]:
        merged: dict[str, Param] = {}
        for table in self.tables:
            merged.update(table.params)
        return merged


# --- filters -----------------------------------------------------------------------------


def _ids(prefix: str) -> Filter:
    def match(text: str) -> Q:
        wanted = [record_id(value[len(prefix) :]) for value in values_of(text) if value.startswith(prefix)]
        return Q(pk__in=[pk for pk in wanted if pk is not None])

    return match


def _reference(resource_type: str, path: str) -> Filter:
    return lambda text: references_filter(text, resource_type, path)


def _date(path: str, *, is_date: bool = False) -> Filter:
    return lambda text: date_filter(text, path, zone=hospital_zone(), is_date=is_date)


def _code(system: str, path: str) -> Filter:
    def match(item: Token) -> Q:
        if item.system not in (None, system) or not item.code:
            return NOTHING
        return Q(**{path: item.code})

    return lambda text: tokens_filter(text, match)


def _diagnosis_code(field: str) -> Filter:
    """A diagnosis code token on `field`: `system|code` matches codes of that system only, `code`
    any system's."""
    systems = {codes.system_uri: codes.key for codes in CODE_SETS.values()}

    def match(item: Token) -> Q:
        if not item.code or (item.system is not None and item.system not in systems):
            return NOTHING
        found = Q(**{field: item.code})
        return found if item.system is None else found & Q(code_system=systems[item.system])

    return lambda text: tokens_filter(text, match)


def _choice(system: str | None, values: dict[str, Q]) -> Filter:
    """A token whose codes are a fixed list (`system|code` or `code`); an unknown code is a 400."""

    def match(item: Token) -> Q:
        if item.code not in values:
            raise bad_request(f"{item.code!r} is not one of {', '.join(sorted(values))}.")
        if item.system not in (None, system) and not (system is None and item.system == ""):
            return NOTHING
        return values[item.code]

    return lambda text: tokens_filter(text, match)


def _status(statuses: Mapping[Ours, str]) -> Param:
    """The `status` token of a table whose statuses map onto FHIR's (several of ours may be one
    of FHIR's: a search for it finds them all)."""
    by_status: dict[str, Q] = {}
    for ours, fhir in statuses.items():
        by_status[fhir] = by_status.get(fhir, NOTHING) | Q(status=ours)
    return Param("token", " | ".join(by_status) + ".", _choice(None, by_status))


def _identifier(text: str) -> Q:
    systems = mappers.identifier_systems(current_tenant().code)

    def match(item: Token) -> Q:
        if not item.code:
            return NOTHING
        ours = systems.get(item.system or "") if item.system else None
        if item.system and ours is None:
            return NOTHING
        by_mrn = Q(mrn=item.code)
        by_other = Q(pk__in=PatientIdentifier.objects.filter(value=item.code).values("patient_id"))
        if ours == "MRN":
            return by_mrn
        if ours is not None:
            return Q(
                pk__in=PatientIdentifier.objects.filter(system=ours, value=item.code).values("patient_id")
            )
        return by_mrn | by_other

    return tokens_filter(text, match)


def _name(*fields: str) -> Filter:
    def match(text: str) -> Q:
        condition = NOTHING
        for value in values_of(text):
            wanted = name_normalise(value)
            for part in fields:
                condition |= Q(**{f"{part}__gte": wanted, f"{part}__lt": wanted + "\uffff"})
        return condition

    return match


def _lab_results(user: User) -> QuerySet[LabResult]:
    """Current results of live orders; a patient sees only verified ones (as on the pages)."""
    results = LabResult.objects.filter(
        superseded_at__isnull=True, order__voided_at__isnull=True
    ).select_related("order", "order__patient")
    if permission_scope(user=user, resource=Resource.LAB_RESULT, action=Action.VIEW) == Scope.OWN:
        results = results.filter(verified_at__isnull=False)
    return results


def _one_of(mine: str, system: str, codes: tuple[str, ...]) -> Filter:
    """A category token of a type made of several tables, each of one category: the others find
    nothing in it."""
    return _choice(system, {c: EVERYTHING if c == mine else NOTHING for c in codes})


PATIENT_REFS = ("patient", "subject")


def _patient_params(path: str, *, names: tuple[str, ...] = PATIENT_REFS) -> dict[str, Param]:
    return {
        name: Param(
            "reference",
            "The patient the record is about (Patient/<id> or <id>).",
            _reference("Patient", path),
        )
        for name in names
    }


US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-"


def _patient_records(
    name: str,
    *tables: Table,
    noun: str,
    ids: str = "",
    refs: tuple[str, ...] = PATIENT_REFS,
    profile: str = "",
    interactions: tuple[str, ...] = READ_AND_SEARCH,
) -> Kind:
    """A resource type of a patient's records, in one table or several (each of its own id
    prefix, said by `ids`): found by its `_id` and by its patient under each name of `refs`
    (each also an `_include` of that patient), its search audited as the list of the first
    table's row of the matrix, as on the pages."""
    id_doc = f"The {noun}'s id ({ids})." if ids else f"The {noun}'s id."

    def found_by(table: Table) -> dict[str, Param]:
        return {
            "_id": Param("token", id_doc, _ids(table.prefix)),
            **_patient_params(f"{table.patient_path}_id", names=refs),
        }

    return Kind(
        name,
        tuple(replace(table, params={**found_by(table), **table.params}) for table in tables),
        f"{tables[0].resource}.list",
        includes=tuple(f"{name}:{ref}" for ref in refs),
        interactions=interactions,
        profile=profile,
    )


# --- the resource types ------------------------------------------------------------------

GENDERS = {value: Q(sex=value) for value in Patient.Sex.values}

PATIENT = Kind(
    "Patient",
    (
        Table(
            model=Patient,
            resource=Resource.PATIENT,
            params={
                "_id": Param("token", "The patient's id.", _ids("")),
                "identifier": Param(
                    "token",
                    "The MRN (urn:hms:<CODE>:mrn) or another identifier (system|value, or the value alone).",
                    _identifier,
                ),
                "name": Param(
                    "string",
                    "The start of the given or the family name (accents and case ignored).",
                    _name("given_name_norm", "family_name_norm"),
                ),
                "family": Param("string", "The start of the family name.", _name("family_name_norm")),
                "given": Param("string", "The start of the given name.", _name("given_name_norm")),
                "birthdate": Param(
                    "date", "The date of birth (eq, ge, gt, le, lt).", _date("birth_date", is_date=True)
                ),
                "gender": Param("token", "male | female | other | unknown.", _choice(None, GENDERS)),
            },
            to_fhir=mappers.patient_resource,
            order=("family_name", "given_name", "id"),
            patient_path="pk",
            queryset=lambda user: Patient.objects.prefetch_related("identifiers", "next_of_kin"),
            patient_of=lambda row: row,
        ),
    ),
    "patient.search",
    interactions=(*READ_AND_SEARCH, "create", "update"),
    profile=f"{US_CORE}patient",
)

ENCOUNTER = _patient_records(
    "Encounter",
    Table(
        model=Encounter,
        resource=Resource.ENCOUNTER,
        params={
            "date": Param("date", "When the encounter started.", _date("started_at")),
            "status": _status(mappers.ENCOUNTER_STATUS),
        },
        to_fhir=mappers.encounter_resource,
        order=("-started_at", "-id"),
        people=("practitioner_user_id",),
    ),
    noun="encounter",
    profile=f"{US_CORE}encounter",
)

OBSERVATION_CATEGORIES = (mappers.VITAL_SIGNS, mappers.LABORATORY)
OBSERVATION = _patient_records(
    "Observation",
    Table(
        model=Observation,
        resource=Resource.OBSERVATION,
        params={
            "category": Param(
                "token",
                "vital-signs | laboratory.",
                _one_of(mappers.VITAL_SIGNS, mappers.OBSERVATION_CATEGORY, OBSERVATION_CATEGORIES),
            ),
            "code": Param(
                "token", "The LOINC code (http://loinc.org|<code>).", _code(mappers.LOINC, "loinc_code")
            ),
            "date": Param("date", "When it was measured.", _date("recorded_at")),
            "encounter": Param(
                "reference", "The encounter it was recorded in.", _reference("Encounter", "encounter_id")
            ),
        },
        to_fhir=mappers.vital_resource,
        order=("-recorded_at", "-id"),
        people=("recorded_by_id",),
        prefix=mappers.VITAL_PREFIX,
        queryset=lambda user: (
            Observation.objects.live()
            .select_related("patient")
            .prefetch_related("derived_from", "components")
        ),
    ),
    Table(
        model=LabResult,
        resource=Resource.LAB_RESULT,
        params={
            "category": Param(
                "token",
                "",
                _one_of(mappers.LABORATORY, mappers.OBSERVATION_CATEGORY, OBSERVATION_CATEGORIES),
            ),
            "code": Param("token", "", _code(mappers.LOINC, "loinc_code")),
            "date": Param("date", "", _date("entered_at")),
            "encounter": Param("reference", "", _reference("Encounter", "order__encounter_id")),
        },
        to_fhir=mappers.lab_resource,
        order=("-entered_at", "-id"),
        people=("verified_by_id", "entered_by_id"),
        patient_path="order__patient",
        prefix=mappers.LAB_PREFIX,
        queryset=_lab_results,
        patient_of=lambda row: row.order.patient,
    ),
    noun="observation",
    ids="vital-<n> or lab-<n>",
)

CONDITION_CATEGORIES = (mappers.ENCOUNTER_DIAGNOSIS, mappers.PROBLEM_LIST_ITEM)
DIAGNOSIS_CODE_DOC = (
    "The ICD-10 code, in the WHO's ICD-10 (http://hl7.org/fhir/sid/icd-10|<code>) or "
    "ICD-10-CM (http://hl7.org/fhir/sid/icd-10-cm|<code>), or either (<code>)."
)
CONDITION = _patient_records(
    "Condition",
    Table(
        model=Diagnosis,
        resource=Resource.DIAGNOSIS,
        params={
            "category": Param(
                "token",
                "encounter-diagnosis (an encounter's diagnoses) | problem-list-item (the problem list).",
                _one_of(mappers.ENCOUNTER_DIAGNOSIS, mappers.CONDITION_CATEGORY, CONDITION_CATEGORIES),
            ),
            "code": Param("token", DIAGNOSIS_CODE_DOC, _diagnosis_code("icd10_code")),
            "encounter": Param(
                "reference", "The encounter it was made in.", _reference("Encounter", "encounter_id")
            ),
            "clinical-status": Param(
                "token",
                "active | inactive | resolved: of the problem list (a diagnosis has none).",
                _choice(mappers.CONDITION_CLINICAL, {s: NOTHING for s in ProblemListItem.Status.values}),
            ),
        },
        to_fhir=mappers.condition_resource,
        order=("-created_at", "-id"),
        people=("recorded_by_id",),
    ),
    Table(
        model=ProblemListItem,
        resource=Resource.DIAGNOSIS,
        params={
            "category": Param(
                "token",
                "",
                _one_of(mappers.PROBLEM_LIST_ITEM, mappers.CONDITION_CATEGORY, CONDITION_CATEGORIES),
            ),
            "code": Param("token", "", _diagnosis_code("code")),
            "encounter": Param("reference", "", lambda text: NOTHING),
            "clinical-status": Param(
                "token",
                "",
                _choice(mappers.CONDITION_CLINICAL, {s: Q(status=s) for s in ProblemListItem.Status.values}),
            ),
        },
        to_fhir=mappers.problem_resource,
        order=("-created_at", "-id"),
        people=("recorded_by_id",),
        prefix=mappers.PROBLEM_PREFIX,
    ),
    noun="condition",
    ids="<n>: a diagnosis, problem-<n>: the problem list",
    profile=f"{US_CORE}condition-encounter-diagnosis",
)

ALLERGY_INTOLERANCE = _patient_records(
    "AllergyIntolerance",
    Table(
        model=Allergy,
        resource=Resource.ALLERGY,
        params={
            "clinical-status": Param(
                "token",
                "active | inactive.",
                _choice(mappers.ALLERGY_CLINICAL, {s: Q(status=s) for s in Allergy.Status.values}),
            ),
        },
        to_fhir=mappers.allergy_resource,
        order=("substance", "id"),
        people=("recorded_by_id",),
    ),
    Table(
        model=NoKnownAllergies,
        resource=Resource.ALLERGY,
        params={
            "clinical-status": Param(
                "token",
                "",
                _choice(
                    mappers.ALLERGY_CLINICAL,
                    {"active": Q(superseded_at__isnull=True), "inactive": Q(superseded_at__isnull=False)},
                ),
            ),
        },
        to_fhir=mappers.no_known_allergies_resource,
        order=("-created_at", "-id"),
        people=("recorded_by_id",),
        prefix=mappers.NKA_PREFIX,
    ),
    noun="allergy",
    ids="<n>, or nka-<n>: a statement of no known allergies",
    refs=("patient",),
    profile=f"{US_CORE}allergyintolerance",
)

MEDICATION_REQUEST = _patient_records(
    "MedicationRequest",
    Table(
        model=Prescription,
        resource=Resource.PRESCRIPTION,
        params={
            "intent": Param(
                "token", "order (every prescription here).", _choice(None, {"order": EVERYTHING})
            ),
            "status": _status(mappers.MEDICATION_STATUS),
            "encounter": Param(
                "reference", "The encounter it was prescribed in.", _reference("Encounter", "encounter_id")
            ),
            "authoredon": Param("date", "When the course starts.", _date("starts_at")),
        },
        to_fhir=mappers.medication_request_resource,
        order=("-starts_at", "-id"),
        people=("prescriber_id",),
    ),
    noun="prescription",
    profile=f"{US_CORE}medicationrequest",
)

APPOINTMENT = _patient_records(
    "Appointment",
    Table(
        model=Appointment,
        resource=Resource.APPOINTMENT,
        params={
            "practitioner": Param(
                "reference",
                "The doctor seen (Practitioner/<id>).",
                _reference("Practitioner", "practitioner_user_id"),
            ),
            "date": Param("date", "When it starts.", _date("starts_at")),
            "status": _status(mappers.APPOINTMENT_STATUS),
        },
        to_fhir=mappers.appointment_resource,
        order=("starts_at", "id"),
        people=("practitioner_user_id",),
        queryset=lambda user: Appointment.objects.select_related("patient"),
    ),
    noun="appointment",
    refs=("patient",),
    interactions=(*READ_AND_SEARCH, "create", "update"),
)


def _lab_results_of_orders(user: User) -> QuerySet[LabResult]:
    """The current results the user may see, as the pages show them (a patient: verified only)."""
    scope = permission_scope(user=user, resource=Resource.LAB_RESULT, action=Action.VIEW)
    results = LabResult.objects.filter(superseded_at__isnull=True).order_by("-entered_at", "-id")
    if scope is None:
        return results.none()
    return results.filter(verified_at__isnull=False) if scope == Scope.OWN else results


def _lab_orders(user: User) -> QuerySet[LabOrder]:
    """Live lab orders, each with the results the user may see (`fhir_results`)."""
    visible = Prefetch("results", queryset=_lab_results_of_orders(user), to_attr="fhir_results")
    return LabOrder.objects.live().select_related("patient").prefetch_related(visible)


def _lab_order_params(statuses: Mapping[str, str], extra: dict[str, Param]) -> dict[str, Param]:
    loinc = _code(mappers.LOINC, "test_code")
    return {
        "code": Param("token", "The test's LOINC code (http://loinc.org|<code>).", loinc),
        "status": _status(statuses),
        "encounter": Param(
            "reference", "The encounter it was ordered in.", _reference("Encounter", "encounter_id")
        ),
        **extra,
    }


def _lab_order_table(
    to_fhir: Callable[[Any, mappers.Context], dict[str, Any]], params: dict[str, Param]
) -> Table:
    return Table(
        model=LabOrder,
        resource=Resource.LAB_ORDER,
        params=params,
        to_fhir=to_fhir,
        order=("-ordered_at", "-id"),
        people=("ordered_by_id",),
        queryset=_lab_orders,
    )


LAB_CATEGORY = _choice(mappers.DIAGNOSTIC_SERVICE, {"LAB": EVERYTHING})
DIAGNOSTIC_REPORT = _patient_records(
    "DiagnosticReport",
    _lab_order_table(
        mappers.diagnostic_report_resource,
        _lab_order_params(
            mappers.LAB_REPORT_STATUS,
            {
                "category": Param("token", "LAB (every report here is a laboratory report).", LAB_CATEGORY),
                "date": Param("date", "When the test was ordered.", _date("ordered_at")),
            },
        ),
    ),
    noun="lab order",
    profile=f"{US_CORE}diagnosticreport-lab",
)

SERVICE_REQUEST = _patient_records(
    "ServiceRequest",
    _lab_order_table(
        mappers.service_request_resource,
        _lab_order_params(
            mappers.LAB_REQUEST_STATUS,
            {
                "intent": Param("token", "order (every request here).", _choice(None, {"order": EVERYTHING})),
                "authored": Param("date", "When it was ordered.", _date("ordered_at")),
            },
        ),
    ),
    noun="lab order",
)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        PATIENT,
        ENCOUNTER,
        OBSERVATION,
        CONDITION,
        ALLERGY_INTOLERANCE,
        MEDICATION_REQUEST,
        APPOINTMENT,
        DIAGNOSTIC_REPORT,
        SERVICE_REQUEST,
    )
}
