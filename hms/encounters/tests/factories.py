"""Test data for the encounters app; use inside `hospital_context(...)`, the router picks the database.

Factories write rows directly (no audit row, no plausibility or ICD-10 check): for setting
up a test, not for what it tests. `*_id` fields naming people are shared users' ids; pass
the real ones when a test reads names or checks who did what.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from hms.encounters.models import (
    Allergy,
    ClinicalNote,
    Diagnosis,
    Encounter,
    NoKnownAllergies,
    NoteAmendment,
    Observation,
    ProblemListItem,
)
from hms.encounters.vitals import HEART_RATE
from hms.patients.tests.factories import PatientFactory


class EncounterFactory(factory.django.DjangoModelFactory):
    """A walk-in encounter in progress, started an hour ago."""

    class Meta:
        model = Encounter

    patient = factory.SubFactory(PatientFactory)
    practitioner_user_id = 1
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    reason = "Cough"


class ObservationFactory(factory.django.DjangoModelFactory):
    """A heart rate of 72 /min in `encounter`."""

    class Meta:
        model = Observation

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    loinc_code = HEART_RATE
    value = Decimal("72")
    unit = "/min"
    entered_value = Decimal("72")
    entered_unit = "/min"
    recorded_at = factory.LazyFunction(timezone.now)
    effective_at = factory.SelfAttribute("recorded_at")
    recorded_by_id = factory.SelfAttribute("encounter.practitioner_user_id")


class DiagnosisFactory(factory.django.DjangoModelFactory):
    """A confirmed secondary J06.9 in `encounter`."""

    class Meta:
        model = Diagnosis

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    icd10_code = "J06.9"  # the same code in the WHO's ICD-10 and in ICD-10-CM
    code_system = "icd10-who"
    description = "Acute upper respiratory infection, unspecified"
    recorded_by_id = factory.SelfAttribute("encounter.practitioner_user_id")


class AllergyFactory(factory.django.DjangoModelFactory):
    """An active, severe, high-risk allergy to a medication (a new substance each time)."""

    class Meta:
        model = Allergy

    patient = factory.SubFactory(PatientFactory)
    substance = factory.Sequence(lambda n: f"Substance {n}")
    category = Allergy.Category.MEDICATION
    severity = Allergy.Severity.SEVERE
    criticality = Allergy.Criticality.HIGH
    reaction = "Rash"
    recorded_by_id = 1


class NoKnownAllergiesFactory(factory.django.DjangoModelFactory):
    """A current statement that the patient has no known allergies."""

    class Meta:
        model = NoKnownAllergies

    patient = factory.SubFactory(PatientFactory)
    recorded_by_id = 1


class ProblemListItemFactory(factory.django.DjangoModelFactory):
    """An active essential hypertension (I10 in both code systems) since a year ago."""

    class Meta:
        model = ProblemListItem

    patient = factory.SubFactory(PatientFactory)
    code = "I10"
    code_system = "icd10-who"
    code_system_version = "2019"
    description = "Essential (primary) hypertension"
    onset_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    recorded_by_id = 1


class ClinicalNoteFactory(factory.django.DjangoModelFactory):
    """A draft SOAP note by the encounter's doctor; `signed=True` signs it (then it is final)."""

    class Meta:
        model = ClinicalNote

    class Params:
        signed = factory.Trait(
            status=ClinicalNote.Status.SIGNED,
            signed_at=factory.LazyFunction(timezone.now),
            signed_by_id=factory.SelfAttribute("author_id"),
        )

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    author_id = factory.SelfAttribute("encounter.practitioner_user_id")
    assessment = "Viral URTI"
    plan = "Fluids"


class NoteAmendmentFactory(factory.django.DjangoModelFactory):
    """An amendment to a signed note."""

    class Meta:
        model = NoteAmendment

    note = factory.SubFactory(ClinicalNoteFactory, signed=True)
    author_id = factory.SelfAttribute("note.author_id")
    text = "More rest"
    reason = "Forgot"
