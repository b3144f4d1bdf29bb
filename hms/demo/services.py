"""Filling the demo hospitals: idempotent, so running it twice changes nothing.

Hospitals, users and patients first; then, in each hospital and through its services
(acting as the hospital's administrator), departments, staff, working hours, billing
settings, the price list and the portal users' links to their records; then the
clinic's activity (hms.demo.activity), unless the hospital already has some.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker

from hms.accounts.models import STAFF_ROLES, Role, User
from hms.audit.services import audit_record
from hms.billing.models import PriceListItem
from hms.billing.services import billing_settings_get, billing_settings_update, price_item_create
from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.patients.models import MrnCounter, Patient
from hms.patients.normalise import name_normalise
from hms.patients.services import mrn_for_sequence, patient_portal_link, patient_update
from hms.scheduling.models import WorkingHours
from hms.scheduling.services import working_hours_set
from hms.scheduling.workweek import working_weekdays
from hms.staff.models import Department, StaffMember
from hms.staff.services import department_create, staff_member_add
from hms.tenancy.context import hospital_context
from hms.tenancy.provisioning import hospital_provision

from .activity import HospitalActivity, demo_activity_seed
from .data.billing import DEMO_BILLING, DEMO_PRICES, PRICE_FALLBACK_CURRENCY
from .data.clinic import OPENING_HOURS
from .data.hospitals import (
    DEFAULT_FAKER_LOCALE,
    DEMO_DEPARTMENTS,
    DEMO_FUTURE_DAYS,
    DEMO_HISTORY_DAYS,
    DEMO_HOSPITALS,
    FAKER_LOCALES,
)
from .data.users import DEMO_USERS, PORTAL_PATIENT_AGES, DemoUser


@dataclass
class DemoSummary:
    hospitals_created: int = 0
    users_created: int = 0
    patients_created: int = 0
    activity: list[HospitalActivity] = field(default_factory=list)


def demo_seed(
    *,
    password: str,
    patients_per_hospital: int,
    history_days: int = DEMO_HISTORY_DAYS,
    future_days: int = DEMO_FUTURE_DAYS,
) -> DemoSummary:
    summary = DemoSummary()
    for code, name, time_zone in DEMO_HOSPITALS:
        hospital = Hospital.objects.filter(code=code).first()
        if hospital is None or hospital.status != Hospital.Status.ACTIVE:
            hospital_provision(code=code, name=name, time_zone=time_zone)
            summary.hospitals_created += 1
    hospitals = {h.code: h for h in Hospital.objects.filter(code__in=[c for c, _, _ in DEMO_HOSPITALS])}
    summary.users_created = _users_seed(hospitals, password)
    now = timezone.now()
    for code, _, _ in DEMO_HOSPITALS:
        hospital = hospitals[code]
        summary.patients_created += _seed_patients(hospital, _hospital_admin(hospital), patients_per_hospital)
        with hospital_context(hospital):
            admins = User.objects.select_related("hospital").filter(hospital=hospital, role=Role.ADMIN)
            admin = admins.order_by("username").first()
            if admin is not None:
                _staff_seed(code, admin)
                _billing_seed(code, admin)
                _portal_links_seed(code, admin, now)
            summary.activity.append(
                demo_activity_seed(
                    history_days=history_days,
                    future_days=future_days,
                    now=now,
                    rng=random.Random(code),  # noqa: S311 - demo data, not security
                )
            )
    return summary


# Users


def _users_seed(hospitals: dict[str, Hospital], password: str) -> int:
    """Create or correct the demo users; every one gets the demo password. Returns how many were new."""
    existing = {u.username: u for u in User.objects.filter(username__in=[s.username for s in DEMO_USERS])}
    encoded = _password_hash(password, [existing[name] for name in sorted(existing)])
    created = 0
    for spec in DEMO_USERS:
        hospital = hospitals[spec.hospital] if spec.hospital else None
        wanted = {
            "role": spec.role,
            "hospital_id": hospital.pk if hospital else None,
            "is_staff": spec.role == Role.SUPERADMIN,
            "is_superuser": spec.role == Role.SUPERADMIN,
            "password": encoded,
        }
        if spec.first_name or spec.last_name:
            wanted.update(first_name=spec.first_name, last_name=spec.last_name)
        user = existing.get(spec.username)
        if user is None:
            User.objects.create(username=spec.username, **wanted)
            created += 1
        elif any(getattr(user, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(user, name, value)
            user.save()
    return created


def _password_hash(password: str, users: list[User]) -> str:
    """One hash of the demo password for every demo user: hashing is slow by design, so do it once.

    If the first existing user already has the password, their hash is reused and a rerun
    rewrites nobody.
    """
    if users and users[0].has_usable_password() and check_password(password, users[0].password):
        return users[0].password
    return make_password(password)


def _hospital_admin(hospital: Hospital) -> User:
    """The user recorded as registering the demo patients: the hospital's admin, else its first staff."""
    user = (
        User.objects.filter(hospital=hospital, role=Role.ADMIN).order_by("id").first()
        or User.objects.filter(hospital=hospital).exclude(role=Role.PATIENT).order_by("id").first()
        or User.objects.filter(role=Role.SUPERADMIN).order_by("id").first()
    )
    if user is None:  # the demo users include a superadmin: only a changed DEMO_USERS gets here
        raise ApplicationError(
            f"{hospital.code} has no administrator, staff or superadmin to register patients."
        )
    return user


def _hospital_users(code: str) -> list[tuple[DemoUser, User]]:
    specs = [spec for spec in DEMO_USERS if spec.hospital == code]
    users = User.objects.select_related("hospital").in_bulk(
        [s.username for s in specs], field_name="username"
    )
    return [(spec, users[spec.username]) for spec in specs if spec.username in users]


# Patients


def _seed_patients(hospital: Hospital, registrar: User, count: int) -> int:
    fake = Faker(FAKER_LOCALES.get(hospital.code, DEFAULT_FAKER_LOCALE))
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


# The hospital's staff, hours, prices and portal links: through its services, as its admin


def _staff_seed(code: str, admin: User) -> None:
    """Departments, every demo staff user on the staff, and each doctor's hours (09:00-17:00 on each
    day of the hospital's working week: Sunday to Thursday in Dhaka, Monday to Friday elsewhere)."""
    departments = {d.code: d for d in Department.objects.all()}
    names = {d.name.lower() for d in departments.values()}
    for name, department_code in DEMO_DEPARTMENTS.get(code, []):
        if department_code not in departments and name.lower() not in names:
            departments[department_code] = department_create(
                acting_user=admin, name=name, code=department_code
            )
    on_staff = set(StaffMember.objects.values_list("user_id", flat=True))
    staff = [(spec, user) for spec, user in _hospital_users(code) if user.role in STAFF_ROLES]
    for spec, user in staff:
        if user.pk not in on_staff:
            staff_member_add(
                acting_user=admin,
                user=user,
                department=departments.get(spec.department),
                specialty=spec.specialty if user.role == Role.DOCTOR else "",
                licence_number=spec.licence_number if user.role in (Role.DOCTOR, Role.NURSE) else "",
            )
    working = set(WorkingHours.objects.filter(is_active=True).values_list("practitioner_user_id", flat=True))
    for _, user in staff:
        if user.role == Role.DOCTOR and user.pk not in working:
            for weekday in working_weekdays():
                working_hours_set(
                    acting_user=admin, practitioner_user_id=user.pk, weekday=weekday, periods=OPENING_HOURS
                )


def _billing_seed(code: str, admin: User) -> None:
    """The hospital's currency, invoice prefix and address (unless already set), and its price list."""
    if code not in DEMO_BILLING:
        return
    currency, prefix, address = DEMO_BILLING[code]
    current = billing_settings_get()
    if current.invoice_prefix == "INV" and not current.address:  # never configured: the migration's row
        current = billing_settings_update(
            acting_user=admin, currency=currency, invoice_prefix=prefix, address=address
        )
    listed = set(PriceListItem.objects.values_list("code", flat=True))
    for item_code, name, category, prices in DEMO_PRICES:
        if item_code not in listed:
            price_item_create(
                acting_user=admin,
                code=item_code,
                name=name,
                category=category,
                unit_price=Decimal(prices.get(current.currency, prices[PRICE_FALLBACK_CURRENCY])),
            )


def _portal_links_seed(code: str, admin: User, now: datetime.datetime) -> None:
    """Link each demo PATIENT user to a demo patient record (renamed to the user's name, if any)."""
    for spec, user in _hospital_users(code):
        if user.role != Role.PATIENT or Patient.objects.filter(user_id=user.pk).exists():
            continue
        patient = _portal_patient_choose(spec, now.date())
        if patient is None:
            continue
        if spec.first_name and spec.last_name:
            patient = patient_update(
                acting_user=admin, patient=patient, given_name=spec.first_name, family_name=spec.last_name
            )
        patient_portal_link(acting_user=admin, patient=patient, user=user)


def _portal_patient_choose(spec: DemoUser, today: datetime.date) -> Patient | None:
    """The first unlinked adult patient (of the user's sex, if given) by MRN; else any unlinked one."""
    youngest, oldest = PORTAL_PATIENT_AGES
    born_from = today - datetime.timedelta(days=round(365.25 * (oldest + 1)))
    born_to = today - datetime.timedelta(days=round(365.25 * youngest))
    unlinked = Patient.objects.filter(user_id__isnull=True).order_by("mrn")
    adults = unlinked.filter(birth_date__gt=born_from, birth_date__lte=born_to)
    if spec.sex:
        adults = adults.filter(sex=spec.sex)
    return adults.first() or unlinked.first()
