"""Reads of encounters and what was recorded in them, scoped by hms.care.access, and audited.

`record_access` / `encounter_access` are the scoped fetches the services build on (they
do not audit: the service or selector that calls them does). Missing and out-of-scope
records answer the same NotFound; a role that may never do it gets NotAllowed.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.paginator import Page
from django.db import models, transaction

from hms.accounts.display import display_names
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.records import AuditedList, audit_row
from hms.care import access
from hms.care.access import patient_access
from hms.core.display import unit_label
from hms.core.exceptions import NotFound
from hms.core.models import VoidableModel
from hms.core.voiding import VoidableQuerySet
from hms.encounters.models import (
    Allergy,
    ClinicalNote,
    Diagnosis,
    Encounter,
    NoKnownAllergies,
    NoteAmendment,
    Observation,
    ProblemListItem,
)
from hms.encounters.vitals import VITALS, WEIGHT, Vital, hospital_units, stored_text
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.scheduling.selectors import APPOINTMENT_LIST
from hms.scheduling.services import ENCOUNTER_STARTABLE
from hms.tenancy.context import current_tenant

ENCOUNTER_LIST = AuditedList("encounter.list", Encounter)
ALLERGY_LIST = AuditedList("allergy.list", Allergy)
PROBLEM_LIST = AuditedList("problem.list", ProblemListItem)

ENCOUNTER_NOT_FOUND = "No such encounter here."
NOT_FOUND: dict[type[models.Model], str] = {
    Encounter: ENCOUNTER_NOT_FOUND,
    Observation: "No such observation here.",
    Diagnosis: "No such diagnosis here.",
    Allergy: "No such allergy here.",
    NoKnownAllergies: "No such statement of no known allergies here.",
    ProblemListItem: "No such problem here.",
    ClinicalNote: "No such note here.",
}

Row = TypeVar("Row", bound=models.Model)
LiveRow = TypeVar("LiveRow", bound=VoidableModel)


def record_pk(ref: models.Model | int, *, model: type[models.Model]) -> int:
    """The primary key `ref` names (a row of this hospital, an int, a digit string); NotFound if none."""
    return access.record_pk(ref, model=model, missing=NOT_FOUND.get(model, access.RECORD_NOT_FOUND))


def record_access(
    model: type[Row],
    ref: Row | int,
    *,
    user: User,
    resource: Resource,
    action: Action,
    for_update: bool = False,
) -> Row:
    """The row of `model` that `ref` names, if `user` may do `action` to its patient's `resource`.

    See hms.care.access.record_access; the NotFound message names the kind of record.
    """
    return access.record_access(
        model,
        ref,
        user=user,
        resource=resource,
        action=action,
        for_update=for_update,
        missing=NOT_FOUND.get(model, access.RECORD_NOT_FOUND),
    )


def encounter_access(
    *,
    user: User,
    encounter: Encounter | int,
    resource: Resource = Resource.ENCOUNTER,
    action: Action = Action.VIEW,
    for_update: bool = False,
) -> Encounter:
    """The encounter, if `user` may do `action` to `resource` of its patient (see record_access).

    Other apps hanging rows off an encounter (orders, billing) can fetch it with this.
    """
    return record_access(
        Encounter, encounter, user=user, resource=resource, action=action, for_update=for_update
    )


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Display names ("Dr Habib Ullah", else the username) of shared users, in one query."""
    return display_names(ids)


@dataclass(frozen=True)
class EncounterSummary:
    encounter: Encounter
    practitioner_name: str


def encounter_list_for_patient(
    *,
    user: User,
    patient_id: int,
    include_voided: bool = False,
    page_number: int | str | None = 1,
    client_address: str | None = None,
) -> Page:
    """One page (25) of the patient's encounters, newest first; audited. Its object_list
    holds EncounterSummary rows.

    Voided ones only with `include_voided`, and never to the patient themselves.
    """
    with transaction.atomic(using=current_tenant().alias):
        patient = patient_access(
            user=user, patient_id=patient_id, resource=Resource.ENCOUNTER, action=Action.VIEW
        )
        own = permission_scope(user=user, resource=Resource.ENCOUNTER, action=Action.VIEW) == Scope.OWN
        queryset = Encounter.objects.filter(patient=patient)
        if own or not include_voided:
            queryset = queryset.live()
        page = ENCOUNTER_LIST.page(
            queryset.order_by("-started_at", "-id"),
            page_number,
            user,
            client_address,
            about=patient,
            include_voided=include_voided,
        )
        encounters = list(page.object_list)
    names = user_names(e.practitioner_user_id for e in encounters)
    for encounter in encounters:
        encounter.patient = patient
    page.object_list = [EncounterSummary(e, names.get(e.practitioner_user_id, "")) for e in encounters]
    return page


@dataclass(frozen=True)
class VitalRow:
    observation: Observation
    vital: Vital | None
    recorded_by_name: str

    shown_unit: str = ""  # the hospital's unit for it (weight, height, temperature)

    @property
    def value_text(self) -> str:
        """The value with its vital's decimal places in the hospital's unit: "37.0 °C", "98.6 °F",
        "72 /min"; a coded value as its answer ("A: Alert")."""
        o = self.observation
        return stored_text(o.loinc_code, o.value, o.value_code, unit_label(o.unit), self.shown_unit)

    @property
    def entered_text(self) -> str:
        """What was typed, where it was in another unit: "98.6 °F"; else ""."""
        observation = self.observation
        if observation.entered_value is None or observation.entered_unit in ("", observation.unit):
            return ""
        return f"{observation.entered_value.normalize():f} {unit_label(observation.entered_unit)}"


@dataclass(frozen=True)
class AmendmentView:
    amendment: NoteAmendment
    author_name: str


@dataclass(frozen=True)
class NoteView:
    note: ClinicalNote
    author_name: str
    signed_by_name: str
    amendments: list[AmendmentView]


@dataclass(frozen=True)
class EncounterDetail:
    """Everything recorded in an encounter that the user may see; None where they may not see a kind."""

    encounter: Encounter
    patient: Patient
    practitioner_name: str
    vitals: list[VitalRow] | None
    diagnoses: list[Diagnosis] | None
    allergies: list[Allergy] | None
    notes: list[NoteView] | None
    may: dict[str, bool] = field(default_factory=dict)
    no_known_allergies: NoKnownAllergies | None = None  # the current statement, if the user sees allergies

    @property
    def allergy_record(self) -> "AllergyRecord | None":
        """The allergies and the "no known allergies" statement, for the banner."""
        return None if self.allergies is None else AllergyRecord(self.allergies, self.no_known_allergies)


def encounter_detail(
    *, user: User, encounter_id: int, include_voided: bool = False, client_address: str | None = None
) -> EncounterDetail:
    """One encounter with its vitals, diagnoses, notes (and amendments) and the patient's allergies; audited.

    A voided encounter is still shown to staff (it is marked voided); voided vitals,
    diagnoses, notes and allergies only with `include_voided`. A patient sees signed notes
    only, and nothing voided.
    """
    with transaction.atomic(using=current_tenant().alias):
        encounter = encounter_access(user=user, encounter=encounter_id)
        patient = encounter.patient
        scope = permission_scope(user=user, resource=Resource.ENCOUNTER, action=Action.VIEW)
        own = scope == Scope.OWN
        if own and encounter.is_voided:  # entered in error: perhaps not even this patient's visit
            raise NotFound(ENCOUNTER_NOT_FOUND)
        vitals = diagnoses = allergies = notes = None
        nka: NoKnownAllergies | None = None
        if _may_view(user, patient, Resource.OBSERVATION, checked=scope):
            vitals = list(_maybe_voided(encounter.observations.all(), include_voided and not own))
        if _may_view(user, patient, Resource.DIAGNOSIS, checked=scope):
            diagnoses = list(_maybe_voided(encounter.diagnoses.all(), include_voided and not own))
        if _may_view(user, patient, Resource.ALLERGY, checked=scope):
            allergies = list(
                _maybe_voided(Allergy.objects.filter(patient=patient), include_voided and not own).order_by(
                    "status", "substance", "id"
                )
            )
            nka = nka_current(patient_id=patient.pk)
        if _may_view(user, patient, Resource.NOTE, checked=scope):
            note_rows = _maybe_voided(encounter.notes.all(), include_voided and not own)
            if permission_scope(user=user, resource=Resource.NOTE, action=Action.VIEW) == Scope.OWN:
                note_rows = note_rows.filter(status=ClinicalNote.Status.SIGNED)
            notes = list(note_rows.prefetch_related("amendments"))
        audit_row(
            user,
            "encounter.view",
            patient,
            client_address,
            resource="Encounter",
            encounter_id=encounter.pk,
            observation_ids=_ids(vitals),
            diagnosis_ids=_ids(diagnoses),
            allergy_ids=_ids(allergies),
            nka_id=nka.pk if nka is not None else None,
            note_ids=_ids(notes),
            include_voided=include_voided,
        )
    people: set[int | None] = {encounter.practitioner_user_id}
    people.update(o.recorded_by_id for o in vitals or ())
    for note in notes or ():
        people.update([note.author_id, note.signed_by_id])
        people.update(a.author_id for a in note.amendments.all())
    names = user_names(people)
    shown = hospital_units() if vitals else {}
    return EncounterDetail(
        encounter=encounter,
        patient=patient,
        practitioner_name=names.get(encounter.practitioner_user_id, ""),
        vitals=None
        if vitals is None
        else [
            VitalRow(
                o, VITALS.get(o.loinc_code), names.get(o.recorded_by_id, ""), shown.get(o.loinc_code, "")
            )
            for o in vitals
        ],
        diagnoses=diagnoses,
        allergies=allergies,
        notes=None if notes is None else [_note_view(note, names) for note in notes],
        may=encounter_permissions(user=user, encounter=encounter),
        no_known_allergies=nka,
    )


def encounter_permissions(*, user: User, encounter: Encounter) -> dict[str, bool]:
    """What `user` may do on the page of an encounter they may see (role and encounter state)."""

    def granted(resource: Resource, action: Action) -> bool:
        return permission_scope(user=user, resource=resource, action=action) is not None

    live = not encounter.is_voided
    in_progress = live and encounter.status == Encounter.Status.IN_PROGRESS
    return {
        "finish": in_progress and granted(Resource.ENCOUNTER, Action.UPDATE),
        "void_encounter": live and granted(Resource.ENCOUNTER, Action.VOID),
        "record_vitals": in_progress and granted(Resource.OBSERVATION, Action.CREATE),
        "void_observation": live and granted(Resource.OBSERVATION, Action.VOID),
        "add_diagnosis": live and granted(Resource.DIAGNOSIS, Action.CREATE),
        "void_diagnosis": live and granted(Resource.DIAGNOSIS, Action.VOID),
        "record_allergy": granted(Resource.ALLERGY, Action.CREATE),
        "update_allergy": granted(Resource.ALLERGY, Action.UPDATE),
        "void_allergy": granted(Resource.ALLERGY, Action.VOID),
        "add_problem": live and granted(Resource.DIAGNOSIS, Action.CREATE),
        "write_note": live and granted(Resource.NOTE, Action.CREATE),
        "sign_note": live and granted(Resource.NOTE, Action.SIGN),
        "amend_note": live and granted(Resource.NOTE, Action.UPDATE),
        "void_note": live and granted(Resource.NOTE, Action.VOID),
    }


def appointment_list_startable(
    *, user: User, patient_id: int, client_address: str | None = None
) -> list[Appointment]:
    """The patient's appointments with `user` (a doctor) to start an encounter from; audited.

    Booked, arrived, and in consultation with no encounter yet (the desk or the doctor called
    the patient in with the day list's button before the encounter was started).
    """
    permission_require(user=user, resource=Resource.ENCOUNTER, action=Action.CREATE)
    with transaction.atomic(using=current_tenant().alias):
        patient = patient_access(
            user=user, patient_id=patient_id, resource=Resource.ENCOUNTER, action=Action.CREATE
        )
        appointments = list(
            Appointment.objects.filter(
                patient=patient,
                practitioner_user_id=user.pk,
                status__in=ENCOUNTER_STARTABLE,
                encounter__isnull=True,
            ).order_by("starts_at", "id")[:50]
        )
        APPOINTMENT_LIST.record(appointments, user, client_address, about=patient, purpose="encounter.start")
    return appointments


@dataclass(frozen=True)
class AllergyRecord:
    """A patient's allergies and what is stated about them: their "no known allergies", if current."""

    allergies: list[Allergy]
    no_known: NoKnownAllergies | None
    no_known_by: str = ""  # who stated it

    @property
    def summary(self) -> str:
        """What the banner says when no allergy is active: the two are different statements."""
        if any(a.status == Allergy.Status.ACTIVE and not a.is_voided for a in self.allergies):
            return ""
        return "No known allergies" if self.no_known is not None else "Allergies not recorded"


def allergy_record_for_patient(
    *,
    user: User,
    patient_id: int,
    include_inactive: bool = True,
    include_voided: bool = False,
    client_address: str | None = None,
) -> AllergyRecord:
    """The patient's allergies, active first (entered-in-error ones only with `include_voided`), and
    their current "no known allergies"; audited."""
    with transaction.atomic(using=current_tenant().alias):
        patient = patient_access(
            user=user, patient_id=patient_id, resource=Resource.ALLERGY, action=Action.VIEW
        )
        own = permission_scope(user=user, resource=Resource.ALLERGY, action=Action.VIEW) == Scope.OWN
        queryset = _maybe_voided(Allergy.objects.filter(patient=patient), include_voided and not own)
        if not include_inactive:
            queryset = queryset.filter(status=Allergy.Status.ACTIVE)
        nka = nka_current(patient_id=patient.pk)
        allergies = ALLERGY_LIST.rows(
            queryset.order_by("status", "substance", "id"),
            user,
            client_address,
            about=patient,
            include_voided=include_voided,
            nka_id=nka.pk if nka is not None else None,
        )
    for allergy in allergies:
        allergy.patient = patient
    by = user_names([nka.recorded_by_id]).get(nka.recorded_by_id, "") if nka is not None else ""
    return AllergyRecord(allergies, nka, by)


def allergy_list_for_patient(
    *,
    user: User,
    patient_id: int,
    include_inactive: bool = True,
    include_voided: bool = False,
    client_address: str | None = None,
) -> list[Allergy]:
    """The patient's allergies, active first; entered-in-error ones only with `include_voided`; audited."""
    return allergy_record_for_patient(
        user=user,
        patient_id=patient_id,
        include_inactive=include_inactive,
        include_voided=include_voided,
        client_address=client_address,
    ).allergies


def nka_current(*, patient_id: int) -> NoKnownAllergies | None:
    """The patient's current "no known allergies" statement (not superseded, not entered in error).

    Not scoped or audited: for callers that have checked the user's right to the patient's
    allergies and audit what they show.
    """
    return NoKnownAllergies.objects.live().filter(patient_id=patient_id, superseded_at=None).first()


@dataclass(frozen=True)
class ProblemRow:
    problem: ProblemListItem
    recorded_by_name: str
    encounter_id: int | None  # of the diagnosis it was added from


def problem_list_for_patient(
    *,
    user: User,
    patient_id: int,
    include_resolved: bool = True,
    include_voided: bool = False,
    client_address: str | None = None,
) -> list[ProblemRow]:
    """The patient's problem list: active, then inactive, then resolved (the latest onset first
    in each); entered-in-error ones only with `include_voided` (never to the patient); audited."""
    with transaction.atomic(using=current_tenant().alias):
        patient = patient_access(
            user=user, patient_id=patient_id, resource=Resource.DIAGNOSIS, action=Action.VIEW
        )
        own = permission_scope(user=user, resource=Resource.DIAGNOSIS, action=Action.VIEW) == Scope.OWN
        queryset = _maybe_voided(ProblemListItem.objects.filter(patient=patient), include_voided and not own)
        if not include_resolved:
            queryset = queryset.exclude(status=ProblemListItem.Status.RESOLVED)
        problems = PROBLEM_LIST.rows(
            queryset.select_related("diagnosis").order_by(
                "status", models.F("onset_date").desc(nulls_last=True), "id"
            ),
            user,
            client_address,
            about=patient,
            include_voided=include_voided,
        )
    names = user_names(p.recorded_by_id for p in problems)
    rows = []
    for problem in problems:
        problem.patient = patient
        encounter_id = problem.diagnosis.encounter_id if problem.diagnosis is not None else None
        rows.append(ProblemRow(problem, names.get(problem.recorded_by_id, ""), encounter_id))
    return rows


def note_detail(*, user: User, note_id: int, client_address: str | None = None) -> NoteView:
    """One clinical note with its amendments; audited. A patient gets signed notes of their own only."""
    with transaction.atomic(using=current_tenant().alias):
        note = record_access(ClinicalNote, note_id, user=user, resource=Resource.NOTE, action=Action.VIEW)
        own = permission_scope(user=user, resource=Resource.NOTE, action=Action.VIEW) == Scope.OWN
        if own and (not note.is_signed or note.is_voided):
            raise NotFound(NOT_FOUND[ClinicalNote])
        amendments = list(note.amendments.all())
        audit_row(
            user,
            "note.view",
            note,
            client_address,
            note_id=note.pk,
            encounter_id=note.encounter_id,
            amendment_ids=_ids(amendments),
        )
    names = user_names([note.author_id, note.signed_by_id, *(a.author_id for a in amendments)])
    return NoteView(
        note=note,
        author_name=names.get(note.author_id, ""),
        signed_by_name=names.get(note.signed_by_id, "") if note.signed_by_id else "",
        amendments=[AmendmentView(a, names.get(a.author_id, "")) for a in amendments],
    )


def _may_view(user: User, patient: Patient, resource: Resource, *, checked: Scope | None) -> bool:
    """Whether `user` may view `resource` of `patient`, whose encounters they see with scope `checked`."""
    scope = permission_scope(user=user, resource=resource, action=Action.VIEW)
    if scope is None:
        return False
    if scope in (Scope.ALL, checked):  # the same record-level check the encounter passed
        return True
    try:
        patient_access(user=user, patient_id=patient.pk, resource=resource, action=Action.VIEW)
    except NotFound:
        return False
    return True


def _maybe_voided(queryset: VoidableQuerySet[LiveRow], include_voided: bool) -> VoidableQuerySet[LiveRow]:
    return queryset if include_voided else queryset.live()


def _ids(rows: Iterable[models.Model] | None) -> list[int] | None:
    return None if rows is None else [row.pk for row in rows]


def _note_view(note: ClinicalNote, names: dict[int, str]) -> NoteView:
    return NoteView(
        note=note,
        author_name=names.get(note.author_id, ""),
        signed_by_name=names.get(note.signed_by_id, "") if note.signed_by_id else "",
        amendments=[AmendmentView(a, names.get(a.author_id, "")) for a in note.amendments.all()],
    )


def allergy_list_active(*, patient_id: int) -> list[Allergy]:
    """The patient's active allergies that were not entered in error, for safety checks (prescribing).

    Not scoped or audited: the caller has already checked its own right to the patient
    and audits the action the check guards.
    """
    return list(
        Allergy.objects.live()
        .filter(patient_id=patient_id, status=Allergy.Status.ACTIVE)
        .order_by("substance", "id")
    )


def weight_latest(*, patient_id: int) -> Observation | None:
    """The patient's last recorded body weight (LOINC 29463-7, kg) not entered in error, for dose checks.

    Not scoped or audited, like allergy_list_active: the prescribing service that asks has
    checked its right to the patient and audits what it does.
    """
    return (
        Observation.objects.live()
        .filter(patient_id=patient_id, loinc_code=WEIGHT)
        .order_by("-recorded_at", "-id")
        .first()
    )
