"""A demo hospital's clinic life: a month of history, the next two weeks booked, today under way.

The services refuse to write in the past (no bookings before now; encounters, vital
signs and orders are stamped now), so the history is written with the models
directly, in one transaction, obeying every rule the services and the database hold:
bookings inside working hours and never overlapping, vital signs converted and flagged
by hms.encounters.vitals, billable ICD-10-CM codes, signed notes, valid prescriptions
that respect allergies, lab results entered by a nurse, validated by the laboratory
scientist (the ordering doctor where there is none) and flagged by the lab catalogue,
one invoice per finished encounter numbered as the billing service numbers them,
payments never above the balance. The history gets one audit row naming what was
written. The future bookings, today's live work and what hms.demo.records makes (the
critical results, problem lists, "no known allergies") go through the real services,
so they are audited one by one.
"""

import datetime
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from hms.accounts.models import Role, User
from hms.audit.services import audit_record
from hms.billing.models import Invoice, InvoiceCounter, InvoiceLine, Payment, PriceListItem
from hms.billing.money import money_round
from hms.billing.services import SEQUENCE_DIGITS, billing_settings_get, invoice_line_of
from hms.care.assignments import care_assign
from hms.clinical.ages import age_on
from hms.clinical.profiles import clinical_profile
from hms.clinical.renal import egfr
from hms.core.display import unit_label
from hms.core.exceptions import ApplicationError
from hms.demo import clinical
from hms.demo.data.allergies import (
    ALLERGIC_SHARE,
    ALLERGIES,
    NO_KNOWN_ALLERGIES_SHARE,
    PORTAL_PATIENT_ALLERGY,
    AllergySpec,
)
from hms.demo.data.billing import (
    DEFAULT_PAYMENT_METHODS,
    DEMO_PAYMENT_METHODS,
    PART_PAYMENT_SHARES,
    PAYMENT_REFERENCES,
)
from hms.demo.data.clinic import CANCEL_REASONS, DURATIONS, SLOT_TIMES
from hms.demo.data.conditions import CHRONIC, CONDITIONS, PORTAL_PATIENT_CONDITIONS, Condition
from hms.demo.data.critical import CRITICAL_CASES, REPORTED_WITHIN_CLINIC_DAYS, CriticalCase
from hms.demo.records import (
    HeldPanel,
    critical_results_report,
    nka_seed,
    problem_lists_seed,
    result_text,
)
from hms.encounters import vitals
from hms.encounters.allergens import allergen_match
from hms.encounters.icd10 import code_set
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, Observation
from hms.encounters.services import encounter_start, note_amend, observation_of, observation_record_vitals
from hms.encounters.services.observations import bmi_for_age
from hms.orders.formulary import formulary_name_match
from hms.orders.lab_catalogue import ADULT_YEARS, LabPanel, LabTest, Range
from hms.orders.models import FormularyDrug, LabOrder, LabResult, Prescription
from hms.orders.services.lab_results import CREATININE
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.scheduling.services import appointment_book, appointment_status_set
from hms.scheduling.wallclock import hospital_zone, local_day_bounds, local_to_utc
from hms.scheduling.workweek import working_weekdays
from hms.staff.models import StaffMember
from hms.tenancy.context import current_tenant

S = Appointment.Status
MINUTE = datetime.timedelta(minutes=1)
# A visit this long after its start is over: seen, noted, billed and paid.
VISIT_CLOSED = datetime.timedelta(minutes=45)
# Bookings made through the service start at least this far ahead, so none falls into the past.
BOOKING_LEAD = datetime.timedelta(minutes=10)
# Booked patients starting within this window count as today's live clinic.
LIVE_WINDOW = datetime.timedelta(hours=2)
BOOKED_AHEAD = datetime.timedelta(days=3)
PAEDIATRIC_AGE = 16
NORMAL_FLAGS = (LabResult.Flag.NORMAL, "")


@dataclass
class ActivityCounts:
    appointments: int = 0
    encounters: int = 0
    notes: int = 0
    prescriptions: int = 0
    lab_results: int = 0
    invoices: int = 0
    payments: int = 0


@dataclass
class HospitalActivity:
    code: str
    written: bool
    reason: str = ""  # why nothing was written
    counts: ActivityCounts = field(default_factory=ActivityCounts)


def activity_counts() -> ActivityCounts:
    """What the current hospital holds (live rows), for the command's summary."""
    return ActivityCounts(
        appointments=Appointment.objects.count(),
        encounters=Encounter.objects.live().count(),
        notes=ClinicalNote.objects.live().count(),
        prescriptions=Prescription.objects.live().count(),
        lab_results=LabResult.objects.count(),
        invoices=Invoice.objects.live().count(),
        payments=Payment.objects.live().count(),
    )


@dataclass(frozen=True)
class Cast:
    """The people who do the work in the demo: one of each staff role, and the doctors; the
    laboratory scientist if the hospital has one (else the ordering doctor validates results)."""

    admin: User
    nurse: User
    receptionist: User
    doctors: list[User]
    specialties: dict[int, str]
    lab: User | None = None

    def is_paediatrician(self, doctor: User) -> bool:
        return self.specialties.get(doctor.pk, "").lower() in ("paediatrics", "pediatrics")

    @property
    def adult_doctor(self) -> User:
        """The first doctor who is not a paediatrician (the portal users' and the critical results')."""
        return next((d for d in self.doctors if not self.is_paediatrician(d)), self.doctors[0])


def cast_find(code: str) -> Cast | None:
    """The hospital's active staff by role (first by username), or None if a role other than the
    laboratory's is missing."""
    active = dict(StaffMember.objects.filter(is_active=True).values_list("user_id", "specialty"))
    users = list(
        User.objects.select_related("hospital")
        .filter(hospital__code=code, is_active=True, pk__in=list(active))
        .order_by("username")
    )
    first = {role: next((u for u in users if u.role == role), None) for role in Role}
    doctors = [u for u in users if u.role == Role.DOCTOR]
    admin, nurse, desk = first[Role.ADMIN], first[Role.NURSE], first[Role.RECEPTIONIST]
    if admin is None or nurse is None or desk is None or not doctors:
        return None
    return Cast(admin, nurse, desk, doctors, {d.pk: active[d.pk] for d in doctors}, first[Role.LAB])


@dataclass
class Profile:
    pk: int
    birth_date: datetime.date
    person: clinical.Person
    chronic: list[str]
    allergy: AllergySpec | None
    portal: bool


@dataclass(frozen=True)
class Slot:
    """A time in a doctor's clinic that may be booked."""

    doctor: User
    date: datetime.date
    local_time: datetime.time
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    kind: str  # history (over), current (under way, written directly), future (booked by the service)


@dataclass
class Booking:
    """A slot given to a patient, with why they come and (for the history) how it went."""

    slot: Slot
    patient: Profile
    condition: Condition
    status: str = S.BOOKED


Busy = dict[datetime.date, dict[int, list[Slot]]]  # each day's slots of each patient (by pk)


def demo_activity_seed(
    *, history_days: int, future_days: int, now: datetime.datetime, rng: random.Random
) -> HospitalActivity:
    """Fill the current hospital with clinic activity, unless it already has some."""
    tenant = current_tenant()
    if Appointment.objects.exists() or Encounter.objects.exists():
        return HospitalActivity(
            tenant.code, False, "it already has appointments or encounters", activity_counts()
        )
    cast = cast_find(tenant.code)
    if cast is None:
        reason = "it has no admin, nurse, receptionist or doctor on its staff"
        return HospitalActivity(tenant.code, False, reason, activity_counts())
    prices = {item.code: item for item in PriceListItem.objects.filter(is_active=True)}
    problems = clinical.demo_content_problems(price_codes=set(prices))
    if problems:
        raise ApplicationError(
            "The demo's clinical content breaks the clinical rules: " + "; ".join(problems)
        )
    zone = hospital_zone()
    today = now.astimezone(zone).date()
    profiles = _profiles(rng, today)
    if not profiles:
        return HospitalActivity(tenant.code, False, "it has no patients", activity_counts())
    slots = _plan(rng, cast=cast, zone=zone, now=now, history_days=history_days, future_days=future_days)
    bookings = _assign(rng, slots, profiles=profiles, cast=cast, today=today)
    held = _critical_visits(bookings, cast=cast)
    panels: list[HeldPanel] = []
    with transaction.atomic(using=tenant.alias):
        patients = Patient.objects.in_bulk([p.pk for p in profiles])
        if history_days > 0:
            writer = HistoryWriter(
                rng, cast=cast, zone=zone, now=now, prices=prices, code=tenant.code, held=held
            )
            writer.write(profiles, [b for b in bookings if b.slot.kind in ("history", "current")], patients)
            panels = writer.held_panels
        for booking in bookings:
            if booking.slot.kind == "future":
                _book(cast, booking, patients[booking.patient.pk])
        _live_clinic(rng, cast=cast, zone=zone, now=now, profiles=profiles, units=_units())
        critical_results_report(nurse=cast.nurse, lab=cast.lab, panels=panels, today=today)
        problem_lists_seed(
            rng,
            doctors={d.pk: d for d in cast.doctors},
            chronic={p.pk: p.chronic for p in profiles},
            born={p.pk: p.birth_date for p in profiles},
        )
        nka_seed(
            rng,
            nurse=cast.nurse,
            allergy_free=[p.pk for p in profiles if p.allergy is None],
            share=NO_KNOWN_ALLERGIES_SHARE,
        )
    return HospitalActivity(tenant.code, True, counts=activity_counts())


# Planning


def _profiles(rng: random.Random, today: datetime.date) -> list[Profile]:
    profiles = []
    rows = list(Patient.objects.order_by("mrn").values_list("pk", "birth_date", "sex", "user_id"))
    allergic = set(rng.sample(range(len(rows)), round(len(rows) * ALLERGIC_SHARE) or min(len(rows), 1)))
    for number, (pk, birth, sex, user_id) in enumerate(rows):
        months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
        months = max(months, 0)
        age = months // 12
        height, weight = clinical.body_baseline(rng, age_months=months, sex=sex)
        chronic = clinical.chronic_conditions(rng, age=age, sex=sex)
        allergy = rng.choice(ALLERGIES) if number in allergic else None
        if user_id is not None:  # a portal user's record: make sure it has something to show
            chronic = chronic or [
                code for code in PORTAL_PATIENT_CONDITIONS if age >= CONDITIONS[code].min_age
            ]
            allergy = allergy or PORTAL_PATIENT_ALLERGY
        person = clinical.Person(months, sex, weight, height)
        profiles.append(Profile(pk, birth, person, chronic, allergy, user_id is not None))
    return profiles


def _plan(
    rng: random.Random,
    *,
    cast: Cast,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
    history_days: int,
    future_days: int,
) -> list[Slot]:
    """Each doctor's clinic on the hospital's working days, 09:00-17:00 local: 6-8 patients a day
    so far, 3-5 a day ahead."""
    today = now.astimezone(zone).date()
    days = [today + datetime.timedelta(days=offset) for offset in range(-history_days, future_days + 1)]
    worked, slots = set(working_weekdays()), []
    for date in days:
        if date.weekday() not in worked:
            continue
        for doctor in cast.doctors:
            count = rng.randint(6, 8) if date <= today else rng.randint(3, 5)
            for index in sorted(rng.sample(range(len(SLOT_TIMES)), count)):
                start = local_to_utc(date=date, time=SLOT_TIMES[index], zone=zone)
                end = start + datetime.timedelta(minutes=rng.choice(DURATIONS))
                if date < today or start + VISIT_CLOSED <= now:
                    kind = "history"
                elif start < now + BOOKING_LEAD:
                    kind = "current"
                else:
                    kind = "future"
                if kind != "future" and history_days == 0:
                    continue
                slots.append(Slot(doctor, date, SLOT_TIMES[index], start, end, kind))
    slots.sort(key=lambda s: (s.starts_at, s.doctor.username))
    return slots


def _assign(
    rng: random.Random, slots: list[Slot], *, profiles: list[Profile], cast: Cast, today: datetime.date
) -> list[Booking]:
    """Give slots a patient (never two overlapping visits of one patient), a reason and a status.

    The bookings come in the order of their slots; a slot nobody is free for stays a gap.
    """
    bookings: dict[Slot, Booking] = {}
    busy: Busy = defaultdict(lambda: defaultdict(list))
    for portal in (p for p in profiles if p.portal):
        own = [s for s in slots if s.doctor == cast.adult_doctor]
        past = sorted({s.date for s in own if s.kind == "history" and s.date < today})
        wanted = {past[i] for i in {0, len(past) // 2, len(past) - 1}} if past else set()
        chosen = [next(s for s in own if s.date == date and s.kind == "history") for date in sorted(wanted)]
        chosen += [s for s in own if s.kind == "future"][:1]
        for number, slot in enumerate(chosen):
            booking = bookings[slot] = _give(rng, slot, portal, cast, busy)
            if portal.chronic:  # their record follows their long-term conditions
                booking.condition = CONDITIONS[portal.chronic[number % len(portal.chronic)]]
            if slot.kind == "history":
                booking.status = S.COMPLETED
    children = [p for p in profiles if p.person.age < PAEDIATRIC_AGE]
    adults = [p for p in profiles if p.person.age >= PAEDIATRIC_AGE]
    for slot in slots:
        if slot in bookings:
            continue
        pool = (children if cast.is_paediatrician(slot.doctor) else adults) or profiles
        profile = _free_patient(rng, slot, pool, busy) or _free_patient(rng, slot, profiles, busy)
        if profile is None:
            continue  # every patient is busy then: the doctor has a gap
        booking = bookings[slot] = _give(rng, slot, profile, cast, busy)
        if slot.kind == "history":
            draw = rng.random()
            booking.status = S.COMPLETED if draw < 0.85 else S.NO_SHOW if draw < 0.93 else S.CANCELLED
    return [bookings[slot] for slot in slots if slot in bookings]


def _give(rng: random.Random, slot: Slot, profile: Profile, cast: Cast, busy: Busy) -> Booking:
    condition = clinical.visit_condition(
        rng,
        months=age_on(profile.birth_date, slot.date).months,
        chronic=profile.chronic,
        specialty=cast.specialties.get(slot.doctor.pk, ""),
    )
    busy[slot.date][profile.pk].append(slot)
    return Booking(slot, profile, condition)


def _critical_visits(bookings: list[Booking], *, cast: Cast) -> dict[Slot, CriticalCase]:
    """The visits whose panel the laboratory reports as the demo starts (data/critical.py): for each
    case, the adult patient seen by the adult doctor in their last clinic days who fits it best (the
    case's age, sex and absent conditions; a first visit here), at their last visit of the history,
    the older cases at earlier visits. The visit becomes one for the case's condition; a long-term
    condition is the patient's from then on (their problem list)."""
    completed = [b for b in bookings if b.slot.kind == "history" and b.status == S.COMPLETED]
    visits: dict[int, int] = defaultdict(int)  # each patient's visits
    last: dict[int, Booking] = {}  # each patient's last visit, in the order of the slots
    for booking in completed:
        visits[booking.patient.pk] += 1
        last[booking.patient.pk] = booking
    candidates = [
        b
        for b in last.values()
        if b.slot.doctor == cast.adult_doctor
        and not b.patient.portal
        and age_on(b.patient.birth_date, b.slot.date).years >= 18
    ]
    recent = sorted({b.slot.date for b in candidates})[-REPORTED_WITHIN_CLINIC_DAYS:]
    candidates = [b for b in candidates if b.slot.date in recent]
    chosen: dict[Slot, CriticalCase] = {}
    for case in reversed(CRITICAL_CASES):  # the latest case first: the older ones before it
        taken = {b.patient.pk for b in candidates if b.slot in chosen}
        free = [b for b in candidates if b.patient.pk not in taken]
        if not free:
            break
        earlier = [b for b in free if all(b.slot.starts_at < slot.starts_at for slot in chosen)]
        booking = max(earlier or free, key=partial(_case_fit, case, visits))
        chosen[booking.slot] = case
        booking.condition = CONDITIONS[case.condition]
        if booking.condition.code not in booking.patient.chronic and not booking.condition.drawn:
            booking.patient.chronic.append(booking.condition.code)
    return chosen


def _case_fit(
    case: CriticalCase, visits: Mapping[int, int], booking: Booking
) -> tuple[bool, bool, bool, bool, datetime.datetime]:
    """How well a visit suits a critical case, best last: the patient without the conditions the
    case avoids, of its ages and sex, on a first visit here; then the latest."""
    patient = booking.patient
    years = age_on(patient.birth_date, booking.slot.date).years
    return (
        not set(case.without) & set(patient.chronic),
        case.ages[0] <= years <= case.ages[1],
        not case.sex or patient.person.sex == case.sex,
        visits[patient.pk] == 1,
        booking.slot.starts_at,
    )


def _free_patient(rng: random.Random, slot: Slot, pool: Sequence[Profile], busy: Busy) -> Profile | None:
    """A patient born by the slot's day, usually with nothing else that day, else free at that time."""
    day = busy[slot.date]
    born = [p for p in pool if p.birth_date <= slot.date]
    if not born:
        return None
    for _ in range(12):
        candidate = rng.choice(born)
        if candidate.pk not in day:
            return candidate
    for candidate in rng.sample(born, len(born)):
        if all(s.ends_at <= slot.starts_at or slot.ends_at <= s.starts_at for s in day.get(candidate.pk, ())):
            return candidate
    return None


def _units() -> dict[str, str]:
    """The units the hospital's nurses type vital signs in (UCUM): its clinical profile's."""
    profile = clinical_profile()
    return {
        "temperature": profile.temperature_unit,
        "weight": profile.weight_unit,
        "height": profile.height_unit,
    }


# The history, written directly


def _minutes(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=rng.randint(low, high))


@dataclass
class Visit:
    """One finished encounter and what was done in it, before it is written."""

    booking: Booking
    appointment: Appointment
    encounter: Encounter
    observations: list[Observation] = field(default_factory=list)
    bmi_sources: tuple[Observation, Observation] | None = None
    diagnoses: list[Diagnosis] = field(default_factory=list)
    prescriptions: list[Prescription] = field(default_factory=list)
    lab_orders: list[LabOrder] = field(default_factory=list)
    lab_results: list[tuple[LabOrder, LabResult]] = field(default_factory=list)
    note: ClinicalNote | None = None
    invoice: Invoice | None = None
    lines: list[InvoiceLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


class HistoryWriter:
    """Writes the past visits of one hospital in bulk, with the same values the services would store."""

    def __init__(
        self,
        rng: random.Random,
        *,
        cast: Cast,
        zone: zoneinfo.ZoneInfo,
        now: datetime.datetime,
        prices: dict[str, PriceListItem],
        code: str,
        held: Mapping[Slot, CriticalCase] | None = None,
    ) -> None:
        self.rng = rng
        self.cast = cast
        self.zone = zone
        self.now = now
        self.prices = prices
        self.units = _units()
        self.codes = code_set()  # the hospital's diagnosis code system
        profile = clinical_profile()
        self.country = profile.country  # for its own products (the sachet of oral rehydration salts)
        self.lab_units_for = profile.lab_units_for  # SI or conventional, by test
        # Each patient's latest verified result of each test, as the visits are written in time order.
        self.results: dict[tuple[int, str], LabResult] = {}
        self.patients: dict[int, Patient] = {}  # the patients' records, by pk
        self.methods = DEMO_PAYMENT_METHODS.get(code, DEFAULT_PAYMENT_METHODS)
        self.settings = billing_settings_get()
        self.seen: set[tuple[int, int]] = set()  # (patient, doctor) pairs already seen: follow-ups
        # Prescriptions name the hospital's formulary drug (every demo drug is in the seeded one).
        self.formulary = list(FormularyDrug.objects.filter(is_active=True))
        # The visits whose panel is collected and left for the laboratory to report through the
        # services (hms.demo.records), and those panels once ordered.
        self.held = dict(held or {})
        self.held_panels: list[HeldPanel] = []

    def write(self, profiles: list[Profile], bookings: list[Booking], patients: dict[int, Patient]) -> None:
        self.patients.update(patients)
        allergies = self._allergies(profiles)
        visits: list[Visit] = []
        appointments = []
        for booking in bookings:
            appointment = self._appointment(booking)
            appointments.append(appointment)
            if appointment.status == S.COMPLETED:
                visits.append(self._visit(booking, appointment, allergies.get(booking.patient.pk)))
        Allergy.objects.bulk_create(allergies.values())
        Appointment.objects.bulk_create(appointments)
        for visit in visits:
            visit.encounter.appointment = visit.appointment
        Encounter.objects.bulk_create([v.encounter for v in visits])
        self._children_save(visits)
        invoices = sorted((v.invoice for v in visits if v.invoice), key=_issued_at)
        self._invoices_number(invoices)
        Invoice.objects.bulk_create(invoices)
        InvoiceLine.objects.bulk_create(self._flat(visits, "lines"))
        Payment.objects.bulk_create(self._flat(visits, "payments"))
        written: dict[str, list[Any]] = {
            "allergies": list(allergies.values()),
            "appointments": appointments,
            "encounters": [v.encounter for v in visits],
            "observations": [o for v in visits for o in v.observations],
            "diagnoses": [d for v in visits for d in v.diagnoses],
            "notes": [v.note for v in visits if v.note],
            "prescriptions": [p for v in visits for p in v.prescriptions],
            "lab_orders": [o for v in visits for o in v.lab_orders],
            "lab_results": [r for v in visits for _, r in v.lab_results],
            "invoices": invoices,
            "invoice_lines": [line for v in visits for line in v.lines],
            "payments": [p for v in visits for p in v.payments],
        }
        first_day = bookings[0].slot.starts_at if bookings else self.now
        self._timestamps_backdate(written, first_day=first_day)
        audit_record(
            acting_user=self.cast.admin,
            action="demo.history",
            resource="DemoHistory",
            detail={
                "source": "seed_demo",
                "from": bookings[0].slot.starts_at.isoformat() if bookings else None,
                "to": self.now.isoformat(),
                "patient_ids": sorted({b.patient.pk for b in bookings} | set(allergies)),
                **{name: _id_summary(rows) for name, rows in written.items()},
            },
        )

    # Rows

    def _allergies(self, profiles: list[Profile]) -> dict[int, Allergy]:
        return {
            p.pk: Allergy(
                patient_id=p.pk,
                substance=p.allergy.substance,
                allergen_code=allergen_match(p.allergy.substance),
                category=p.allergy.category,
                reaction=p.allergy.reaction,
                severity=p.allergy.severity,
                recorded_by_id=self.cast.nurse.pk,
            )
            for p in profiles
            if p.allergy is not None
        }

    def _appointment(self, booking: Booking) -> Appointment:
        slot = booking.slot
        rng, status = self.rng, booking.status if slot.kind == "history" else S.BOOKED
        appointment = Appointment(
            patient_id=booking.patient.pk,
            practitioner_user_id=slot.doctor.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status=status,
            reason=booking.condition.reason,
            booked_by_id=self.cast.receptionist.pk,
        )
        if status == S.NO_SHOW:
            appointment.status_changed_at = slot.starts_at + _minutes(rng, 15, 30)
            appointment.status_changed_by_id = self.cast.receptionist.pk
        elif status == S.CANCELLED:
            appointment.status_changed_at = slot.starts_at - _minutes(rng, 90, 48 * 60)
            appointment.status_changed_by_id = self.cast.receptionist.pk
            appointment.cancel_reason = rng.choice(CANCEL_REASONS)
        return appointment

    def _visit(self, booking: Booking, appointment: Appointment, allergy: Allergy | None) -> Visit:
        rng, doctor = self.rng, booking.slot.doctor
        started = booking.slot.starts_at + _minutes(rng, 0, 8)
        ended = started + _minutes(rng, 10, 22)
        appointment.status_changed_at, appointment.status_changed_by_id = ended, doctor.pk
        profile, condition = booking.patient, booking.condition
        encounter = Encounter(
            patient_id=profile.pk,
            practitioner_user_id=doctor.pk,
            status=Encounter.Status.FINISHED,
            started_at=started,
            ended_at=ended,
            reason=condition.reason,
        )
        visit = Visit(booking, appointment, encounter)
        measured = self._vitals(visit, started + _minutes(rng, 1, 4))
        secondary = [
            CONDITIONS[code]
            for code in profile.chronic
            if condition.code in CHRONIC and code != condition.code and rng.random() < 0.5
        ]
        treated_all = [condition, *secondary]
        for treated in treated_all:
            kind = Diagnosis.Kind.PRIMARY if treated is condition else Diagnosis.Kind.SECONDARY
            entry = clinical.icd10_entry(treated, self.codes.key)
            visit.diagnoses.append(
                Diagnosis(
                    encounter=encounter,
                    patient_id=profile.pk,
                    icd10_code=entry.code,
                    code_system=self.codes.key,
                    code_system_version=self.codes.version,
                    description=entry.description,
                    kind=kind,
                    certainty=Diagnosis.Certainty.CONFIRMED,
                    recorded_by_id=doctor.pk,
                )
            )
        prescribed = clinical.prescriptions_for(
            treated_all, profile.person, [allergy.substance] if allergy is not None else [], self.country
        )
        earlier = self._abnormal_before(profile.pk, condition, started)
        follow_up = ""
        if earlier is not None:  # the last result this condition watches was abnormal: act on it
            prescribed = clinical.dose_stepped(prescribed, condition)
            follow_up = (
                f"Last {result_text(earlier)} on {earlier.entered_at.astimezone(self.zone):%Y-%m-%d}: "
            )
            follow_up += condition.results_plan
        prescribed_at = started + (ended - started) * 3 / 4
        for _, rx in prescribed:
            visit.prescriptions.append(
                clinical.rx_prescription(
                    rx,
                    formulary_drug=formulary_name_match(rx.drug_name, self.formulary),
                    encounter=encounter,
                    patient_id=profile.pk,
                    prescriber_id=doctor.pk,
                    starts_at=prescribed_at,
                    ends_at=prescribed_at + datetime.timedelta(days=rx.duration_days or 1),
                )
            )
        lab_items = self._labs(visit, treated_all, started + _minutes(rng, 3, 8))
        procedure = ""
        if condition.procedure and rng.random() < condition.procedure[1]:
            procedure = condition.procedure[0]
        entry = clinical.icd10_entry(condition, self.codes.key)
        sections = clinical.note_sections(
            rng,
            condition=condition,
            code=entry.code,
            description=entry.description,
            secondary=[(d.icd10_code, d.description) for d in visit.diagnoses[1:]],
            vitals_summary=clinical.vitals_text(measured),
            prescriptions=[rx for _, rx in prescribed],
            lab_names=[item.short_name if isinstance(item, LabTest) else item.name for item in lab_items],
            procedure_name=self.prices[procedure].name if procedure else "",
            follow_up=follow_up,
        )
        visit.note = ClinicalNote(
            encounter=encounter,
            patient_id=profile.pk,
            author_id=doctor.pk,
            status=ClinicalNote.Status.SIGNED,
            signed_at=ended,
            signed_by_id=doctor.pk,
            **sections,
        )
        self._invoice(visit, ended, lab_items, procedure, [rx for _, rx in prescribed])
        self.seen.add((profile.pk, doctor.pk))
        return visit

    def _vitals(self, visit: Visit, at: datetime.datetime) -> dict[str, Decimal]:
        profile = visit.booking.patient
        day = at.astimezone(self.zone).date()
        subject = vitals.patient_subject(profile.birth_date, profile.person.sex, "", day)
        typed = clinical.vital_signs(
            self.rng,
            patient=profile.person,
            age=subject.age,
            signs=visit.booking.condition.signs,
            units=self.units,
        )
        measured = {
            code: vitals.vital_measure(code, value, unit, subject=subject)
            for code, (value, unit) in typed.items()
        }
        bmi = vitals.bmi_measure(
            weight_kg=measured[vitals.WEIGHT].number, height_cm=measured[vitals.HEIGHT].number
        )
        bmi = bmi_for_age(bmi, self.patients[profile.pk], subject)  # a child's centile, none under 2
        rows = {}
        for code, measurement in [*measured.items(), (vitals.BMI, bmi)]:
            rows[code] = observation_of(
                visit.encounter, measurement, recorded_by_id=self.cast.nurse.pk, recorded_at=at
            )
        visit.observations = list(rows.values())
        visit.bmi_sources = (rows[vitals.WEIGHT], rows[vitals.HEIGHT])
        return {code: row.value for code, row in rows.items() if row.value is not None}

    def _labs(
        self, visit: Visit, treated: list[Condition], ordered_at: datetime.datetime
    ) -> list[LabPanel | LabTest]:
        rng, now, sex = self.rng, self.now, visit.booking.patient.person.sex
        case = self.held.get(visit.booking.slot)
        if case is not None:
            return [self._held_panel(visit, case, ordered_at)]
        ranges: dict[str, tuple[str, str]] = {}
        for condition in treated:
            ranges.update(condition.lab_ranges)
            ranges.update(condition.lab_ranges_by_sex.get(sex, {}))
        items: list[LabPanel | LabTest] = []
        for condition in treated:
            for code, chance in condition.labs:
                item, tests = clinical.lab_tests(code, self.lab_units_for)
                if item in items or rng.random() >= chance:
                    continue
                items.append(item)
                collected = ordered_at + _minutes(rng, 10, 45)
                if condition.urgent_labs:  # reported within the hour, reviewed at once
                    entered = collected + _minutes(rng, 40, 75)
                    verified = entered + _minutes(rng, 5, 30)
                else:
                    entered = collected + _minutes(rng, 120, 480)
                    verified = self._daytime(entered + _minutes(rng, 60, 1200))
                for test in tests:
                    order = self._lab_order(visit, item, test, ordered_at, condition)
                    visit.lab_orders.append(order)
                    if collected > now:
                        continue
                    self._collected(order, collected)
                    if entered > now:
                        continue
                    result = self._result(order, test, visit.booking.patient, ranges, entered, verified)
                    visit.lab_results.append((order, result))
                    if result.verified_at is not None:
                        self.results[(visit.booking.patient.pk, test.code)] = result
                    order.status = LabOrder.Status.VERIFIED if verified <= now else LabOrder.Status.RESULTED
        return items

    def _held_panel(
        self, visit: Visit, case: CriticalCase, ordered_at: datetime.datetime
    ) -> LabPanel | LabTest:
        """The case's panel ordered at the visit and collected during it (before now: the visit is
        over), its results left for the laboratory (hms.demo.records)."""
        item, tests = clinical.lab_tests(case.panel, self.lab_units_for)
        collected = ordered_at + _minutes(self.rng, 5, 30)
        orders = [self._lab_order(visit, item, test, ordered_at, visit.booking.condition) for test in tests]
        for order in orders:
            self._collected(order, collected)
        visit.lab_orders.extend(orders)
        self.held_panels.append(HeldPanel(case, orders, visit.booking.slot.doctor))
        return item

    @staticmethod
    def _lab_order(
        visit: Visit,
        item: LabPanel | LabTest,
        test: LabTest,
        ordered_at: datetime.datetime,
        condition: Condition,
    ) -> LabOrder:
        """The order of `test` (alone or of the panel `item`) by the visit's doctor, for `condition`."""
        return LabOrder(
            encounter=visit.encounter,
            patient_id=visit.booking.patient.pk,
            ordered_by_id=visit.booking.slot.doctor.pk,
            ordered_at=ordered_at,
            test_code=test.code,
            test_name=test.name,
            panel_code=item.code if isinstance(item, LabPanel) else "",
            priority=LabOrder.Priority.URGENT if condition.urgent_labs else LabOrder.Priority.ROUTINE,
            clinical_note=condition.reason,
        )

    def _collected(self, order: LabOrder, at: datetime.datetime) -> None:
        """The specimen taken by the nurse at `at`."""
        order.status = LabOrder.Status.COLLECTED
        order.collected_at, order.collected_by_id = at, self.cast.nurse.pk

    def _daytime(self, instant: datetime.datetime) -> datetime.datetime:
        """`instant`, or if it falls at night in the hospital, the next morning (results are validated
        by day)."""
        local = instant.astimezone(self.zone)
        if 8 <= local.hour < 20:
            return instant
        morning = local.date() + datetime.timedelta(days=1 if local.hour >= 20 else 0)
        start = local_to_utc(date=morning, time=datetime.time(8, 0), zone=self.zone)
        return start + _minutes(self.rng, 0, 90)

    def _result(
        self,
        order: LabOrder,
        test: LabTest,
        patient: Profile,
        ranges: Mapping[str, tuple[str, str]],
        entered: datetime.datetime,
        verified: datetime.datetime,
    ) -> LabResult:
        """The result as the result service stores it: in the hospital's reporting unit with that
        unit's LOINC code, read against the patient's age and sex (a creatinine with its eGFR)."""
        age = age_on(patient.birth_date, entered.astimezone(self.zone).date())
        sex = patient.person.sex
        reading = clinical.lab_reading(
            self.rng, test, age=age, sex=sex, ranges=ranges, lab_units=self.lab_units_for(test.code)
        )
        form, limits = reading.form, reading.limits
        reference = Range(form.limit(limits.reference.low), form.limit(limits.reference.high))
        result = LabResult(
            order=order,
            value_numeric=reading.value,
            unit=form.unit,
            loinc_code=form.code,
            entered_value=f"{reading.value:f}",
            entered_unit=form.unit,
            reference_low=reference.low,
            reference_high=reference.high,
            critical_low=form.limit(limits.critical.low),
            critical_high=form.limit(limits.critical.high),
            reference_text=f"{reference} {unit_label(form.unit)}" if str(reference) else "",
            reference_note=limits.note,
            flag=reading.flag,
            entered_by_id=self.cast.nurse.pk,
            entered_at=entered,
        )
        if test.code == CREATININE:
            height = patient.person.height_cm if age.years < ADULT_YEARS else None
            estimate = egfr(
                creatinine_mg_dl=reading.conventional, age_years=age.years, sex=sex, height_cm=height
            )
            result.egfr = estimate.value
            result.egfr_note = estimate.reason
            if estimate.value is not None:
                result.egfr_note = f"{estimate.equation} (LOINC {estimate.code})"
                if height is not None:
                    result.egfr_note += (
                        f", from the height of {height.normalize():f} cm measured at the visit"
                    )
        if verified <= self.now:  # by the laboratory (else the ordering doctor), never whoever entered it
            validator = self.cast.lab.pk if self.cast.lab is not None else order.ordered_by_id
            result.verified_at, result.verified_by_id = verified, validator
        return result

    def _abnormal_before(
        self, patient_pk: int, condition: Condition, when: datetime.datetime
    ) -> LabResult | None:
        """The patient's latest result, verified before `when`, of a test `condition` watches (its
        lab_ranges) if it was abnormal and the condition says what to do then; else None."""
        if not condition.results_plan:
            return None
        found = [
            result
            for code in condition.lab_ranges
            if (result := self.results.get((patient_pk, code))) is not None
            and result.verified_at is not None
            and result.verified_at <= when
        ]
        latest = max(found, key=lambda r: r.entered_at, default=None)
        return latest if latest is not None and latest.flag not in NORMAL_FLAGS else None

    def _invoice(
        self,
        visit: Visit,
        ended: datetime.datetime,
        lab_items: list[LabPanel | LabTest],
        procedure: str,
        rxs: list[clinical.Rx],
    ) -> None:
        rng, desk = self.rng, self.cast.receptionist.pk
        follow_up = (visit.booking.patient.pk, visit.booking.slot.doctor.pk) in self.seen
        codes = ["FOLLOWUP" if follow_up else "CONSULT"]
        codes += [clinical.lab_price_code(item.code) for item in lab_items]
        codes += [procedure] if procedure else []
        codes += [rx.price_code for rx in rxs if rx.price_code and rng.random() < 0.4]  # dispensed here
        issued = ended + _minutes(rng, 2, 10)
        invoice = Invoice(
            encounter=visit.encounter,
            patient_id=visit.booking.patient.pk,
            status=Invoice.Status.ISSUED,
            currency=self.settings.currency,
            created_by_id=desk,
            issued_at=issued,
            issued_by_id=desk,
        )
        for code in codes:
            item = self.prices.get(code)
            if item is None:
                continue
            visit.lines.append(invoice_line_of(invoice, item, Decimal("1.00"), added_by_id=desk))
        if not visit.lines:
            return
        total = money_round(sum((line.line_total for line in visit.lines), Decimal(0)))
        draw = rng.random()
        if total == 0:
            invoice.status, invoice.paid_at = Invoice.Status.PAID, issued
        elif draw < 0.87:
            paid_in_full = draw < 0.75
            amount = total if paid_in_full else money_round(total * Decimal(rng.choice(PART_PAYMENT_SHARES)))
            received = issued + _minutes(rng, 0, 3)
            method = rng.choice(self.methods)
            visit.payments.append(
                Payment(
                    invoice=invoice,
                    amount=amount,
                    method=method,
                    reference=_payment_reference(rng, method),
                    received_by_id=desk,
                    received_at=received,
                )
            )
            if paid_in_full:
                invoice.status, invoice.paid_at = Invoice.Status.PAID, received
        visit.invoice = invoice

    # Saving

    def _children_save(self, visits: list[Visit]) -> None:
        Observation.objects.bulk_create(self._flat(visits, "observations"))
        through = Observation.derived_from.through
        links = []
        for visit in visits:
            bmi = visit.observations[-1]
            links += [
                through(from_observation_id=bmi.pk, to_observation_id=o.pk) for o in visit.bmi_sources or ()
            ]
        through.objects.bulk_create(links)
        Diagnosis.objects.bulk_create(self._flat(visits, "diagnoses"))
        ClinicalNote.objects.bulk_create([v.note for v in visits if v.note is not None])
        Prescription.objects.bulk_create(self._flat(visits, "prescriptions"))
        LabOrder.objects.bulk_create(self._flat(visits, "lab_orders"))
        LabResult.objects.bulk_create([result for visit in visits for _, result in visit.lab_results])

    @staticmethod
    def _flat(visits: list[Visit], name: str) -> list[Any]:
        # Each row holds its (now saved) parent object; bulk_create takes the parent's id from it.
        return [row for visit in visits for row in getattr(visit, name)]

    def _invoices_number(self, invoices: list[Invoice]) -> None:
        """Numbers in the order of issue, `<prefix>-<year>-<sequence>` as invoice_number_next makes them."""
        counters = dict(InvoiceCounter.objects.values_list("year", "last_sequence"))
        taken = set(Invoice.objects.exclude(number=None).values_list("number", flat=True))
        prefix = self.settings.invoice_prefix
        for invoice in invoices:
            year = _issued_at(invoice).astimezone(self.zone).year
            while True:
                counters[year] = counters.get(year, 0) + 1
                if counters[year] >= 10**SEQUENCE_DIGITS:
                    raise ApplicationError(f"This hospital has issued every invoice number of {year}.")
                number = f"{prefix}-{year}-{counters[year]:0{SEQUENCE_DIGITS}d}".lstrip("-")
                if number not in taken:
                    break
            invoice.number = number
            taken.add(number)
        for year, last in counters.items():
            InvoiceCounter.objects.update_or_create(year=year, defaults={"last_sequence": last})

    def _timestamps_backdate(self, written: dict[str, list[Any]], *, first_day: datetime.datetime) -> None:
        """created_at/updated_at as when it happened, not now (bulk_create stamps now)."""
        encounter_end = Subquery(Encounter.objects.filter(pk=OuterRef("encounter_id")).values("ended_at")[:1])
        invoice_issued = Subquery(Invoice.objects.filter(pk=OuterRef("invoice_id")).values("issued_at")[:1])
        changes: dict[str, tuple[type[models.Model], dict[str, Any]]] = {
            "allergies": (Allergy, {"created_at": first_day, "updated_at": first_day}),
            "appointments": (
                Appointment,
                {
                    "created_at": F("starts_at") - BOOKED_AHEAD,
                    "updated_at": Coalesce(F("status_changed_at"), F("starts_at") - BOOKED_AHEAD),
                },
            ),
            "encounters": (Encounter, {"created_at": F("started_at"), "updated_at": F("ended_at")}),
            "observations": (Observation, {"created_at": F("recorded_at"), "updated_at": F("recorded_at")}),
            "diagnoses": (Diagnosis, {"created_at": encounter_end, "updated_at": encounter_end}),
            "notes": (ClinicalNote, {"created_at": F("signed_at"), "updated_at": F("signed_at")}),
            "prescriptions": (Prescription, {"created_at": F("starts_at"), "updated_at": F("starts_at")}),
            "lab_orders": (LabOrder, {"created_at": F("ordered_at"), "updated_at": F("ordered_at")}),
            "lab_results": (
                LabResult,
                {"created_at": F("entered_at"), "updated_at": Coalesce(F("verified_at"), F("entered_at"))},
            ),
            "invoices": (
                Invoice,
                {"created_at": F("issued_at"), "updated_at": Coalesce(F("paid_at"), F("issued_at"))},
            ),
            "invoice_lines": (InvoiceLine, {"created_at": invoice_issued, "updated_at": invoice_issued}),
            "payments": (Payment, {"created_at": F("received_at"), "updated_at": F("received_at")}),
        }
        for name, (model, values) in changes.items():
            rows = written[name]
            if rows:
                ids = [row.pk for row in rows]
                model._default_manager.filter(pk__gte=min(ids), pk__lte=max(ids)).update(**values)


def _issued_at(invoice: Invoice) -> datetime.datetime:
    assert invoice.issued_at is not None, "the history's invoices are all issued"
    return invoice.issued_at


def _id_summary(rows: Sequence[Any]) -> dict[str, int | None]:
    ids = [row.pk for row in rows]
    return {"count": len(ids), "first_id": min(ids, default=None), "last_id": max(ids, default=None)}


def _payment_reference(rng: random.Random, method: str) -> str:
    number = rng.randint(100000, 999999)
    transaction_id = rng.randint(10**9, 10**10 - 1)  # drawn whatever the method: the draws stay in step
    return PAYMENT_REFERENCES.get(method, "").format(number=number, transaction_id=transaction_id)


# Through the services


def _book(cast: Cast, booking: Booking, patient: Patient) -> Appointment:
    slot = booking.slot
    return appointment_book(
        acting_user=cast.receptionist,
        patient=patient,
        practitioner_user_id=slot.doctor.pk,
        local_date=slot.date,
        local_time=slot.local_time,
        duration_minutes=int((slot.ends_at - slot.starts_at) / MINUTE),
        reason=booking.condition.reason,
    )


def _live_clinic(
    rng: random.Random,
    *,
    cast: Cast,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
    profiles: list[Profile],
    units: dict[str, str],
) -> None:
    """Today: the next booked patient is with the doctor (vital signs taken), two more have arrived.

    With nobody booked around now (a weekend, the evening), a walk-in is seen instead.
    A doctor also reviews the latest results of one of their patients and amends that note.
    """
    doctors = {d.pk: d for d in cast.doctors}
    by_pk = {p.pk: p for p in profiles}
    waiting = list(
        Appointment.objects.filter(
            status=S.BOOKED, starts_at__gte=now - VISIT_CLOSED, starts_at__lt=now + LIVE_WINDOW
        ).order_by("starts_at", "id")
    )
    if waiting:
        first = waiting[0]
        encounter = encounter_start(
            acting_user=doctors[first.practitioner_user_id], patient=first.patient_id, appointment=first.pk
        )
        profile, condition = by_pk[first.patient_id], None
        for appointment in waiting[1:3]:
            appointment_status_set(
                acting_user=cast.receptionist, appointment_id=appointment.pk, new_status=S.ARRIVED
            )
    else:
        doctor = cast.adult_doctor
        day_starts, day_ends = local_day_bounds(date=now.astimezone(zone).date(), zone=zone)
        booked_today = set(
            Appointment.objects.filter(starts_at__gte=day_starts, starts_at__lt=day_ends).values_list(
                "patient_id", flat=True
            )
        )
        free = [
            p for p in profiles if p.person.age >= PAEDIATRIC_AGE and p.pk not in booked_today
        ] or profiles
        profile = rng.choice(free)
        today = now.astimezone(zone).date()
        condition = clinical.visit_condition(rng, months=age_on(profile.birth_date, today).months, chronic=())
        # Reception sends the walk-in to the doctor, which puts the patient in their care.
        care_assign(
            acting_user=cast.receptionist,
            patient_id=profile.pk,
            clinician_user_id=doctor.pk,
            reason=f"Walk-in: {condition.reason}",
        )
        encounter = encounter_start(
            acting_user=doctor, patient=profile.pk, reason=f"Walk-in: {condition.reason}"
        )
    signs = condition.signs if condition else ()
    age = age_on(profile.birth_date, now.astimezone(zone).date())
    typed = clinical.vital_signs(rng, patient=profile.person, age=age, signs=signs, units=units)
    observation_record_vitals(acting_user=cast.nurse, encounter=encounter.pk, values=typed)
    _results_review(cast, now)


def _results_review(cast: Cast, now: datetime.datetime) -> None:
    """The latest verified result's doctor adds a 'results reviewed' amendment to that visit's note:
    the plan unchanged when every result is normal; else what the condition says to do about it."""
    result = (
        LabResult.objects.filter(verified_at__isnull=False, verified_at__lte=now)
        .select_related("order")
        .order_by("-verified_at", "-id")
        .first()
    )
    if result is None:
        return
    note = ClinicalNote.objects.filter(
        encounter_id=result.order.encounter_id, status=ClinicalNote.Status.SIGNED
    ).first()
    if note is None:
        return
    doctor = next((d for d in cast.doctors if d.pk == note.author_id), None)
    if doctor is None:
        return
    results = list(
        LabResult.objects.filter(order__encounter_id=note.encounter_id, verified_at__isnull=False)
        .select_related("order")
        .order_by("order_id")
    )
    summary = "; ".join(result_text(r) for r in results)
    action = "Patient informed; plan unchanged."
    if any(r.flag not in NORMAL_FLAGS for r in results):
        primary = Diagnosis.objects.filter(
            encounter_id=note.encounter_id, kind=Diagnosis.Kind.PRIMARY
        ).first()
        codes = code_set()
        condition = next(
            (
                c
                for c in CONDITIONS.values()
                if primary is not None and c.code_in(codes.key) == primary.icd10_code
            ),
            None,
        )
        plan = condition.results_plan if condition is not None else ""
        action = (
            f"Patient informed: {plan}" if plan else "Patient informed; to be discussed at the next review."
        )
    note_amend(
        acting_user=doctor,
        note=note.pk,
        text=f"Results reviewed: {summary}. {action}",
        reason="Lab results reviewed",
    )
