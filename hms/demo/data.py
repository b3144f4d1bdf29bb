"""The demo hospitals and users of the seed report."""

DEMO_HOSPITALS = [
    ("TH001", "Test Hospital", "Asia/Dhaka"),
    ("DMC001", "Downtown Medical Center", "America/New_York"),
    ("TEST_HOSPITAL", "Test Hospital for Enterprise Features", "Europe/London"),
]

# username, role, hospital code (None: platform-wide)
DEMO_USERS = [
    ("babo", "SUPERADMIN", "TH001"),
    ("admin", "PATIENT", "TH001"),
    ("dmc_admin", "ADMIN", "DMC001"),
    ("habib.ullah.doctor", "DOCTOR", "TH001"),
    ("mehedi", "DOCTOR", "TH001"),
    ("superadmin", "SUPERADMIN", None),
    ("test_admin", "ADMIN", "TEST_HOSPITAL"),
]

DEFAULT_DEMO_PASSWORD = "demo-hms-2025"  # noqa: S105 - demo data, refused in production
DEMO_PATIENTS_PER_HOSPITAL = 300
