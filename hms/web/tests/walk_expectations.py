"""What every URL of the site should answer to whom: the table the authorization walk
(test_authorization_walk.py) checks each page against.

Each named URL outside `admin/` has one entry, keyed by its name. A hospital page names
the matrix cell it needs (`Resource`, `Action`, from hms.accounts.permissions) and the kind
of record that fills the ids in its address; the walk reads the expected answer for each
user from the matrix itself. Pages outside the matrix say who may see them: anyone,
anyone signed in, or any member of the hospital. A new URL without an entry fails the walk.
"""

from dataclasses import dataclass
from enum import StrEnum

from hms.accounts.models import Role
from hms.accounts.permissions import Action, Resource

R, A = Resource, Action


class Who(StrEnum):
    """Pages the matrix does not cover: who may open them."""

    ANONYMOUS = "anyone, signed in or not"
    SIGNED_IN = "any signed-in user"
    MEMBER = "any user who may enter the hospital"
    OPERATOR = "the platform's operator (SUPERADMIN) alone; any other user is refused"


@dataclass(frozen=True)
class Page:
    """A hospital page that needs `action` on `resource`; `record` names the kind of record
    whose id fills its address (None: no id). A page that shows a form and takes it (GET and
    POST) names what its POST needs in `post`; for a POST-only page `action` is the POST's."""

    resource: Resource
    action: Action
    record: str | None = None
    post: tuple[Resource, Action] | None = None


# Kinds of record, by the name of the address argument that carries its id.
ARGUMENT_RECORD = {
    "patient_id": "patient",
    "appointment_id": "appointment",
    "encounter_id": "encounter",
    "note_id": "note",
    "allergy_id": "allergy",
    "observation_id": "observation",
    "diagnosis_id": "diagnosis",
    "problem_id": "problem",
    "statement_id": "no_known_allergies",
    "prescription_id": "prescription",
    "order_id": "lab_order",
    "result_id": "lab_result",
    "invoice_id": "invoice",
    "line_id": "line",
    "payment_id": "payment",
    "refund_id": "refund",
    "item_id": "price_item",
    "member_id": "staff_member",
    "access_id": "emergency_access",
    "alert_id": "critical_alert",
}

# Records that belong to no patient: the hospital's own (scope ALL only).
HOSPITAL_RECORDS = {"price_item", "staff_member"}

EXPECTED: dict[str, Who | Page] = {
    # Accounts and sign-in: outside any hospital.
    "login": Who.ANONYMOUS,
    "logout": Who.SIGNED_IN,
    "account": Who.SIGNED_IN,
    "password_change": Who.SIGNED_IN,
    "password_change_done": Who.SIGNED_IN,
    "password_reset": Who.ANONYMOUS,
    "password_reset_done": Who.ANONYMOUS,
    "password_reset_confirm": Who.ANONYMOUS,
    "password_reset_complete": Who.ANONYMOUS,
    "mfa-setup": Who.SIGNED_IN,
    "mfa-setup-qr": Who.SIGNED_IN,
    "mfa-verify": Who.SIGNED_IN,
    "mfa-recovery-codes": Who.SIGNED_IN,
    "mfa-remove": Who.SIGNED_IN,
    "home": Who.SIGNED_IN,
    # Operations (hms/ops): probes and metrics need no sign-in; /metrics answers only the
    # addresses HMS_METRICS_ALLOWED names (the test client's 127.0.0.1 among them).
    "healthz": Who.ANONYMOUS,
    "readyz": Who.ANONYMOUS,
    "metrics": Who.ANONYMOUS,
    # The platform console (hms/platform): the operator's list of hospitals and actions on one,
    # which name it in the form (an empty POST is refused as a form, 400).
    "platform:console": Who.OPERATOR,
    "platform:hospital": Who.OPERATOR,
    "platform:hospital-new": Who.OPERATOR,
    "platform:suspend": Who.OPERATOR,
    "platform:reactivate": Who.OPERATOR,
    "platform:backup": Who.OPERATOR,
    "platform:check": Who.OPERATOR,
    "platform:archive": Who.OPERATOR,
    "platform:remove-database": Who.OPERATOR,
    # The hospital's front page: each role's start page (hms.web.views), the platform operator's
    # without clinical data; the patient list (menu "Patients") only for those who may see it.
    "hospital-home": Who.MEMBER,
    "patient-list": Who.MEMBER,
    # The administrator's dashboard charts as CSV (revenue among them: payments, all patients).
    "dashboard-csv-appointments-per-day": Page(R.PAYMENT, A.VIEW),
    "dashboard-csv-new-patients-per-week": Page(R.PAYMENT, A.VIEW),
    "dashboard-csv-no-show-rate-per-week": Page(R.PAYMENT, A.VIEW),
    "dashboard-csv-revenue-per-day": Page(R.PAYMENT, A.VIEW),
    "accounts:lockouts": Page(R.LOCKOUT, A.VIEW),
    "accounts:lockout-clear": Page(R.LOCKOUT, A.UPDATE),
    "audit:log": Page(R.AUDIT_LOG, A.VIEW),
    # Care: break-the-glass, its review, walk-ins, the per-patient access report
    "care:emergency-start": Page(R.EMERGENCY_ACCESS, A.CREATE, "patient"),
    "care:emergency-list": Page(R.EMERGENCY_ACCESS, A.VIEW),
    "care:emergency-review": Page(R.EMERGENCY_ACCESS, A.UPDATE, "emergency_access"),
    "care:emergency-end": Page(R.EMERGENCY_ACCESS, A.CREATE, "emergency_access"),
    "care:assign": Page(R.CARE_ASSIGNMENT, A.CREATE, "patient", post=(R.CARE_ASSIGNMENT, A.CREATE)),
    "care:access-report": Page(R.AUDIT_LOG, A.VIEW, "patient"),
    # Critical result alerts: the list (a doctor's own, every one for the administrator), the
    # acknowledgement (an empty read-back is refused, 400, by the alert's own doctor) and the settings.
    "alerts:list": Page(R.CRITICAL_ALERT, A.VIEW),
    "alerts:acknowledge": Page(R.CRITICAL_ALERT, A.UPDATE, "critical_alert"),
    "alerts:settings": Page(R.ALERT_SETTINGS, A.VIEW, post=(R.ALERT_SETTINGS, A.UPDATE)),
    # Patients
    "patients:new": Page(R.PATIENT, A.CREATE, post=(R.PATIENT, A.CREATE)),
    "patients:detail": Page(R.PATIENT, A.VIEW, "patient"),
    "patients:death-record": Page(R.DEATH, A.CREATE, "patient"),
    "patients:death-undo": Page(R.DEATH, A.VOID, "patient"),
    "patients:edit": Page(R.PATIENT, A.UPDATE, "patient", post=(R.PATIENT, A.UPDATE)),
    "patients:identifier-new": Page(R.PATIENT, A.UPDATE, "patient"),
    "patients:next-of-kin-new": Page(R.PATIENT, A.UPDATE, "patient"),
    "patients:portal-link": Page(R.PATIENT, A.UPDATE, "patient"),
    "patients:portal-unlink": Page(R.PATIENT, A.UPDATE, "patient"),
    # Staff
    "staff:index": Page(R.STAFF, A.VIEW),
    "staff:department-new": Page(R.STAFF, A.UPDATE),
    "staff:member-new": Page(R.STAFF, A.CREATE),
    "staff:member-deactivate": Page(R.STAFF, A.UPDATE, "staff_member"),
    "staff:account-new": Page(R.STAFF, A.CREATE),
    "staff:member-reactivate": Page(R.STAFF, A.UPDATE, "staff_member"),
    "staff:member-password-reset": Page(R.STAFF, A.UPDATE, "staff_member"),
    # Scheduling
    "scheduling:day": Page(R.APPOINTMENT, A.VIEW),
    "scheduling:book": Page(R.APPOINTMENT, A.CREATE, post=(R.APPOINTMENT, A.CREATE)),
    "scheduling:book-patient": Page(R.APPOINTMENT, A.CREATE, "patient"),
    "scheduling:patient-picker": Page(R.APPOINTMENT, A.CREATE),
    "scheduling:hours": Page(R.SCHEDULE, A.VIEW, post=(R.SCHEDULE, A.CREATE)),
    "scheduling:rules": Page(R.SCHEDULE, A.VIEW, post=(R.SCHEDULE, A.UPDATE)),
    "clinical:profile": Page(R.CLINICAL_PROFILE, A.VIEW, post=(R.CLINICAL_PROFILE, A.UPDATE)),
    # The portal's booking page: a patient's own; staff are sent on to the desk's form (302).
    "scheduling:portal-book": Page(R.APPOINTMENT, A.CREATE, post=(R.APPOINTMENT, A.CREATE)),
    "scheduling:calendar-day": Page(R.APPOINTMENT, A.VIEW),
    "scheduling:calendar-week": Page(R.APPOINTMENT, A.VIEW),
    "scheduling:calendar-department": Page(R.APPOINTMENT, A.VIEW),
    "scheduling:patient": Page(R.APPOINTMENT, A.VIEW, "patient"),
    "scheduling:status": Page(R.APPOINTMENT, A.UPDATE, "appointment"),
    "scheduling:cancel": Page(R.APPOINTMENT, A.VIEW, "appointment", post=(R.APPOINTMENT, A.UPDATE)),
    "scheduling:reschedule": Page(R.APPOINTMENT, A.VIEW, "appointment", post=(R.APPOINTMENT, A.UPDATE)),
    # Encounters and what is recorded in them
    "encounters:patient": Page(R.ENCOUNTER, A.VIEW, "patient"),
    "encounters:start": Page(R.ENCOUNTER, A.CREATE, "patient"),
    "encounters:allergy-new": Page(R.ALLERGY, A.CREATE, "patient", post=(R.ALLERGY, A.CREATE)),
    "encounters:allergy-status": Page(R.ALLERGY, A.UPDATE, "allergy"),
    "encounters:allergy-void": Page(R.ALLERGY, A.VOID, "allergy"),
    "encounters:observation-void": Page(R.OBSERVATION, A.VOID, "observation"),
    "encounters:diagnosis-void": Page(R.DIAGNOSIS, A.VOID, "diagnosis"),
    "encounters:nka-new": Page(R.ALLERGY, A.CREATE, "patient"),
    "encounters:nka-void": Page(R.ALLERGY, A.VOID, "no_known_allergies"),
    "encounters:problems": Page(R.DIAGNOSIS, A.VIEW, "patient", post=(R.DIAGNOSIS, A.CREATE)),
    "encounters:problem-from-diagnosis": Page(R.DIAGNOSIS, A.CREATE),
    "encounters:problem-status": Page(R.DIAGNOSIS, A.UPDATE, "problem"),
    "encounters:problem-void": Page(R.DIAGNOSIS, A.VOID, "problem"),
    "encounters:note": Page(R.NOTE, A.VIEW, "note"),
    "encounters:note-edit": Page(R.NOTE, A.UPDATE, "note", post=(R.NOTE, A.UPDATE)),
    "encounters:note-sign": Page(R.NOTE, A.SIGN, "note"),
    "encounters:note-amend": Page(R.NOTE, A.UPDATE, "note"),
    "encounters:note-void": Page(R.NOTE, A.VOID, "note"),
    "encounters:detail": Page(R.ENCOUNTER, A.VIEW, "encounter"),
    "encounters:finish": Page(R.ENCOUNTER, A.UPDATE, "encounter"),
    "encounters:void": Page(R.ENCOUNTER, A.VOID, "encounter"),
    "encounters:vitals": Page(R.OBSERVATION, A.CREATE, "encounter", post=(R.OBSERVATION, A.CREATE)),
    "encounters:vitals-correct": Page(R.OBSERVATION, A.VOID, "encounter"),
    "encounters:diagnosis-new": Page(R.DIAGNOSIS, A.CREATE, "encounter", post=(R.DIAGNOSIS, A.CREATE)),
    "encounters:note-new": Page(R.NOTE, A.CREATE, "encounter", post=(R.NOTE, A.CREATE)),
    # Orders
    "orders:prescription-new": Page(R.PRESCRIPTION, A.CREATE, "encounter", post=(R.PRESCRIPTION, A.CREATE)),
    "orders:formulary-search": Page(R.PRESCRIPTION, A.CREATE),
    "orders:patient-prescriptions": Page(R.PRESCRIPTION, A.VIEW, "patient"),
    "orders:prescription-stop": Page(R.PRESCRIPTION, A.CREATE, "prescription"),
    "orders:prescription-complete": Page(R.PRESCRIPTION, A.CREATE, "prescription"),
    "orders:prescription-void": Page(R.PRESCRIPTION, A.VOID, "prescription"),
    "orders:lab-order-new": Page(R.LAB_ORDER, A.CREATE, "encounter", post=(R.LAB_ORDER, A.CREATE)),
    "orders:patient-lab-results": Page(R.LAB_ORDER, A.VIEW, "patient"),
    "orders:lab-worklist": Page(R.LAB_ORDER, A.VIEW),
    "orders:lab-order": Page(R.LAB_ORDER, A.VIEW, "lab_order"),
    "orders:lab-order-collect": Page(R.LAB_RESULT, A.CREATE, "lab_order"),
    "orders:lab-panel": Page(R.LAB_RESULT, A.CREATE, "lab_order", post=(R.LAB_RESULT, A.CREATE)),
    "orders:lab-result-enter": Page(R.LAB_RESULT, A.CREATE, "lab_order"),
    "orders:lab-order-cancel": Page(R.LAB_ORDER, A.CREATE, "lab_order"),
    "orders:lab-order-void": Page(R.LAB_ORDER, A.VOID, "lab_order"),
    "orders:lab-result-verify": Page(R.LAB_RESULT, A.VERIFY, "lab_result"),
    "orders:lab-result-correct": Page(R.LAB_RESULT, A.VERIFY, "lab_result"),
    # Billing. Its front page is a set of links for staff (and a patient's way to their own
    # invoices): no records of its own.
    "billing:home": Who.MEMBER,
    "billing:settings": Page(R.PRICE_LIST, A.UPDATE, post=(R.PRICE_LIST, A.UPDATE)),
    "billing:price-list": Page(R.PRICE_LIST, A.VIEW, post=(R.PRICE_LIST, A.CREATE)),
    "billing:price-item": Page(R.PRICE_LIST, A.VIEW, "price_item", post=(R.PRICE_LIST, A.UPDATE)),
    "billing:price-item-deactivate": Page(R.PRICE_LIST, A.UPDATE, "price_item"),
    "billing:price-item-reactivate": Page(R.PRICE_LIST, A.UPDATE, "price_item"),
    "billing:encounter": Page(R.INVOICE, A.VIEW, "encounter", post=(R.INVOICE, A.CREATE)),
    "billing:invoice": Page(R.INVOICE, A.VIEW, "invoice"),
    "billing:line-add": Page(R.INVOICE, A.UPDATE, "invoice"),
    "billing:line-remove": Page(R.INVOICE, A.UPDATE, "line"),
    "billing:lines-accept": Page(R.INVOICE, A.UPDATE, "invoice"),
    "billing:line-discount": Page(R.INVOICE, A.UPDATE, "line"),
    "billing:invoice-discount": Page(R.INVOICE, A.UPDATE, "invoice"),
    "billing:issue": Page(R.INVOICE, A.UPDATE, "invoice"),
    "billing:invoice-void": Page(R.INVOICE, A.VOID, "invoice"),
    "billing:payment-record": Page(R.PAYMENT, A.CREATE, "invoice"),
    "billing:payment-void": Page(R.PAYMENT, A.VOID, "payment"),
    "billing:payment-refund": Page(R.PAYMENT, A.VOID, "payment"),
    "billing:refund-void": Page(R.PAYMENT, A.VOID, "refund"),
    "billing:invoice-pdf": Page(R.INVOICE, A.VIEW, "invoice"),
    "billing:invoice-print": Page(R.INVOICE, A.VIEW, "invoice"),
    "billing:outstanding": Page(R.INVOICE, A.VIEW),
    "billing:patient-invoices": Page(R.INVOICE, A.VIEW, "patient"),
    "billing:takings": Page(R.PAYMENT, A.VIEW),
}

# Where the page asks for more than its matrix cell, or answers a scope in its own way:
# (URL name, role) -> the answer. "ok" (the page), "denied" (403 or 404), "missing" (404).
# Each has its reason; the walk checks these answers as strictly as the matrix's.
OVERRIDES: dict[tuple[str, str], tuple[str, str]] = {
    ("billing:takings", Role.RECEPTIONIST): ("denied", "the day's takings are the administrator's alone"),
    ("billing:takings", Role.PATIENT): ("denied", "the day's takings are the administrator's alone"),
    **{
        (f"dashboard-csv-{chart}", role): ("denied", "the dashboard's figures are the administrator's alone")
        for chart in (
            "appointments-per-day",
            "new-patients-per-week",
            "no-show-rate-per-week",
            "revenue-per-day",
        )
        for role in (Role.RECEPTIONIST, Role.PATIENT)
    },
    ("orders:lab-worklist", Role.PATIENT): ("denied", "the lab worklist is for nurses and doctors"),
    ("scheduling:day", Role.PATIENT): ("denied", "the day list is the desk's and the wards'"),
    ("scheduling:calendar-day", Role.PATIENT): ("denied", "the calendars are for the staff"),
    ("scheduling:calendar-week", Role.PATIENT): ("denied", "the calendars are for the staff"),
    ("scheduling:calendar-department", Role.PATIENT): ("denied", "the calendars are for the staff"),
    **{
        (name, Role.PATIENT): ("denied", "the desk's booking form: a patient books from the portal's page")
        for name in ("scheduling:book", "scheduling:patient-picker")
    },
    ("scheduling:status", Role.PATIENT): (
        "denied",
        "a patient's only change to an appointment is cancelling it",
    ),
    ("encounters:patient", Role.DOCTOR): (
        "ok",
        "outside their care a doctor gets the break-the-glass offer (no record), not a 404: a doctor "
        "may see every patient's demographics anyway (ADR 0011)",
    ),
    ("care:emergency-end", Role.DOCTOR): (
        "missing",
        "only its holder ends an emergency access; the walk's are held by a doctor who does not walk",
    ),
}

# What a POST carries when an empty one is refused as a form before the page decides who may
# send it: enough for the form to read, so that the refusal tested is the page's.
FILLED_POST: dict[str, dict[str, str]] = {
    "encounters:allergy-status": {"status": "inactive"},
    "encounters:problem-status": {"status": "inactive"},
    "scheduling:status": {"status": "arrived"},
}
# Pages that read a POSTed form before asking whether its sender may send it: a filled-in
# guess at their form is still refused as a form (400), nothing is done, and the service
# behind them refuses a valid one by the matrix (their apps' tests post valid forms). The
# walk accepts their 400 for a sender the matrix refuses.
FORM_FIRST = {
    "billing:line-add",
    "billing:price-item",
    "billing:price-list",
    "orders:lab-result-correct",
    "scheduling:hours",
    "scheduling:reschedule",
}
FILLED_DEFAULT = {
    "reason": "Checked by the authorization walk",
    "name": "Walk",
    "code": "WALK",
    "amount": "1.00",
    "method": "cash",
    "account": "1",
}

# Real authorization gaps the walk found and that are someone's open work: (URL name, role
# label, case) -> the bug. The walk expects the wrong answer while it lasts and fails once
# it is fixed, so that the entry is removed (as pytest's strict xfail does).
KNOWN_GAPS: dict[tuple[str, str, str], str] = {}

# URL namespaces with an authorization walk of their own, which this page walk leaves out:
# the REST API answers tokens, not sessions (hms/api/tests/test_matrix.py walks every role
# through every endpoint against the permission matrix); so does FHIR (hms/fhir/tests/test_matrix.py).
API_NAMESPACES = {"api", "fhir"}
