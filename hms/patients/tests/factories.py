"""Test data for the patients app; use inside `hospital_context(...)`, the router picks the database."""

import factory

from hms.patients.models import Patient
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
