"""audit_row: the audit row of an action on one record, its resource and patient read from the row."""

import pytest
from django.db import transaction

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.records import audit_row
from hms.audit.services import audit_chain_verify
from hms.encounters.tests.factories import AllergyFactory
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import WorkingHours
from hms.staff.tests.factories import DepartmentFactory
from hms.tenancy.context import current_tenant, hospital_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(make_hospital, make_user):
    return make_user("doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))


def _only_event():
    (event,) = AuditEvent.objects.all()
    return event


def test_a_row_of_a_patient_names_its_model_and_its_patient(doctor):
    with hospital_context("TH001"):
        allergy = AllergyFactory()
        returned = audit_row(
            doctor, "allergy.record", allergy, "198.51.100.4", allergy_id=allergy.pk, severity="mild"
        )
        event = _only_event()
    assert returned.pk == event.pk
    assert event.action == "allergy.record"
    assert event.resource == "Allergy"
    assert event.patient_id == allergy.patient_id
    assert event.client_address == "198.51.100.4"
    assert event.detail == {"allergy_id": allergy.pk, "severity": "mild"}
    assert event.actor_id == doctor.pk
    assert event.outcome == AuditEvent.Outcome.SUCCESS


def test_a_patient_row_is_its_own_patient(doctor):
    with hospital_context("TH001"):
        patient = PatientFactory()
        audit_row(doctor, "patient.update", patient, None, fields=["phone"])
        event = _only_event()
    assert (event.resource, event.patient_id) == ("Patient", patient.pk)
    assert event.client_address is None
    assert event.detail == {"fields": ["phone"]}


def test_a_row_about_no_patient_has_none(doctor):
    with hospital_context("TH001"):
        department = DepartmentFactory()
        audit_row(doctor, "department.create", department, department_id=department.pk)
        event = _only_event()
    assert (event.resource, event.patient_id) == ("Department", None)
    assert event.client_address is None
    assert event.detail == {"department_id": department.pk}


def test_a_model_class_is_an_action_on_that_kind_of_record(doctor):
    with hospital_context("TH001"):
        audit_row(doctor, "working_hours.set", WorkingHours, "203.0.113.7", weekday=2)
        audit_row(doctor, "patient.duplicate_warning", Patient, "203.0.113.7")
        hours, warning = AuditEvent.objects.order_by("id")
    assert (hours.resource, hours.patient_id, hours.detail) == ("WorkingHours", None, {"weekday": 2})
    assert (warning.resource, warning.patient_id, warning.detail) == ("Patient", None, {})


def test_a_resource_given_names_the_row_otherwise(doctor):
    with hospital_context("TH001"):
        allergy = AllergyFactory()
        audit_row(doctor, "observation.record", allergy, "", resource="Observation", codes=["8310-5"])
        event = _only_event()
    assert (event.resource, event.patient_id) == ("Observation", allergy.patient_id)
    assert event.client_address is None  # an empty address is no address, as in audit_record
    assert event.detail == {"codes": ["8310-5"]}


def test_rows_join_the_hash_chain_and_roll_back_with_the_write(doctor):
    with hospital_context("TH001"):
        patient = PatientFactory()
        audit_row(doctor, "patient.view", patient)
        with pytest.raises(RuntimeError), transaction.atomic(using=current_tenant().alias):
            audit_row(doctor, "patient.update", patient, fields=["email"])
            raise RuntimeError("the write failed")
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["patient.view"]
        assert audit_chain_verify().intact
