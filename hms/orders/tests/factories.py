"""Test data for the orders app; use inside `hospital_context(...)`, the router picks the database.

Factories write rows directly (no audit row, no allergy check): for setting up a test, not
for what it tests. `*_by_id` fields are shared users' ids; pass the real ones when a test
reads names or checks who did what.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from hms.encounters.tests.factories import EncounterFactory
from hms.orders.lab_catalogue import TESTS
from hms.orders.models import FormularyDrug, LabOrder, LabResult, Prescription


class PrescriptionFactory(factory.django.DjangoModelFactory):
    """Paracetamol 500 mg oral QDS for 5 days, starting now, in `encounter` (for its patient)."""

    class Meta:
        model = Prescription

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    prescriber_id = factory.SelfAttribute("encounter.practitioner_user_id")
    # The seeded formulary's paracetamol (every hospital database has it from migration 0003).
    formulary_drug = factory.LazyFunction(lambda: FormularyDrug.objects.get(code="paracetamol"))
    drug_name = "Paracetamol"
    dose = Decimal("500")
    dose_unit = Prescription.DoseUnit.MG
    route = Prescription.Route.ORAL
    frequency = Prescription.Frequency.QDS
    duration_days = 5
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda p: p.starts_at + datetime.timedelta(days=p.duration_days or 1))


class LabOrderFactory(factory.django.DjangoModelFactory):
    """A routine haemoglobin (LOINC 718-7) ordered now; `collected=True` has the specimen taken."""

    class Meta:
        model = LabOrder

    class Params:
        collected = factory.Trait(
            status=LabOrder.Status.COLLECTED,
            collected_at=factory.LazyFunction(timezone.now),
            collected_by_id=factory.SelfAttribute("ordered_by_id"),
        )

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    ordered_by_id = factory.SelfAttribute("encounter.practitioner_user_id")
    ordered_at = factory.LazyFunction(timezone.now)
    test_code = "718-7"
    test_name = factory.LazyAttribute(lambda o: TESTS[o.test_code].name)


class LabResultFactory(factory.django.DjangoModelFactory):
    """A normal haemoglobin of 13 g/dL awaiting verification, for a collected order made with it.

    The order's status is left to the caller (`order__status=LabOrder.Status.RESULTED`).
    """

    class Meta:
        model = LabResult

    order = factory.SubFactory(LabOrderFactory, collected=True, status=LabOrder.Status.RESULTED)
    value_numeric = Decimal("13")
    unit = "g/dL"
    loinc_code = factory.SelfAttribute("order.test_code")
    entered_value = "13"
    entered_unit = "g/dL"
    flag = LabResult.Flag.NORMAL
    entered_by_id = factory.SelfAttribute("order.collected_by_id")
    entered_at = factory.LazyFunction(timezone.now)
