"""Test data for the patients app; use inside `hospital_context(...)`, the router picks the database.

Factories write rows directly (no audit row): for setting up a test, not for what it tests.
"""

import factory

from hms.patients.models import MrnCounter, NextOfKin, Patient, PatientIdentifier
from hms.patients.normalise import name_normalise


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:07d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    given_name_norm = factory.LazyAttribute(lambda p: name_normalise(p.given_name))
    family_name_norm = factory.LazyAttribute(lambda p: name_normalise(p.family_name))
    birth_date = factory.Faker("date_of_birth", minimum_age=0, maximum_age=95)
    sex = factory.Iterator([Patient.Sex.FEMALE, Patient.Sex.MALE, Patient.Sex.OTHER, Patient.Sex.UNKNOWN])
    phone = factory.Faker("numerify", text="+1-###-###-####")
    email = factory.Faker("email")
    address = factory.Faker("address")


class PatientIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientIdentifier

    patient = factory.SubFactory(PatientFactory)
    system = PatientIdentifier.System.INSURANCE
    value = factory.Sequence(lambda n: f"INS-{n:06d}")


class NextOfKinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NextOfKin

    patient = factory.SubFactory(PatientFactory)
    name = factory.Faker("name")
    relationship = factory.Iterator(["mother", "father", "sister", "brother", "spouse", "friend"])
    phone = factory.Faker("numerify", text="+1-###-###-####")


class MrnCounterFactory(factory.django.DjangoModelFactory):
    """The hospital's one counter row (pk 1), e.g. to start the MRN sequence further on."""

    class Meta:
        model = MrnCounter
        django_get_or_create = ("id",)

    id = 1
    last_sequence = 0
