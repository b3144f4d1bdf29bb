"""A small outpatient clinic for the browser tests of each role's day, built through the
hospital's own services (as its administrator, desk, doctor and nurse would), so that the
pages show what a real day leaves behind.

The hospital's time zone is one without clock changes where it is mid-morning now, so that a
slot later today is free to book, whatever hour the tests run at.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hms.accounts.models import Role, User
from hms.billing.services import billing_settings_update, price_item_create
from hms.encounters.models import Encounter
from hms.encounters.services import allergy_record, encounter_finish, encounter_start
from hms.orders.models import LabOrder
from hms.orders.services import lab_order_collect, lab_order_create, lab_result_enter, prescription_create
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.services import appointment_book, appointment_status_set, working_hours_set
from hms.scheduling.wallclock import hospital_zone
from hms.tenancy.context import hospital_context
from hms.web.tests.test_look_and_feel import unlabelled

CODE = "RGH001"
# Zones that keep one offset all year, by their offset from UTC in hours.
STEADY_ZONES = {
    -11: "Pacific/Pago_Pago",
    -10: "Pacific/Honolulu",
    -9: "Pacific/Gambier",
    -8: "Pacific/Pitcairn",
    -7: "America/Phoenix",
    -6: "America/Regina",
    -5: "America/Bogota",
    -4: "America/La_Paz",
    -3: "America/Argentina/Buenos_Aires",
    -2: "Atlantic/South_Georgia",
    -1: "Atlantic/Cape_Verde",
    0: "Africa/Abidjan",
    1: "Africa/Lagos",
    2: "Africa/Maputo",
    3: "Africa/Nairobi",
    4: "Asia/Dubai",
    5: "Asia/Karachi",
    6: "Asia/Dhaka",
    7: "Asia/Bangkok",
    8: "Asia/Singapore",
    9: "Asia/Tokyo",
    10: "Australia/Brisbane",
    11: "Pacific/Guadalcanal",
    12: "Pacific/Tarawa",
}
# The clinic opens 08:00-18:00 every day of the week, in 30-minute slots; it is 10:xx now.
OPENS, CLOSES, SLOT_MINUTES, NOW_HOUR = datetime.time(8), datetime.time(18), 30, 10
# "LOINC 2345-7", UCUM's "10*3/uL", "[degF]", "mm[Hg]", "Cel": what people should never read. (A
# price list's own codes, "58410-2" for a blood count's price, are the hospital's words for its prices.)
CODE_SYSTEM_STRINGS = re.compile(r"\bLOINC\b|10\*-?\d|\[[A-Za-z_]+\]|\bCel\b")
PEOPLE = {
    # username: role, first and last name
    "rgh_admin": (Role.ADMIN, "Asha", "Roy"),
    "dr_karim": (Role.DOCTOR, "Karim", "Ahmed"),
    "nurse_nila": (Role.NURSE, "Nila", "Sen"),
    "desk": (Role.RECEPTIONIST, "Rina", "Das"),
}
PRICES = [
    ("CONSULT", "Consultation", "consultation", "1000"),
    ("58410-2", "Full blood count", "lab", "400"),
    ("PARACETAMOL", "Paracetamol 500 mg tablets", "drug", "2"),
]


def look(screen: Any, name: str) -> None:
    """The checks of every page of a role's day: a screenshot, no sideways scrolling
    (`Screen.check`), every field with a label, and no LOINC code or raw UCUM unit in sight."""
    screen.check(name)
    missing = unlabelled(screen.page.content())
    assert not missing, f"{name}: fields without a label: {missing}"
    jargon = CODE_SYSTEM_STRINGS.findall(screen.page.inner_text("body"))
    assert not jargon, f"{name} shows code systems' strings to people: {jargon}"


def mid_morning_zone(now: datetime.datetime | None = None) -> str:
    """A steady time zone where the local time is 10:xx at `now` (default: the current instant)."""
    hour = (now or timezone.now()).astimezone(datetime.UTC).hour
    offset = (NOW_HOUR - hour + 11) % 24 - 11
    return STEADY_ZONES[offset]


@dataclass
class Clinic:
    """The hospital, its people by username and its patients by given name."""

    people: dict[str, User]
    patients: dict[str, Patient] = field(default_factory=dict)

    @property
    def doctor(self) -> User:
        return self.people["dr_karim"]

    def book(self, patient: str, at: datetime.time, reason: str) -> Appointment:
        """The desk books `patient` with the doctor today at `at` (local time)."""
        with hospital_context(CODE):
            return appointment_book(
                acting_user=self.people["desk"],
                patient=self.patients[patient],
                practitioner_user_id=self.doctor.pk,
                local_date=timezone.now().astimezone(hospital_zone()).date(),
                local_time=at,
                duration_minutes=SLOT_MINUTES,
                reason=reason,
            )

    def arrive(self, appointment: Appointment) -> None:
        """The desk marks the patient arrived."""
        with hospital_context(CODE):
            appointment_status_set(
                acting_user=self.people["desk"],
                appointment_id=appointment.pk,
                new_status=Appointment.Status.ARRIVED,
            )

    def start_visit(self, appointment: Appointment) -> Encounter:
        """The doctor starts the visit of a booked appointment."""
        with hospital_context(CODE):
            return encounter_start(
                acting_user=self.doctor,
                patient=appointment.patient_id,
                appointment=appointment.pk,
                reason=appointment.reason,
            )

    def visit(self, patient: str, at: datetime.time, reason: str) -> Encounter:
        """A booked patient has arrived and the doctor has started the visit."""
        appointment = self.book(patient, at, reason)
        self.arrive(appointment)
        return self.start_visit(appointment)

    def finish(self, encounter: Encounter) -> None:
        with hospital_context(CODE):
            encounter_finish(acting_user=self.doctor, encounter=encounter.pk)

    def full_blood_count(self, encounter: Encounter) -> None:
        self._lab_order(encounter, "58410-2", "Fever")

    def glucose(self, encounter: Encounter) -> None:
        self._lab_order(encounter, "2345-7", "Tired and thirsty")

    def glucose_resulted(self, encounter: Encounter, value: str) -> None:
        """A glucose ordered, its specimen collected and its result (mmol/L) entered by the nurse:
        it waits for the doctor's verification."""
        (order,) = self._lab_order(encounter, "2345-7", "Tired and thirsty")
        nurse = self.people["nurse_nila"]
        with hospital_context(CODE):
            lab_order_collect(acting_user=nurse, order_id=order.pk)
            lab_result_enter(acting_user=nurse, order_id=order.pk, value=value, unit="mmol/L")

    def _lab_order(self, encounter: Encounter, code: str, note: str) -> list[LabOrder]:
        with hospital_context(CODE):
            return lab_order_create(
                acting_user=self.doctor, encounter_id=encounter.pk, test_code=code, clinical_note=note
            )

    def paracetamol(self, encounter: Encounter) -> None:
        with hospital_context(CODE):
            prescription_create(
                acting_user=self.doctor,
                encounter_id=encounter.pk,
                drug_name="Paracetamol 500 mg tablets",
                dose=Decimal(1),
                dose_unit="tablet",
                route="oral",
                frequency="QDS",
                duration_days=3,
                quantity=Decimal(12),
            )


def clinic_build(make_hospital, make_user) -> Clinic:
    """Riverside General: an administrator, a doctor with working hours every day, a nurse, the
    desk, a price list, and five patients (Farhana Chowdhury is severely allergic to penicillin)."""
    hospital = make_hospital(CODE, name="Riverside General Hospital", time_zone=mid_morning_zone())
    people = {}
    for username, (role, first, last) in PEOPLE.items():
        user = make_user(username, role=role, hospital=hospital)
        user.first_name, user.last_name = first, last
        user.save()
        people[username] = user
    clinic = Clinic(people)
    admin = people["rgh_admin"]
    with hospital_context(CODE):
        for weekday in range(7):
            working_hours_set(
                acting_user=admin,
                practitioner_user_id=clinic.doctor.pk,
                weekday=weekday,
                periods=[(OPENS, CLOSES)],
                slot_minutes=SLOT_MINUTES,
            )
        billing_settings_update(
            acting_user=admin, currency="BDT", invoice_prefix="RGH", address="Riverside Road"
        )
        for code, name, category, price in PRICES:
            price_item_create(
                acting_user=admin, code=code, name=name, category=category, unit_price=Decimal(price)
            )
        for given, family, born, sex in [
            ("Farhana", "Chowdhury", datetime.date(1988, 3, 14), Patient.Sex.FEMALE),
            ("Farid", "Hossain", datetime.date(1975, 11, 2), Patient.Sex.MALE),
            ("Rahima", "Khatun", datetime.date(1962, 6, 30), Patient.Sex.FEMALE),
            ("Abdul", "Malik", datetime.date(1990, 1, 9), Patient.Sex.MALE),
            ("Sadia", "Islam", datetime.date(2001, 8, 21), Patient.Sex.FEMALE),
        ]:
            clinic.patients[given] = PatientFactory(
                given_name=given, family_name=family, birth_date=born, sex=sex, phone="+880-1711-000000"
            )
        allergy_record(
            acting_user=people["nurse_nila"],
            patient=clinic.patients["Farhana"],
            substance="Penicillin",
            category="medication",
            severity="severe",
            reaction="Anaphylaxis",
        )
    return clinic
