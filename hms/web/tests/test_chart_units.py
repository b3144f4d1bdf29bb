"""The record page's trends in the hospital's units: a hospital reporting conventional units
draws a glucose stored in mmol/L in mg/dL (its reference range too), and a °F hospital draws
temperatures in °F."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from hms.accounts.models import Role
from hms.encounters.models import Encounter
from hms.encounters.tests.factories import EncounterFactory, ObservationFactory
from hms.encounters.vitals import TEMPERATURE
from hms.orders.models import LabOrder
from hms.orders.tests.factories import LabOrderFactory, LabResultFactory
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context
from hms.web.chart import patient_chart

CODE = "NYC001"
GLUCOSE = "2345-7"  # mg/dL; in mmol/L its LOINC code is 14749-6


@pytest.fixture
def chart(make_hospital, make_user):
    """The chart of a patient with two glucoses (the older in mg/dL, the newer stored in mmol/L,
    as a hospital reporting SI units stored it) and two temperatures, in a New York hospital."""
    hospital = make_hospital(CODE, time_zone="America/New_York")  # conventional lab units, °F
    doctor = make_user("doctor", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(CODE):
        patient = PatientFactory(birth_date=datetime.date(1980, 5, 17))
        now = timezone.now()
        for days_ago, (loinc, value, unit, low, high), celsius in (
            (2, (GLUCOSE, "200", "mg/dL", "70", "99"), "37.0"),
            (1, ("14749-6", "5.0", "mmol/L", "3.9", "5.5"), "38.5"),
        ):
            when = now - datetime.timedelta(days=days_ago)
            encounter = EncounterFactory(
                patient=patient,
                practitioner_user_id=doctor.pk,
                started_at=when,
                status=Encounter.Status.FINISHED,
                ended_at=when + datetime.timedelta(minutes=20),
            )
            ObservationFactory(
                encounter=encounter,
                loinc_code=TEMPERATURE,
                unit="Cel",
                value=Decimal(celsius),
                recorded_at=when,
            )
            LabResultFactory(
                order=LabOrderFactory(
                    encounter=encounter, test_code=GLUCOSE, collected=True, status=LabOrder.Status.RESULTED
                ),
                loinc_code=loinc,
                value_numeric=Decimal(value),
                unit=unit,
                reference_low=Decimal(low),
                reference_high=Decimal(high),
                entered_at=when,
            )
        return patient_chart(user=doctor, patient_id=patient.pk)


@pytest.mark.django_db
def test_a_lab_trend_is_drawn_in_the_unit_the_hospital_reports_its_test_in(chart):
    [glucose] = chart.lab_charts
    assert glucose.unit == "mg/dL"
    assert [p.value for p in glucose.points] == [Decimal("200"), Decimal("90")]  # 5.0 × 18.016
    assert glucose.reference_text == "70–99"  # 3.9–5.5 mmol/L


@pytest.mark.django_db
def test_a_temperature_trend_is_drawn_in_fahrenheit_in_a_fahrenheit_hospital(chart):
    [temperature] = [c for c in chart.vital_charts if c.title == "Body temperature"]
    assert temperature.unit == "°F"
    assert [p.value for p in temperature.points] == [Decimal("98.6"), Decimal("101.3")]
    low, high = (Decimal(v) for v in temperature.reference_text.split("–"))
    assert Decimal("95") < low < high < Decimal("101")
