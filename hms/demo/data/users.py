"""The demo users: who can sign in, with which role, where, and what to try as them."""

from dataclasses import dataclass

# The seed report's users, exactly as it lists them: username, role, hospital code (None: platform-wide).
SEED_REPORT_USERS = [
    ("babo", "SUPERADMIN", "TH001"),
    ("admin", "PATIENT", "TH001"),
    ("dmc_admin", "ADMIN", "DMC001"),
    ("habib.ullah.doctor", "DOCTOR", "TH001"),
    ("mehedi", "DOCTOR", "TH001"),
    ("superadmin", "SUPERADMIN", None),
    ("test_admin", "ADMIN", "TEST_HOSPITAL"),
]


@dataclass(frozen=True)
class DemoUser:
    """A demo account and, for staff, their place on the hospital's staff."""

    username: str
    role: str
    hospital: str | None
    first_name: str = ""
    last_name: str = ""
    department: str = ""  # code of a department in DEMO_DEPARTMENTS
    specialty: str = ""  # doctors only
    licence_number: str = ""  # doctors and nurses only
    sex: str = ""  # portal users: the sex of the demo patient record they are linked to
    try_this: str = ""

    @property
    def as_tuple(self) -> tuple[str, str, str | None]:
        return (self.username, self.role, self.hospital)


DEMO_USERS = [
    # The seed report's seven (names left as the report has them: none).
    DemoUser("superadmin", "SUPERADMIN", None, try_this="/admin/; every hospital's home page"),
    DemoUser("babo", "SUPERADMIN", "TH001", try_this="platform administration (no clinical access)"),
    DemoUser(
        "admin", "PATIENT", "TH001", try_this="own record: visits, signed notes, verified results, bills"
    ),
    DemoUser(
        "habib.ullah.doctor",
        "DOCTOR",
        "TH001",
        department="GENMED",
        specialty="General Medicine",
        licence_number="BMDC-A-45872",
        try_this="today's clinic, an encounter in progress, a critical result to acknowledge",
    ),
    DemoUser(
        "mehedi",
        "DOCTOR",
        "TH001",
        department="PAED",
        specialty="Paediatrics",
        licence_number="BMDC-A-51230",
        try_this="children's clinic, prescriptions, notes",
    ),
    DemoUser(
        "dmc_admin",
        "ADMIN",
        "DMC001",
        department="ADMIN",
        try_this="staff, working hours, price list, audit log",
    ),
    DemoUser(
        "test_admin",
        "ADMIN",
        "TEST_HOSPITAL",
        department="ADMIN",
        try_this="staff, working hours, price list (GBP), audit log",
    ),
    # TH001 (Dhaka, BDT)
    DemoUser(
        "th001_admin",
        "ADMIN",
        "TH001",
        "Farhana",
        "Rahman",
        department="ADMIN",
        try_this="staff, working hours, price list (BDT), takings, audit log",
    ),
    DemoUser(
        "th001_nurse",
        "NURSE",
        "TH001",
        "Nusrat",
        "Jahan",
        department="LAB",
        licence_number="BNMC-RN-208341",
        try_this="vital signs, specimen collection and lab results",
    ),
    DemoUser(
        "th001_lab",
        "LAB",
        "TH001",
        "Tanvir",
        "Alam",
        department="LAB",
        try_this="lab worklist: validate results; a critical one alerts the ordering doctor",
    ),
    DemoUser(
        "th001_reception",
        "RECEPTIONIST",
        "TH001",
        "Rakib",
        "Hossain",
        department="FRONT",
        try_this="book appointments, mark arrivals, invoices and payments",
    ),
    # DMC001 (New York, USD)
    DemoUser(
        "dmc_dr_mitchell",
        "DOCTOR",
        "DMC001",
        "Sarah",
        "Mitchell",
        department="GENMED",
        specialty="Internal Medicine",
        licence_number="NY-MD-284519",
        try_this="today's clinic, diabetes and hypertension follow-ups, a critical result to acknowledge",
    ),
    DemoUser(
        "dmc_dr_okafor",
        "DOCTOR",
        "DMC001",
        "James",
        "Okafor",
        department="PAED",
        specialty="Pediatrics",
        licence_number="NY-MD-301776",
        try_this="pediatric clinic, weight-based prescriptions",
    ),
    DemoUser(
        "dmc_nurse",
        "NURSE",
        "DMC001",
        "Maria",
        "Gonzalez",
        department="GENMED",
        licence_number="NY-RN-655102",
        try_this="vital signs (entered in °F and lb, stored in UCUM units), lab worklist",
    ),
    DemoUser(
        "dmc_lab",
        "LAB",
        "DMC001",
        "Daniel",
        "Kim",
        department="LAB",
        try_this="lab worklist in conventional units: validate results; a critical one alerts the doctor",
    ),
    DemoUser(
        "dmc_reception",
        "RECEPTIONIST",
        "DMC001",
        "Kevin",
        "Brooks",
        department="FRONT",
        try_this="front desk: bookings, arrivals, invoices in USD, outstanding bills",
    ),
    DemoUser(
        "dmc_patient",
        "PATIENT",
        "DMC001",
        "Emily",
        "Carter",
        sex="female",
        try_this="own record: visits, signed notes, verified results, bills",
    ),
    # TEST_HOSPITAL (London, GBP)
    DemoUser(
        "test_dr_bennett",
        "DOCTOR",
        "TEST_HOSPITAL",
        "Oliver",
        "Bennett",
        department="GENMED",
        specialty="General Practice",
        licence_number="GMC-7041823",
        try_this="today's clinic, a critical result to acknowledge, notes, prescriptions",
    ),
    DemoUser(
        "test_dr_patel",
        "DOCTOR",
        "TEST_HOSPITAL",
        "Priya",
        "Patel",
        department="CARD",
        specialty="Cardiology",
        licence_number="GMC-7112964",
        try_this="cardiology clinic: blood pressure, lipids, ECGs",
    ),
    DemoUser(
        "test_nurse",
        "NURSE",
        "TEST_HOSPITAL",
        "Charlotte",
        "Evans",
        department="LAB",
        licence_number="NMC-14B2087E",
        try_this="vital signs, specimen collection and lab results",
    ),
    DemoUser(
        "test_lab",
        "LAB",
        "TEST_HOSPITAL",
        "Hannah",
        "Clarke",
        department="LAB",
        try_this="pathology worklist: validate results; a critical one alerts the ordering doctor",
    ),
    DemoUser(
        "test_reception",
        "RECEPTIONIST",
        "TEST_HOSPITAL",
        "George",
        "Harris",
        department="FRONT",
        try_this="front desk: bookings, arrivals, invoices in GBP, takings",
    ),
]

DEFAULT_DEMO_PASSWORD = "demo-hms-2025"  # noqa: S105 - demo data, refused in production

# A portal user is linked to an adult demo patient of these ages (years), old enough for the
# long-term conditions their record shows.
PORTAL_PATIENT_AGES = (35, 65)
