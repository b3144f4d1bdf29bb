"""Test data for the staff app; use inside `hospital_context(...)`, the router picks the database.

Factories write rows directly (no audit row): for setting up a test, not for what it tests.
"""

import factory

from hms.accounts.models import Role
from hms.staff.models import Department, StaffMember


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    code = factory.Sequence(lambda n: f"D{n}")


class StaffMemberFactory(factory.django.DjangoModelFactory):
    """`StaffMemberFactory(user=account)`: the staff record of a staff account of the hospital.

    Its role is the account's; a doctor gets a specialty, doctors and nurses a licence number.
    """

    class Meta:
        model = StaffMember
        exclude = ("user",)

    user = None  # the shared account (hms.accounts.tests.factories.UserFactory); required
    user_id = factory.LazyAttribute(lambda member: member.user.pk)
    role = factory.LazyAttribute(lambda member: member.user.role)
    department = None
    specialty = factory.LazyAttribute(lambda member: "General practice" if member.role == Role.DOCTOR else "")
    licence_number = factory.LazyAttribute(
        lambda member: f"LIC-{member.user.pk}" if member.role in (Role.DOCTOR, Role.NURSE) else ""
    )
