"""Filling the demo hospitals: idempotent, so running it twice changes nothing."""

import random
from dataclasses import dataclass

from django.db import transaction
from faker import Faker

from hms.accounts.models import Role, User
from hms.audit.services import audit_record
from hms.hospitals.models import Hospital
from hms.patients.models import MrnCounter, Patient
from hms.patients.normalise import name_normalise
from hms.patients.services import mrn_for_sequence
from hms.tenancy.context import hospital_context
from hms.tenancy.provisioning import hospital_provision

from .data import DEMO_HOSPITALS, DEMO_USERS

FAKER_LOCALES = {"TH001": "en_IN", "DMC001": "en_US", "TEST_HOSPITAL": "en_GB"}


@dataclass
class DemoSummary:
    hospitals_created: int = 0
    users_created: int = 0
    patients_created: int = 0


def demo_seed(*, password: str, patients_per_hospital: int) -> DemoSummary:
    summary = DemoSummary()
    for code, name, time_zone in DEMO_HOSPITALS:
        hospital = Hospital.objects.filter(code=code).first()
        if hospital is None or hospital.status != Hospital.Status.ACTIVE:
            hospital_provision(code=code, name=name, time_zone=time_zone)
            summary.hospitals_created += 1
    hospitals = {h.code: h for h in Hospital.objects.filter(code__in=[c for c, _, _ in DEMO_HOSPITALS])}
    for username, role, code in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"role": role, "hospital": hospitals[code] if code else None},
        )
        user.role = role
        user.hospital = hospitals[code] if code else None
        user.is_staff = user.is_superuser = role == Role.SUPERADMIN
        user.set_password(password)
        user.save()
        summary.users_created += int(created)
    for code, _, _ in DEMO_HOSPITALS:
        registrar = _hospital_admin(hospitals[code])
        summary.patients_created += _seed_patients(hospitals[code], registrar, patients_per_hospital)
    return summary


def _hospital_admin(hospital: Hospital) -> User:
    """The user recorded as registering the demo patients: the hospital's admin, else its first staff."""
    return (
        User.objects.filter(hospital=hospital, role=Role.ADMIN).order_by("id").first()
        or User.objects.filter(hospital=hospital).exclude(role=Role.PATIENT).order_by("id").first()
        or User.objects.filter(role=Role.SUPERADMIN).order_by("id").first()
    )


def _seed_patients(hospital: Hospital, registrar: User, count: int) -> int:
    fake = Faker(FAKER_LOCALES.get(hospital.code, "en_US"))
    fake.seed_instance(hospital.code)  # same people every run: idempotent and reproducible
    rng = random.Random(hospital.code)  # noqa: S311 - demo data, not security
    with hospital_context(hospital) as tenant, transaction.atomic(using=tenant.alias):
        existing = Patient.objects.count()
        if existing >= count:
            return 0
        patients = []
        for number in range(count):
            sex = rng.choice([Patient.Sex.FEMALE, Patient.Sex.MALE])
            given = fake.first_name_female() if sex == Patient.Sex.FEMALE else fake.first_name_male()
            family = fake.last_name()
            patients.append(
                Patient(
                    mrn=mrn_for_sequence(number + 1),
                    given_name=given,
                    family_name=family,
                    given_name_norm=name_normalise(given),
                    family_name_norm=name_normalise(family),
                    birth_date=fake.date_of_birth(minimum_age=0, maximum_age=95),
                    sex=sex,
                    phone=fake.phone_number()[:40],
                    email=fake.email(),
                    address=fake.address(),
                )
            )
        new = patients[existing:]
        Patient.objects.bulk_create(new, batch_size=500)
        # Registrations after the demo data continue the same MRN sequence.
        MrnCounter.objects.filter(pk=1, last_sequence__lt=count).update(last_sequence=count)
        created_ids = list(Patient.objects.filter(mrn__in=[p.mrn for p in new]).values_list("id", flat=True))
        audit_record(
            acting_user=registrar,
            action="patient.create",
            resource="Patient",
            detail={"source": "seed_demo", "patient_ids": created_ids},
        )
    return len(new)
