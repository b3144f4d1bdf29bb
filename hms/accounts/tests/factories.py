"""Test accounts (shared database). A hospital user needs `hospital=` (a provisioned hospital:
the `make_hospital` fixture); only a SUPERADMIN has none."""

import factory

from hms.accounts.models import Role, User

TEST_PASSWORD = "pw-for-tests-1"  # noqa: S105 - the conftest's make_user uses the same


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.DOCTOR
    hospital = None
    password = factory.django.Password(TEST_PASSWORD)
