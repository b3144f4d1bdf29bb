"""The clinical apps keep the tenancy guarantees: nothing runs without a hospital selected, and
another hospital's user gets the 404 an unknown hospital gets, on every app's pages."""

import datetime
import decimal

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.selectors import audit_event_page
from hms.audit.services import audit_chain_verify
from hms.billing.selectors import outstanding_invoices, visits_to_invoice
from hms.billing.services import price_item_create
from hms.care.tests.factories import CareAssignmentFactory
from hms.encounters.models import Encounter
from hms.encounters.services import encounter_start
from hms.orders.selectors import lab_worklist
from hms.orders.services import lab_order_create
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.selectors import appointment_day_list
from hms.scheduling.services import appointment_cancel
from hms.staff.selectors import staff_list
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import NoHospitalSelected

CALLS = {
    "scheduling day list": lambda u, p: appointment_day_list(user=u, date=datetime.date(2026, 1, 5)),
    "scheduling cancel": lambda u, p: appointment_cancel(acting_user=u, appointment_id=1, reason="x"),
    "encounter start": lambda u, p: encounter_start(acting_user=u, patient=p.pk, reason="Cough"),
    "lab worklist": lambda u, p: lab_worklist(user=u),
    "lab order": lambda u, p: lab_order_create(acting_user=u, encounter_id=1, test_code="2345-7"),
    "outstanding invoices": lambda u, p: outstanding_invoices(user=u),
    "visits to invoice": lambda u, p: visits_to_invoice(user=u),
    "price item": lambda u, p: price_item_create(
        acting_user=u, code="X", name="X", category="other", unit_price=decimal.Decimal("1")
    ),
    "staff list": lambda u, p: staff_list(user=u),
    "audit log": lambda u, p: audit_event_page(user=u),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", CALLS)
def test_nothing_clinical_runs_without_a_hospital_and_nothing_is_written(make_hospital, make_user, name):
    hospital = make_hospital("TH001")
    user = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital):
        patient = PatientFactory()
    with pytest.raises(NoHospitalSelected):
        CALLS[name](user, patient)
    with hospital_context(hospital):
        assert not Encounter.objects.exists()
        assert audit_chain_verify().events_checked == 0


# URL name, and the record its address names (none, "patient_id" or "encounter_id")
PAGES = [
    ("scheduling:day", None),
    ("scheduling:book", None),
    ("encounters:patient", "patient_id"),
    ("encounters:detail", "encounter_id"),
    ("orders:lab-worklist", None),
    ("orders:patient-prescriptions", "patient_id"),
    ("billing:home", None),
    ("billing:encounter", "encounter_id"),
    ("staff:index", None),
    ("audit:log", None),
    ("patients:detail", "patient_id"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_another_hospitals_user_gets_the_unknown_hospital_404_on_every_clinical_page(
    client, make_hospital, make_user, role
):
    th = make_hospital("TH001")
    dmc = make_hospital("DMC001")
    doctor = make_user("th_doc", role=Role.DOCTOR, hospital=th)
    with hospital_context(th):
        patient = PatientFactory()
        CareAssignmentFactory(patient=patient, clinician_user_id=doctor.pk)
        encounter = encounter_start(acting_user=doctor, patient=patient, reason="Cough")
    client.force_login(make_user("dmc_user", role=role, hospital=dmc))
    unknown = client.get(reverse("hospital-home", kwargs={"hospital_code": "NOPE999"}))
    records = {"patient_id": patient.pk, "encounter_id": encounter.pk}
    for name, record in PAGES:
        named = {record: records[record]} if record else {}
        path = reverse(name, kwargs={"hospital_code": "TH001", **named})
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content == unknown.content, path
    with hospital_context(th):
        # Nothing of theirs reached the hospital's log: they never got in.
        assert {e.actor_username for e in audit_event_page(user=_admin(make_user, th)).object_list} <= {
            "th_doc",
            "th_admin",
        }


def _admin(make_user, hospital):
    return make_user("th_admin", role=Role.ADMIN, hospital=hospital)
