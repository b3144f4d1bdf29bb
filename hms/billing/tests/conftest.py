"""Billing fixtures: a hospital in Dhaka, its people (one fixture each), two patients with a
visit each, and a price list."""

from decimal import Decimal

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.billing.tests.factories import EncounterFactory, PriceListItemFactory
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

CODE = "DMC001"


@pytest.fixture
def dmc(make_hospital):
    return make_hospital(CODE, name="Downtown Medical Center", time_zone="Asia/Dhaka")


@pytest.fixture
def admin(dmc, make_user):
    return make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)


@pytest.fixture
def receptionist(dmc, make_user):
    return make_user("desk", role=Role.RECEPTIONIST, hospital=dmc)


@pytest.fixture
def doctor(dmc, make_user):
    return make_user("dr_a", role=Role.DOCTOR, hospital=dmc)


@pytest.fixture
def nurse(dmc, make_user):
    return make_user("nurse", role=Role.NURSE, hospital=dmc)


@pytest.fixture
def patient_user(dmc, make_user):
    return make_user("pat", role=Role.PATIENT, hospital=dmc)


@pytest.fixture
def other_patient_user(dmc, make_user):
    return make_user("pat2", role=Role.PATIENT, hospital=dmc)


@pytest.fixture
def patient(patient_user):
    """Amina Rahman, whose portal account is `patient_user`."""
    with hospital_context(CODE):
        return PatientFactory(
            given_name="Amina", family_name="Rahman", mrn="000000018", user_id=patient_user.pk
        )


@pytest.fixture
def other_patient(other_patient_user):
    with hospital_context(CODE):
        return PatientFactory(given_name="Boris", family_name="Other", user_id=other_patient_user.pk)


@pytest.fixture
def encounter(patient, doctor):
    """Amina's visit to the doctor, in progress."""
    with hospital_context(CODE):
        return EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)


@pytest.fixture
def other_encounter(other_patient, doctor):
    with hospital_context(CODE):
        return EncounterFactory(patient=other_patient, practitioner_user_id=doctor.pk)


@pytest.fixture
def prices(dmc):
    """The price list by code: a consultation (50.00), a lab test (12.35), a drug (0.15), a bed, a leaflet."""
    with hospital_context(CODE):
        items = [
            PriceListItemFactory(
                code="CONS", name="Consultation", category="consultation", unit_price=Decimal("50.00")
            ),
            PriceListItemFactory(
                code="CBC", name="Full blood count", category="lab", unit_price=Decimal("12.35")
            ),
            PriceListItemFactory(
                code="PARA", name="Paracetamol 500 mg", category="drug", unit_price=Decimal("0.15")
            ),
            PriceListItemFactory(
                code="BED", name="Ward bed, a day", category="bed", unit_price=Decimal("80.00")
            ),
            PriceListItemFactory(code="FREE", name="Leaflet", category="other", unit_price=Decimal("0.00")),
        ]
    return {item.code: item for item in items}


def url(name: str, **ids: int) -> str:
    """The address of billing page `name` in the test hospital, e.g. url("invoice", invoice_id=7)."""
    return reverse(f"billing:{name}", kwargs={"hospital_code": CODE, **ids})
