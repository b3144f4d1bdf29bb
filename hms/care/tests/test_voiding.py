"""record_void, the one audited void every record type uses; and the care sources behind access."""

import pytest
from django.db import connections

from hms.accounts.models import Role
from hms.accounts.permissions import Resource
from hms.accounts.tests.factories import UserFactory
from hms.audit.models import AuditEvent
from hms.care import access
from hms.care.voiding import Voiding, record_void
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import Allergy
from hms.encounters.tests.factories import AllergyFactory, EncounterFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital(make_hospital):
    return make_hospital("TH001")


@pytest.fixture
def doctor(hospital):
    return UserFactory(role=Role.DOCTOR, hospital=hospital)


def _void(user, allergy, reason="Entered in error", **kwargs):
    return record_void(
        Allergy,
        allergy.pk,
        acting_user=user,
        reason=reason,
        resource=Resource.ALLERGY,
        audit_action="allergy.void",
        missing="No such allergy here.",
        **kwargs,
    )


def test_a_void_sets_who_when_why_and_writes_one_audit_row(hospital, doctor):
    with hospital_context(hospital):
        allergy = AllergyFactory()
        EncounterFactory(patient=allergy.patient, practitioner_user_id=doctor.pk)  # in care
        voided = _void(doctor, allergy, reason="  Entered   in error \n")
        allergy.refresh_from_db()
        assert (allergy.voided_by_id, allergy.void_reason) == (doctor.pk, "Entered in error")
        assert allergy.voided_at is not None and voided.pk == allergy.pk
        assert Allergy.objects.live().count() == 0 and Allergy.objects.voided().count() == 1
        event = AuditEvent.objects.get(action="allergy.void")
        assert (event.patient_id, event.actor_id) == (allergy.patient_id, doctor.pk)
        assert event.detail == {"allergy_id": allergy.pk, "reason": "Entered in error"}


def test_a_declared_voiding_voids_as_record_void_with_its_own_words(hospital, doctor):
    voiding = Voiding(Allergy, Resource.ALLERGY, missing="No such allergy here.", already="Already gone.")
    with hospital_context(hospital):
        allergy = AllergyFactory()
        EncounterFactory(patient=allergy.patient, practitioner_user_id=doctor.pk)  # in care
        voiding.void(allergy.pk, doctor, "Entered in error", "10.0.0.9", detail={"why": "test"})
        event = AuditEvent.objects.get(action="allergy.void")
        assert event.detail == {"allergy_id": allergy.pk, "reason": "Entered in error", "why": "test"}
        assert event.client_address == "10.0.0.9"
        with pytest.raises(ApplicationError, match="Already gone."):
            voiding.void(allergy.pk, doctor, "Again")
        with pytest.raises(NotFound, match="No such allergy here."):
            voiding.void(allergy.pk + 1000, doctor, "Missing")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 256, "bad\x00reason", "bell\x07"])
def test_a_bad_reason_changes_nothing(hospital, doctor, reason):
    with hospital_context(hospital):
        allergy = AllergyFactory()
        EncounterFactory(patient=allergy.patient, practitioner_user_id=doctor.pk)
        with pytest.raises(ApplicationError) as refused:
            _void(doctor, allergy, reason=reason)
        assert "reason" in refused.value.details
        assert Allergy.objects.live().count() == 1
        assert not AuditEvent.objects.filter(action="allergy.void").exists()


def test_a_role_that_may_not_void_is_refused_before_its_reason_is_read(hospital):
    receptionist = UserFactory(role=Role.RECEPTIONIST, hospital=hospital)
    with hospital_context(hospital):
        allergy = AllergyFactory()
        with pytest.raises(NotAllowed):
            _void(receptionist, allergy, reason="")


def test_out_of_care_looks_exactly_like_missing(hospital, doctor):
    with hospital_context(hospital):
        allergy = AllergyFactory()  # no appointment or encounter with this doctor
        with pytest.raises(NotFound, match="No such allergy here."):
            _void(doctor, allergy)
        with pytest.raises(NotFound, match="No such allergy here."):
            _void(doctor, type("Gone", (), {"pk": 10**12})())
        assert Allergy.objects.live().count() == 1


def test_voiding_twice_or_against_a_check_is_refused_and_rolled_back(hospital, doctor):
    def refuse(row):
        row.reaction = "changed by the check"
        raise ApplicationError("Not while it is being reviewed.")

    with hospital_context(hospital) as tenant:
        allergy = AllergyFactory()
        EncounterFactory(patient=allergy.patient, practitioner_user_id=doctor.pk)
        with pytest.raises(ApplicationError, match="being reviewed"):
            _void(doctor, allergy, check=refuse)
        allergy.refresh_from_db()
        assert (allergy.voided_at, allergy.reaction) == (None, "Rash")
        _void(doctor, allergy)
        with pytest.raises(ApplicationError, match="already"):
            _void(doctor, allergy, already="This allergy is already marked entered in error.")
        assert AuditEvent.objects.filter(action="allergy.void").count() == 1
        assert not connections[tenant.alias].in_atomic_block


def test_with_no_care_source_registered_nobody_is_in_care(hospital, doctor, monkeypatch):
    with hospital_context(hospital):
        allergy = AllergyFactory()
        EncounterFactory(patient=allergy.patient, practitioner_user_id=doctor.pk)
        assert access.patient_in_care(user=doctor, patient_id=allergy.patient_id)
        monkeypatch.setattr(access, "_care_sources", {})  # as if no app had registered one
        assert not access.patient_in_care(user=doctor, patient_id=allergy.patient_id)
        with pytest.raises(NotFound):
            _void(doctor, allergy)
