"""The patient chart: the banner on every patient page and the summary on the patient's record page
(timeline of encounters, problem list, vital-sign and lab trends), read across the clinical apps.

It lives in the web layer because it reads encounters (allergies, diagnoses, vital signs) and
orders (prescriptions, lab results), which no clinical app below orders may import. Each part
is shown only to a user whose role and scope let them see that kind of record for this
patient (a receptionist sees demographics only, a doctor outside the patient's care the
same); every read is audited with the ids it showed.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Model, OuterRef, Subquery
from django.utils import timezone

from hms.accounts.display import display_names
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_scope
from hms.audit.records import audit_row
from hms.billing.models import Invoice
from hms.care.access import patient_access, patient_in_care
from hms.clinical.ages import age_on
from hms.clinical.profiles import clinical_profile
from hms.core.display import lab_test_name, unit_label
from hms.core.exceptions import NotAllowed, NotFound
from hms.core.ids import record_id
from hms.encounters.models import (
    Allergy,
    ClinicalNote,
    Diagnosis,
    Encounter,
    NoKnownAllergies,
    Observation,
    ProblemListItem,
)
from hms.encounters.selectors import nka_current
from hms.encounters.vitals import (
    BP_PANEL,
    VITALS,
    Subject,
    hospital_units,
    reference_interval,
    stored_text,
)
from hms.orders.lab_catalogue import value_here
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.patients.clinical import patient_clinical_sex
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.tenancy.context import current_tenant
from hms.web.svg import TrendChart, trend_chart

TIMELINE_SIZE = 20  # encounters on the record page; the encounters page has them all
TREND_POINTS = 30  # the latest values of each vital sign or test drawn in its chart
TREND_ROWS = 2000  # observations or results read at most for the charts
PROBLEM_ROWS = 500  # problems read at most for the problem list


def age_text(birth_date: datetime.date, today: datetime.date | None = None) -> str:
    """The age on `today` (the hospital's today): "34 y"; a child under 2 "14 mo"; an infant under
    3 months "6 wk"; a newborn under 2 weeks "5 d"."""
    today = today or timezone.localdate()
    days = (today - birth_date).days
    if days < 0:
        return ""
    if days < 14:
        return f"{days} d"
    if days < 91:
        return f"{days // 7} wk"
    months = (
        (today.year - birth_date.year) * 12 + today.month - birth_date.month - (today.day < birth_date.day)
    )
    if months < 24:
        return f"{months} mo"
    return f"{months // 12} y"


class _Sight:
    """What one user may see of one patient's record, kind by kind (role, then scope)."""

    def __init__(self, user: User, patient: Patient) -> None:
        self.user = user
        self.patient = patient
        self._in_care: bool | None = None

    def sees(self, resource: Resource) -> bool:
        scope = permission_scope(user=self.user, resource=resource, action=Action.VIEW)
        if scope is None:
            return False
        if scope == Scope.ALL:
            return True
        if scope == Scope.OWN:
            return self.patient.user_id == self.user.pk
        if self._in_care is None:
            self._in_care = patient_in_care(user=self.user, patient_id=self.patient.pk)
        return self._in_care

    @property
    def own(self) -> bool:
        return self.user.pk is not None and self.patient.user_id == self.user.pk


@dataclass(frozen=True)
class LatestVital:
    code: str
    name: str
    value_text: str
    flag: str
    recorded_at: datetime.datetime


@dataclass(frozen=True)
class PatientBanner:
    """What the banner shows; a part is None where the user may not see that kind of record."""

    patient: Patient
    age: str
    allergies: list[Allergy] | None  # the active ones
    problems: list[ProblemListItem] | None  # the active ones
    medicines: list[Prescription] | None
    vitals: list[LatestVital] | None
    no_known_allergies: NoKnownAllergies | None = None  # stated, when no allergy is active

    @property
    def vitals_at(self) -> datetime.datetime | None:
        return max((v.recorded_at for v in self.vitals), default=None) if self.vitals else None

    @property
    def clinical(self) -> bool:
        return any(part is not None for part in (self.allergies, self.problems, self.medicines, self.vitals))


def _visible_patient(user: User, patient_id: int) -> Patient | None:
    try:
        return patient_access(user=user, patient_id=patient_id, resource=Resource.PATIENT, action=Action.VIEW)
    except (NotFound, NotAllowed):
        return None


def _problems(patient: Patient, *, active_only: bool) -> list[ProblemListItem]:
    """The patient's problem list (not an encounter's diagnoses): active first, then inactive and
    resolved, the latest onset first in each; entered-in-error ones left out."""
    rows = ProblemListItem.objects.live().filter(patient=patient)
    if active_only:
        rows = rows.filter(status=ProblemListItem.Status.ACTIVE)
    return list(rows.order_by("status", F("onset_date").desc(nulls_last=True), "id")[:PROBLEM_ROWS])


def _latest_vitals(patient: Patient) -> list[LatestVital]:
    newest = (
        Observation.objects.live()
        .filter(patient=patient, loinc_code=OuterRef("loinc_code"), encounter__voided_at__isnull=True)
        .order_by("-recorded_at", "-id")
        .values("pk")[:1]
    )
    rows = (
        Observation.objects.live().filter(patient=patient, pk=Subquery(newest)).exclude(loinc_code=BP_PANEL)
    )
    order = list(VITALS)
    latest = []
    shown = hospital_units()
    for row in sorted(
        rows, key=lambda r: order.index(r.loinc_code) if r.loinc_code in VITALS else len(order)
    ):
        vital = VITALS.get(row.loinc_code)
        latest.append(
            LatestVital(
                code=row.loinc_code,
                name=vital.display if vital else row.loinc_code,
                value_text=stored_text(
                    row.loinc_code,
                    row.value,
                    row.value_code,
                    unit_label(row.unit),
                    shown.get(row.loinc_code, ""),
                ),
                flag=row.abnormal_flag,
                recorded_at=row.recorded_at,
            )
        )
    return latest


def _medicines(patient: Patient) -> list[Prescription]:
    return list(
        Prescription.objects.live()
        .filter(patient=patient, status=Prescription.Status.ACTIVE, ends_at__gt=timezone.now())
        .order_by("drug_name", "id")
    )


def patient_banner(*, user: User, patient_id: int, client_address: str | None = None) -> PatientBanner | None:
    """The banner of a patient page, or None if the user may not see the patient at all; audited."""
    with transaction.atomic(using=current_tenant().alias):
        patient = _visible_patient(user, patient_id)
        if patient is None:
            return None
        sight = _Sight(user, patient)
        allergies = problems = medicines = vitals = None
        no_known = None
        if sight.sees(Resource.ALLERGY):
            allergies = list(
                Allergy.objects.live()
                .filter(patient=patient, status=Allergy.Status.ACTIVE)
                .order_by("substance", "id")
            )
            no_known = None if allergies else nka_current(patient_id=patient.pk)
        if sight.sees(Resource.DIAGNOSIS):
            problems = _problems(patient, active_only=True)
        if sight.sees(Resource.PRESCRIPTION):
            medicines = _medicines(patient)
        if sight.sees(Resource.OBSERVATION):
            vitals = _latest_vitals(patient)
        audit_row(
            user,
            "patient.banner",
            patient,
            client_address,
            allergy_ids=_ids(allergies),
            nka_id=no_known.pk if no_known is not None else None,
            problem_ids=_ids(problems),
            prescription_ids=_ids(medicines),
            vital_codes=None if vitals is None else [v.code for v in vitals],
        )
    return PatientBanner(
        patient=patient,
        # A deceased patient's age stops at their death.
        age=age_text(
            patient.birth_date, timezone.localdate(patient.deceased_at) if patient.deceased_at else None
        ),
        allergies=allergies,
        problems=problems,
        medicines=medicines,
        vitals=vitals,
        no_known_allergies=no_known,
    )


@dataclass(frozen=True)
class TimelineEntry:
    encounter: Encounter
    clinician: str
    diagnoses: list[Diagnosis] = field(default_factory=list)


@dataclass(frozen=True)
class PatientChart:
    """The record page's summary; a part is None where the user may not see that kind of record."""

    patient: Patient
    timeline: list[TimelineEntry] | None
    encounter_count: int
    problems: list[ProblemListItem] | None
    vital_charts: list[TrendChart] | None
    lab_charts: list[TrendChart] | None

    @property
    def clinical(self) -> bool:
        return any(
            part is not None for part in (self.timeline, self.problems, self.vital_charts, self.lab_charts)
        )


def _timeline(patient: Patient, *, with_diagnoses: bool) -> tuple[list[TimelineEntry], int]:
    encounters = Encounter.objects.live().filter(patient=patient).order_by("-started_at", "-id")
    count = encounters.count()
    rows = list(encounters[:TIMELINE_SIZE])
    diagnoses: dict[int, list[Diagnosis]] = {}
    if with_diagnoses and rows:
        for diagnosis in Diagnosis.objects.live().filter(encounter__in=rows).order_by("kind", "id"):
            diagnoses.setdefault(diagnosis.encounter_id, []).append(diagnosis)
    names = display_names(e.practitioner_user_id for e in rows)
    entries = [TimelineEntry(e, names.get(e.practitioner_user_id, ""), diagnoses.get(e.pk, [])) for e in rows]
    return entries, count


def _vital_charts(patient: Patient) -> tuple[list[TrendChart], list[int]]:
    rows = list(
        Observation.objects.live()
        .filter(patient=patient, encounter__voided_at__isnull=True)
        .order_by("-recorded_at", "-id")[:TREND_ROWS]
    )
    series: dict[str, list[Observation]] = {}
    for row in reversed(rows):
        series.setdefault(row.loinc_code, []).append(row)
    charts, shown = [], []
    subject = Subject(
        age_on(patient.birth_date, max(timezone.localdate(), patient.birth_date)),
        patient_clinical_sex(patient),
    )  # today's bands shade the chart
    units = hospital_units()  # a °F hospital's temperatures in °F, its reference band too
    for code, vital in VITALS.items():
        points = [p for p in series.get(code, []) if p.value is not None][-TREND_POINTS:]
        if not points:
            continue
        shown += [p.pk for p in points]
        unit = units.get(code, "")
        interval = reference_interval(code, subject)
        values = [(p.effective_at, vital.shown(p.value, unit)[0]) for p in points if p.value is not None]
        charts.append(
            trend_chart(
                title=vital.display,
                unit=vital.shown(Decimal(0), unit)[1],
                points=values,
                reference=(vital.shown(interval[0], unit)[0], vital.shown(interval[1], unit)[0])
                if interval
                else None,
                flags=[p.abnormal_flag for p in points],
            )
        )
    return charts, shown


def _lab_charts(patient: Patient, *, own: bool) -> tuple[list[TrendChart], list[int]]:
    results = LabResult.objects.filter(
        order__patient=patient,
        order__voided_at__isnull=True,
        superseded_at__isnull=True,
        value_numeric__isnull=False,
    )
    if own:  # a patient sees verified results only
        results = results.filter(verified_at__isnull=False)
    rows = list(results.select_related("order").order_by("-entered_at", "-id")[:TREND_ROWS])
    series: dict[str, list[LabResult]] = {}
    for row in reversed(rows):
        series.setdefault(row.order.test_code, []).append(row)
    lab_units_for = clinical_profile().lab_units_for

    def here(result: LabResult, value: Decimal) -> Decimal:
        """A value of `result` (its own or a limit) in the unit the hospital reports its test in
        now, so that a series stored partly in another unit is drawn in one."""
        converted = value_here(value, result.loinc_code, lab_units_for)
        return converted[0] if converted is not None else value

    charts, shown = [], []
    for code, found in sorted(
        series.items(), key=lambda item: lab_test_name(item[0], item[1][-1].order.test_name)
    ):
        points = found[-TREND_POINTS:]
        latest = points[-1]
        shown += [p.pk for p in points]
        low, high = latest.reference_low, latest.reference_high
        reference = None
        if low is not None or high is not None:
            reference = (
                low if low is None else here(latest, low),
                high if high is None else here(latest, high),
            )
        unit = (value_here(Decimal(0), latest.loinc_code, lab_units_for) or (Decimal(0), latest.unit))[1]
        values = [(p.entered_at, here(p, p.value_numeric)) for p in points if p.value_numeric is not None]
        charts.append(
            trend_chart(
                title=lab_test_name(code, latest.order.test_name),
                unit=unit_label(unit),
                points=values,
                reference=reference,
                flags=[p.flag for p in points],
            )
        )
    return charts, shown


def patient_chart(*, user: User, patient_id: int, client_address: str | None = None) -> PatientChart | None:
    """The record page's timeline, problem list and trends, or None if the user may not see the
    patient at all; audited with what it showed."""
    with transaction.atomic(using=current_tenant().alias):
        patient = _visible_patient(user, patient_id)
        if patient is None:
            return None
        sight = _Sight(user, patient)
        timeline, count = None, 0
        problems = vital_charts = lab_charts = None
        observation_ids: list[int] | None = None
        result_ids: list[int] | None = None
        sees_diagnoses = sight.sees(Resource.DIAGNOSIS)
        if sight.sees(Resource.ENCOUNTER):
            timeline, count = _timeline(patient, with_diagnoses=sees_diagnoses)
        if sees_diagnoses:
            problems = _problems(patient, active_only=False)
        if sight.sees(Resource.OBSERVATION):
            vital_charts, observation_ids = _vital_charts(patient)
        if sight.sees(Resource.LAB_RESULT):
            lab_charts, result_ids = _lab_charts(patient, own=sight.own)
        audit_row(
            user,
            "patient.chart",
            patient,
            client_address,
            encounter_ids=None if timeline is None else [t.encounter.pk for t in timeline],
            problem_ids=_ids(problems),
            observation_ids=observation_ids,
            lab_result_ids=result_ids,
        )
    return PatientChart(
        patient=patient,
        timeline=timeline,
        encounter_count=count,
        problems=problems,
        vital_charts=vital_charts,
        lab_charts=lab_charts,
    )


def _ids(rows: Iterable[Allergy | Prescription | ProblemListItem] | None) -> list[int] | None:
    return None if rows is None else [row.pk for row in rows]


# The address parameters that name one record of one patient: the record's model, and the field
# that names its patient. A page whose address names one of these is about that patient.
PATIENT_RECORDS: dict[str, tuple[type[Model], str]] = {
    "encounter_id": (Encounter, "patient_id"),
    "note_id": (ClinicalNote, "patient_id"),
    "allergy_id": (Allergy, "patient_id"),
    "observation_id": (Observation, "patient_id"),
    "diagnosis_id": (Diagnosis, "patient_id"),
    "problem_id": (ProblemListItem, "patient_id"),
    "statement_id": (NoKnownAllergies, "patient_id"),
    "prescription_id": (Prescription, "patient_id"),
    "order_id": (LabOrder, "patient_id"),
    "result_id": (LabResult, "order__patient_id"),
    "invoice_id": (Invoice, "patient_id"),
    "appointment_id": (Appointment, "patient_id"),
}


def record_patient_id(address_kwargs: Mapping[str, object]) -> int | None:
    """The patient a page about one of their records is about (its address names the record), to
    choose its banner; not scoped: the banner's selector checks the user's right to the patient,
    the page its right to the record. None for a page about no one record, or a missing one."""
    for name, (model, patient_field) in PATIENT_RECORDS.items():
        ref = record_id(address_kwargs.get(name))
        if ref is not None:
            found: int | None = (
                model._default_manager.filter(pk=ref).values_list(patient_field, flat=True).first()
            )
            return found
    return None


def patient_vital_trends(
    *, user: User, patient_id: int, client_address: str | None = None
) -> list[TrendChart] | None:
    """The patient's vital signs over time (the encounter page's charts), or None if the user may
    not see them for this patient; audited with the observations drawn."""
    with transaction.atomic(using=current_tenant().alias):
        patient = _visible_patient(user, patient_id)
        if patient is None or not _Sight(user, patient).sees(Resource.OBSERVATION):
            return None
        charts, shown = _vital_charts(patient)
        audit_row(user, "observation.trends", patient, client_address, observation_ids=shown)
    return charts
