"""The demo hospitals, their users, departments, billing settings and price lists."""

from dataclasses import dataclass

DEMO_HOSPITALS = [
    ("TH001", "Test Hospital", "Asia/Dhaka"),
    ("DMC001", "Downtown Medical Center", "America/New_York"),
    ("TEST_HOSPITAL", "Test Hospital for Enterprise Features", "Europe/London"),
]

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
        try_this="today's clinic, an encounter in progress, lab results to verify",
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
        try_this="today's clinic, diabetes and hypertension follow-ups, results to verify",
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
        try_this="today's clinic, notes, prescriptions",
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
        "test_reception",
        "RECEPTIONIST",
        "TEST_HOSPITAL",
        "George",
        "Harris",
        department="FRONT",
        try_this="front desk: bookings, arrivals, invoices in GBP, takings",
    ),
]

DEMO_DEPARTMENTS = {
    "TH001": [
        ("General Medicine", "GENMED"),
        ("Paediatrics", "PAED"),
        ("Cardiology", "CARD"),
        ("Laboratory", "LAB"),
        ("Front Desk", "FRONT"),
        ("Administration", "ADMIN"),
    ],
    "DMC001": [
        ("Internal Medicine", "GENMED"),
        ("Pediatrics", "PAED"),
        ("Cardiology", "CARD"),
        ("Laboratory", "LAB"),
        ("Front Desk", "FRONT"),
        ("Administration", "ADMIN"),
    ],
    "TEST_HOSPITAL": [
        ("General Practice", "GENMED"),
        ("Paediatrics", "PAED"),
        ("Cardiology", "CARD"),
        ("Pathology", "LAB"),
        ("Reception", "FRONT"),
        ("Administration", "ADMIN"),
    ],
}

# currency, invoice number prefix, address printed on invoices
DEMO_BILLING = {
    "TH001": ("BDT", "TH", "House 12, Road 5, Dhanmondi, Dhaka 1205, Bangladesh"),
    "DMC001": ("USD", "DMC", "350 Park Avenue South, New York, NY 10010, USA"),
    "TEST_HOSPITAL": ("GBP", "TEST", "1 Hospital Way, London SE1 7EH, United Kingdom"),
}

# code, name, category, {currency: unit price}. Lab items use the lab catalogue's codes
# (panels by their LOINC panel code); a lab order is billed by its panel or its test.
DEMO_PRICES = [
    ("CONSULT", "Consultation, new patient", "consultation", {"BDT": "1000", "USD": "180", "GBP": "120"}),
    ("FOLLOWUP", "Follow-up consultation", "consultation", {"BDT": "600", "USD": "110", "GBP": "75"}),
    ("58410-2", "Complete blood count (CBC)", "lab", {"BDT": "400", "USD": "35", "GBP": "18"}),
    ("24321-2", "Basic metabolic panel (BMP)", "lab", {"BDT": "1200", "USD": "55", "GBP": "32"}),
    ("24331-1", "Lipid panel", "lab", {"BDT": "1100", "USD": "48", "GBP": "28"}),
    ("24325-3", "Hepatic function panel (LFT)", "lab", {"BDT": "1000", "USD": "52", "GBP": "30"}),
    ("4548-4", "Haemoglobin A1c", "lab", {"BDT": "900", "USD": "40", "GBP": "22"}),
    ("3016-3", "Thyroid stimulating hormone (TSH)", "lab", {"BDT": "800", "USD": "45", "GBP": "25"}),
    ("2345-7", "Glucose, serum", "lab", {"BDT": "150", "USD": "15", "GBP": "8"}),
    ("2160-0", "Creatinine, serum", "lab", {"BDT": "300", "USD": "18", "GBP": "10"}),
    ("882-1", "Blood group (ABO and Rh)", "lab", {"BDT": "200", "USD": "25", "GBP": "15"}),
    ("PROC-ECG", "12-lead ECG", "procedure", {"BDT": "500", "USD": "85", "GBP": "45"}),
    ("PROC-NEBULISATION", "Nebulisation", "procedure", {"BDT": "300", "USD": "60", "GBP": "35"}),
    ("PROC-INJECTION", "Injection (administration)", "procedure", {"BDT": "100", "USD": "25", "GBP": "15"}),
    ("PROC-DRESSING", "Wound dressing", "procedure", {"BDT": "250", "USD": "45", "GBP": "25"}),
    ("DRUG-AMLODIPINE-5", "Amlodipine 5 mg, 30 tablets", "drug", {"BDT": "150", "USD": "12", "GBP": "4"}),
    ("DRUG-METFORMIN-500", "Metformin 500 mg, 60 tablets", "drug", {"BDT": "180", "USD": "10", "GBP": "4"}),
    (
        "DRUG-ATORVASTATIN-20",
        "Atorvastatin 20 mg, 30 tablets",
        "drug",
        {"BDT": "300", "USD": "15", "GBP": "5"},
    ),
    ("DRUG-PARACETAMOL-500", "Paracetamol 500 mg, 32 tablets", "drug", {"BDT": "40", "USD": "6", "GBP": "2"}),
    (
        "DRUG-AMOXICILLIN-500",
        "Amoxicillin 500 mg, 21 capsules",
        "drug",
        {"BDT": "220", "USD": "14", "GBP": "5"},
    ),
    ("DRUG-OMEPRAZOLE-20", "Omeprazole 20 mg, 28 capsules", "drug", {"BDT": "160", "USD": "12", "GBP": "4"}),
    ("DRUG-SALBUTAMOL-INH", "Salbutamol 100 mcg inhaler", "drug", {"BDT": "350", "USD": "38", "GBP": "9"}),
    ("DRUG-ORS", "Oral rehydration salts, 10 sachets", "drug", {"BDT": "60", "USD": "8", "GBP": "4"}),
]

# Hospitals whose nurses type temperatures in °F, weights in lb and heights in inches.
DEMO_IMPERIAL_UNITS = {"DMC001"}
# How patients pay, in proportion.
DEMO_PAYMENT_METHODS = {
    "TH001": ["cash", "cash", "mobile_money", "mobile_money", "card"],
    "DMC001": ["card", "card", "insurance", "insurance", "cash"],
    "TEST_HOSPITAL": ["card", "card", "card", "cash", "insurance"],
}

DEFAULT_DEMO_PASSWORD = "demo-hms-2025"  # noqa: S105 - demo data, refused in production
DEMO_PATIENTS_PER_HOSPITAL = 300
DEMO_HISTORY_DAYS = 30
DEMO_FUTURE_DAYS = 14
