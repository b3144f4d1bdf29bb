"""The demo hospitals and what sets them apart: departments, the locale of their patients' names,
and how much demo each one gets. Their clinical conventions (units, code system, working week)
are their clinical profiles', from the country of their time zone (hms.clinical.profiles)."""

from typing import NamedTuple


class DemoHospital(NamedTuple):
    code: str
    name: str
    time_zone: str


DEMO_HOSPITALS = [
    DemoHospital("TH001", "Test Hospital", "Asia/Dhaka"),
    DemoHospital("DMC001", "Downtown Medical Center", "America/New_York"),
    DemoHospital("TEST_HOSPITAL", "Test Hospital for Enterprise Features", "Europe/London"),
]

# Each hospital's departments: (name, code). Demo users name their department by code.
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

# Where the demo patients' names, addresses and phone numbers come from (Faker locales).
FAKER_LOCALES = {"TH001": "en_IN", "DMC001": "en_US", "TEST_HOSPITAL": "en_GB"}
DEFAULT_FAKER_LOCALE = "en_US"

DEMO_PATIENTS_PER_HOSPITAL = 300
DEMO_HISTORY_DAYS = 30
DEMO_FUTURE_DAYS = 14
