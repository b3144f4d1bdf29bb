"""The rules of a patient record, in the service (so pages, REST API and FHIR share them) and the
database: a birth date not in the future (by the hospital's own today), estimated birth dates,
single-name patients, sex for clinical use, deceased status."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.patients.clinical import patient_clinical_sex
from hms.patients.dates import birth_date_from_age
from hms.patients.models import Patient
from hms.patients.selectors import patient_search
from hms.patients.services import patient_death_record, patient_death_undo, patient_register, patient_update
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import current_tenant, hospital_context

UTC = datetime.UTC
# 20:00 UTC on 1 March 2026: already 2 March in Dhaka (UTC+6), still 1 March in New York (UTC-5).
EVENING_UTC = datetime.datetime(2026, 3, 1, 20, tzinfo=UTC)


@pytest.fixture
def staff(make_hospital, make_user):
    hospital = make_hospital("TH001", time_zone="Asia/Dhaka")
    return {
        role: make_user(f"u-{role.lower()}", role=role, hospital=hospital)
        for role in (Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN, Role.NURSE)
    }


@pytest.fixture
def evening(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: EVENING_UTC)


def _register(user, **overrides):
    fields = {"given_name": "Amina", "family_name": "Rahman", "birth_date": datetime.date(1990, 5, 17)}
    return patient_register(acting_user=user, **{**fields, **overrides})


# Birth dates


@pytest.mark.django_db
def test_a_birth_today_where_the_hospital_is_is_accepted_and_tomorrow_refused(staff, evening):
    with hospital_context("TH001"):
        newborn = _register(staff[Role.RECEPTIONIST], given_name="Baby", birth_date=datetime.date(2026, 3, 2))
        assert newborn.birth_date == datetime.date(2026, 3, 2)
        with pytest.raises(ApplicationError) as refused:
            _register(staff[Role.RECEPTIONIST], given_name="Later", birth_date=datetime.date(2026, 3, 3))
        assert refused.value.details["birth_date"] == [
            "The birth date 2026-03-03 is in the future (today is 2026-03-02 here)."
        ]
        assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_a_utc_date_ahead_of_new_york_is_refused_there(make_hospital, make_user, evening):
    hospital = make_hospital("DMC001", time_zone="America/New_York")
    clerk = make_user("ny-desk", role=Role.RECEPTIONIST, hospital=hospital)
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError) as refused:
            _register(clerk, birth_date=datetime.date(2026, 3, 2))
        assert "today is 2026-03-01 here" in refused.value.details["birth_date"][0]
        assert not Patient.objects.exists()


@pytest.mark.django_db
def test_an_update_to_a_future_birth_date_is_refused_and_changes_nothing(staff, evening):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST])
        with pytest.raises(ApplicationError) as refused:
            patient_update(
                acting_user=staff[Role.RECEPTIONIST], patient=patient, birth_date=datetime.date(2027, 1, 1)
            )
        assert "birth_date" in refused.value.details
        patient.refresh_from_db()
        assert patient.birth_date == datetime.date(1990, 5, 17)
        assert not AuditEvent.objects.filter(action="patient.update").exists()


@pytest.mark.django_db
def test_an_estimated_birth_date_is_stored_as_estimated_until_a_known_date_replaces_it(staff):
    with hospital_context("TH001"):
        estimated = birth_date_from_age(years=40, today=datetime.date(2026, 3, 2))
        patient = _register(staff[Role.RECEPTIONIST], birth_date=estimated, birth_date_estimated=True)
        patient.refresh_from_db()
        assert (patient.birth_date, patient.birth_date_estimated) == (datetime.date(1986, 3, 2), True)
        updated = patient_update(
            acting_user=staff[Role.RECEPTIONIST], patient=patient, birth_date=datetime.date(1986, 7, 9)
        )
        assert updated.birth_date_estimated is False


def test_an_age_on_29_february_gives_the_28th_of_a_common_year():
    assert birth_date_from_age(years=1, today=datetime.date(2024, 2, 29)) == datetime.date(2023, 2, 28)
    assert birth_date_from_age(years=4, today=datetime.date(2024, 2, 29)) == datetime.date(2020, 2, 29)


# Single names


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "family", "full", "sorted_name"),
    [
        ("Aung", "", "Aung", "Aung"),
        ("", "Sukarno", "Sukarno", "Sukarno"),
        ("Mya", "Win", "Mya Win", "Win, Mya"),
    ],
)
def test_a_patient_with_one_name_is_registered_shown_and_found(staff, given, family, full, sorted_name):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST], given_name=given, family_name=family)
        assert (patient.full_name, patient.sorted_name) == (full, sorted_name)
        assert str(patient) == f"{sorted_name} ({patient.mrn})"
        found = patient_search(user=staff[Role.RECEPTIONIST], query=full.split()[0].lower())
        assert [row.pk for row in found.object_list] == [patient.pk]


@pytest.mark.django_db
def test_a_patient_with_no_name_at_all_is_refused_by_the_service_and_the_database(staff):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError) as refused:
            _register(staff[Role.RECEPTIONIST], given_name="  ", family_name="")
        assert refused.value.details["given_name"] == [
            "Give the patient's name: a given name, a family name or both (one is enough)."
        ]
        patient = _register(staff[Role.RECEPTIONIST], given_name="Aung", family_name="")
        with pytest.raises(ApplicationError):
            patient_update(acting_user=staff[Role.RECEPTIONIST], patient=patient, given_name="")
        with pytest.raises(IntegrityError), transaction.atomic(using=current_tenant().alias):
            Patient.objects.filter(pk=patient.pk).update(given_name="")


# Sex for clinical use


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sex", "for_clinical_use", "clinical"),
    [("female", "", "female"), ("other", "male", "male"), ("unknown", "", ""), ("male", "female", "female")],
)
def test_ranges_read_the_sex_for_clinical_use_where_it_is_recorded(staff, sex, for_clinical_use, clinical):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST], sex=sex, sex_for_clinical_use=for_clinical_use)
        patient.refresh_from_db()
        assert patient_clinical_sex(patient) == clinical


@pytest.mark.django_db
def test_an_unknown_sex_for_clinical_use_is_refused_by_the_service_and_the_database(staff):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError) as refused:
            _register(staff[Role.RECEPTIONIST], sex_for_clinical_use="robot")
        assert "sex_for_clinical_use" in refused.value.details
        patient = PatientFactory()
        with pytest.raises(IntegrityError), transaction.atomic(using=current_tenant().alias):
            Patient.objects.filter(pk=patient.pk).update(sex_for_clinical_use="robot")


# Deceased


DIED = datetime.datetime(2026, 1, 3, 4, 30, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.ADMIN])
def test_a_doctor_or_the_admin_records_a_death_once_confirmed_and_it_is_audited(staff, role):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST])
        with pytest.raises(ApplicationError) as unconfirmed:
            patient_death_record(acting_user=staff[role], patient=patient, deceased_at=DIED)
        assert "confirm" in unconfirmed.value.details
        recorded = patient_death_record(
            acting_user=staff[role], patient=patient, deceased_at=DIED, confirm=True
        )
        patient.refresh_from_db()
        assert (patient.deceased_at, patient.deceased_recorded_by) == (DIED, staff[role].pk)
        assert recorded.deceased_at == DIED
        event = AuditEvent.objects.get(action="patient.death_record")
        assert (event.patient_id, event.actor_id) == (patient.pk, staff[role].pk)
        with pytest.raises(ApplicationError, match="already recorded"):
            patient_death_record(acting_user=staff[role], patient=patient, deceased_at=DIED, confirm=True)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.NURSE])
def test_other_roles_may_not_record_a_death(staff, role):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST])
        with pytest.raises(NotAllowed):
            patient_death_record(acting_user=staff[role], patient=patient, deceased_at=DIED, confirm=True)
        patient.refresh_from_db()
        assert patient.deceased_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("deceased_at", "message"),
    [
        (datetime.datetime(2999, 1, 1, tzinfo=UTC), "The time of death is in the future."),
        (datetime.datetime(1980, 1, 1, tzinfo=UTC), "The time of death is before the patient's birth date."),
    ],
)
def test_an_impossible_time_of_death_is_refused(staff, deceased_at, message):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST])
        with pytest.raises(ApplicationError) as refused:
            patient_death_record(
                acting_user=staff[Role.DOCTOR], patient=patient, deceased_at=deceased_at, confirm=True
            )
        assert refused.value.details["deceased_at"] == [message]
        patient.refresh_from_db()
        assert patient.deceased_at is None


@pytest.mark.django_db
def test_only_the_admin_takes_back_a_death_with_a_reason_and_it_is_audited(staff):
    with hospital_context("TH001"):
        patient = _register(staff[Role.RECEPTIONIST])
        patient_death_record(acting_user=staff[Role.DOCTOR], patient=patient, deceased_at=DIED, confirm=True)
        with pytest.raises(NotAllowed):
            patient_death_undo(acting_user=staff[Role.DOCTOR], patient=patient, reason="Wrong patient")
        with pytest.raises(ApplicationError) as no_reason:
            patient_death_undo(acting_user=staff[Role.ADMIN], patient=patient, reason="  ")
        assert "reason" in no_reason.value.details
        patient_death_undo(
            acting_user=staff[Role.ADMIN], patient=patient, reason="Recorded on the wrong patient"
        )
        patient.refresh_from_db()
        assert (patient.deceased_at, patient.deceased_recorded_by) == (None, None)
        event = AuditEvent.objects.get(action="patient.death_undo")
        assert event.actor_id == staff[Role.ADMIN].pk
        assert event.detail["reason"] == "Recorded on the wrong patient"
        assert event.detail["recorded_by"] == staff[Role.DOCTOR].pk


@pytest.mark.django_db
def test_the_database_refuses_a_death_without_who_recorded_it(staff):
    with hospital_context("TH001"):
        patient = PatientFactory()
        with pytest.raises(IntegrityError), transaction.atomic(using=current_tenant().alias):
            Patient.objects.filter(pk=patient.pk).update(deceased_at=DIED)
