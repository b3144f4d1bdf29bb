import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.pages import PAGE_SIZE
from hms.encounters.models import Allergy, Encounter
from hms.encounters.selectors import allergy_list_active
from hms.encounters.tests.factories import AllergyFactory
from hms.orders import selectors, services
from hms.orders.forms import PrescriptionForm
from hms.orders.models import Prescription
from hms.orders.tests.helpers import PRESCRIPTION, prescribe
from hms.tenancy.context import hospital_context


def _nothing_written():
    return not Prescription.objects.exists() and not AuditEvent.objects.exists()


# Creating


@pytest.mark.django_db
def test_a_doctor_prescribes_for_a_patient_in_care_and_it_is_audited(doctor, encounter, patient):
    with hospital_context("DMC001"):
        prescription = prescribe(
            doctor,
            encounter,
            drug_code=" 161 ",
            instructions=" after food ",
            quantity=Decimal("20"),
        )
        stored = Prescription.objects.get()
        event = AuditEvent.objects.get()
    assert stored.pk == prescription.pk
    assert (stored.patient_id, stored.encounter_id, stored.prescriber_id) == (
        patient.pk,
        encounter.pk,
        doctor.pk,
    )
    assert (stored.drug_name, stored.drug_code, stored.instructions) == ("Paracetamol", "161", "after food")
    assert (stored.dose, stored.dose_unit, stored.route, stored.frequency) == (
        Decimal("500"),
        "mg",
        "oral",
        "QDS",
    )
    assert (stored.duration_days, stored.quantity, stored.status) == (5, Decimal("20"), "active")
    assert stored.ends_at - stored.starts_at == datetime.timedelta(days=5)
    assert (event.action, event.patient_id, event.actor_id) == (
        "prescription.create",
        patient.pk,
        doctor.pk,
    )
    assert event.detail["prescription_id"] == stored.pk


@pytest.mark.django_db
def test_a_stat_dose_needs_no_duration_and_refuses_one(doctor, encounter):
    with hospital_context("DMC001"):
        stat = prescribe(doctor, encounter, frequency="STAT", duration_days=None)
        assert stat.duration_days is None
        with pytest.raises(ApplicationError) as raised:
            prescribe(doctor, encounter, frequency="STAT", duration_days=3)
        assert "given once" in raised.value.details["duration_days"][0]
        assert Prescription.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"duration_days": None}, "duration_days"),
        ({"duration_days": 0}, "duration_days"),
        ({"duration_days": 366}, "duration_days"),
        ({"duration_days": 999999999999}, "duration_days"),
        ({"dose": None}, "dose"),
        ({"dose": Decimal("0")}, "dose"),
        ({"dose": Decimal("-5")}, "dose"),
        ({"dose": Decimal("12345678901")}, "dose"),
        ({"quantity": Decimal("0")}, "quantity"),
        ({"dose_unit": "bucket"}, "dose_unit"),
        ({"route": "by mouth"}, "route"),
        ({"frequency": "sometimes"}, "frequency"),
        ({"drug_name": "   "}, "drug_name"),
        ({"drug_name": "x" * 201, "free_text_reason": "Local"}, "drug_name"),
        ({"drug_name": "Unlisted"}, "free_text_reason"),
        ({"drug_name": "", "formulary_drug": 999999}, "formulary_drug"),
    ],
)
def test_invalid_prescriptions_are_refused_with_the_field_named_and_nothing_written(
    doctor, encounter, overrides, field
):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError) as raised:
            prescribe(doctor, encounter, **overrides)
        assert field in raised.value.details
        assert _nothing_written()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"duration_days": "2.5"}, "duration_days", "whole number"),
        ({"duration_days": "a week"}, "duration_days", "must be a number"),
        ({"dose": ""}, "dose", "Enter the dose"),
        ({"dose": "five hundred"}, "dose", "must be a number"),
        ({"dose": "1e3"}, "dose", "must be a number"),
        ({"dose": "NaN"}, "dose", "must be a number"),
        ({"quantity": "lots"}, "quantity", "must be a number"),
        ({"dose_unit": "bucket"}, "dose_unit", "Choose a dose unit"),
        ({"route": "by mouth"}, "route", "Choose a route"),
        ({"frequency": "sometimes"}, "frequency", "Choose a frequency"),
        ({"drug_name": "   "}, "drug_name", "Enter the drug"),
        ({"drug_name": "x" * 201}, "drug_name", "at most 200"),
    ],
)
def test_the_prescribing_form_refuses_what_is_not_a_value_with_the_field_named(overrides, field, message):
    form = PrescriptionForm({**{k: str(v) for k, v in PRESCRIPTION.items()}, **overrides})
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_the_prescribing_form_reads_typed_values():
    form = PrescriptionForm({**PRESCRIPTION, "dose": " 2.50 ", "duration_days": "7.0", "quantity": ""})
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["dose"], form.cleaned_data["duration_days"]) == (Decimal("2.50"), 7)
    assert form.cleaned_data["quantity"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nurse", "receptionist", "admin", "patient_user"])
def test_only_doctors_prescribe(request, encounter, who):
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):
            prescribe(request.getfixturevalue(who), encounter)
        assert _nothing_written()


@pytest.mark.django_db
def test_a_doctor_not_in_care_is_told_the_encounter_does_not_exist(outsider, doctor, encounter):
    with hospital_context("DMC001"):
        with pytest.raises(NotFound) as out_of_care:
            prescribe(outsider, encounter)
        for junk in (999999, "abc", "", None, -1, "1; drop table", 2**70):
            with pytest.raises(NotFound) as missing:
                services.prescription_create(
                    acting_user=doctor,
                    encounter_id=junk,
                    **{
                        "drug_name": "x",
                        "dose": Decimal("1"),
                        "dose_unit": "mg",
                        "route": "oral",
                        "frequency": "OD",
                        "duration_days": 1,
                    },
                )
            assert missing.value.message == out_of_care.value.message
        assert _nothing_written()


@pytest.mark.django_db
def test_the_encounter_must_be_in_progress_or_finished_within_a_day_and_not_voided(
    colleague, earlier_encounter, encounter
):
    now = timezone.now()
    with hospital_context("DMC001"):
        # The colleague's encounter finished an hour ago: still open for orders.
        prescribe(colleague, earlier_encounter)
        Encounter.objects.filter(pk=earlier_encounter.pk).update(
            started_at=now - datetime.timedelta(hours=30), ended_at=now - datetime.timedelta(hours=25)
        )
        with pytest.raises(ApplicationError, match="more than 24 hours ago"):
            prescribe(colleague, earlier_encounter)
        Encounter.objects.filter(pk=encounter.pk).update(voided_at=now, void_reason="wrong patient")
        with pytest.raises(ApplicationError, match="voided"):
            # The colleague is still in care through the earlier encounter; the voided one takes no orders.
            prescribe(colleague, encounter)
        assert Prescription.objects.count() == 1


# Allergies


@pytest.mark.django_db
def test_a_drug_containing_an_actively_recorded_allergen_is_refused(doctor, patient, encounter):
    with hospital_context("DMC001"):
        allergy = AllergyFactory(patient=patient, substance="Penicillin", recorded_by_id=doctor.pk)
        with pytest.raises(services.PrescriptionRefused) as raised:
            prescribe(doctor, encounter, drug_name="Phenoxymethylpenicillin (penicillin V)")
        assert raised.value.substances == ["Penicillin"]
        assert not Prescription.objects.exists()
        refusal = AuditEvent.objects.get()
        assert (refusal.action, refusal.patient_id) == ("prescription.allergy_refused", patient.pk)
        prescribe(doctor, encounter, drug_name="Paracetamol")  # unrelated drug: fine
        Allergy.objects.filter(pk=allergy.pk).update(voided_at=timezone.now())
        # A voided allergy does not count.
        prescribe(doctor, encounter, drug_name="Penicillin V")
        assert Prescription.objects.count() == 2
        AllergyFactory(patient=patient, substance="Sulfa", status=Allergy.Status.INACTIVE)
        # Nor does an inactive one.
        prescribe(doctor, encounter, drug_name="Sulfamethoxazole", free_text_reason="Local product")
        assert Prescription.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("substance", "drug_name"),
    [("Amoxicillin", "Amoxicillin 500 mg"), ("aspirin", "ASPIRIN"), ("Co-trimoxazole", "trimoxazole")],
)
def test_the_allergy_check_finds_an_active_matching_allergy(
    doctor, patient, other_patient, encounter, substance, drug_name
):
    """If the allergy records move or change shape, this fails instead of the check finding nothing."""
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance=substance)
        AllergyFactory(patient=other_patient, substance="Paracetamol")
        with pytest.raises(services.PrescriptionRefused) as raised:
            prescribe(doctor, encounter, drug_name=drug_name, free_text_reason="Local product")
        assert raised.value.substances == [substance]
        prescribe(doctor, encounter, drug_name="Paracetamol")


@pytest.mark.django_db
def test_active_allergies_leave_out_inactive_voided_and_other_patients_allergies(patient, other_patient):
    with hospital_context("DMC001"):
        active = AllergyFactory(patient=patient, substance="Latex")
        AllergyFactory(patient=patient, substance="Egg", status=Allergy.Status.INACTIVE)
        AllergyFactory(patient=patient, substance="Nuts", voided_at=timezone.now(), void_reason="error")
        AllergyFactory(patient=other_patient, substance="Latex")
        assert allergy_list_active(patient_id=patient.pk) == [active]


# Stopping, completing, voiding


@pytest.mark.django_db
def test_the_prescriber_stops_an_active_prescription_with_a_reason(doctor, encounter, patient):
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
        with pytest.raises(ApplicationError, match="reason"):
            services.prescription_stop(acting_user=doctor, prescription_id=prescription.pk, reason="  ")
        services.prescription_stop(acting_user=doctor, prescription_id=prescription.pk, reason="rash")
        stored = Prescription.objects.get()
        assert (stored.status, stored.stop_reason, stored.stopped_by_id) == (
            "stopped",
            "rash",
            doctor.pk,
        )
        assert stored.stopped_at is not None
        with pytest.raises(ApplicationError, match="already stopped"):
            services.prescription_stop(acting_user=doctor, prescription_id=prescription.pk, reason="x")
        event = AuditEvent.objects.filter(action="prescription.stop").get()
        assert event.patient_id == patient.pk and event.detail["reason"] == "rash"


@pytest.mark.django_db
def test_stopping_is_for_doctors_in_care(doctor, nurse, outsider, colleague, encounter, earlier_encounter):
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
        with pytest.raises(NotAllowed):
            services.prescription_stop(acting_user=nurse, prescription_id=prescription.pk, reason="x")
        with pytest.raises(NotFound):
            services.prescription_stop(acting_user=outsider, prescription_id=prescription.pk, reason="x")
        # Any doctor caring for the patient may stop it, not only the prescriber.
        services.prescription_stop(acting_user=colleague, prescription_id=prescription.pk, reason="x")


@pytest.mark.django_db
def test_a_course_that_has_run_out_is_completed_and_cannot_be_stopped(doctor, encounter):
    now = timezone.now()
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
        Prescription.objects.filter(pk=prescription.pk).update(
            starts_at=now - datetime.timedelta(days=10), ends_at=now - datetime.timedelta(days=5)
        )
        prescription.refresh_from_db()
        assert prescription.current_status(now) == "completed"
        with pytest.raises(ApplicationError, match="already completed"):
            services.prescription_stop(acting_user=doctor, prescription_id=prescription.pk, reason="x")


@pytest.mark.django_db
def test_a_course_finished_early_is_marked_completed(doctor, encounter):
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
        services.prescription_complete(acting_user=doctor, prescription_id=prescription.pk)
        assert Prescription.objects.get().status == "completed"
        with pytest.raises(ApplicationError, match="already completed"):
            services.prescription_complete(acting_user=doctor, prescription_id=prescription.pk)


@pytest.mark.django_db
def test_a_voided_prescription_keeps_its_row_leaves_the_list_and_takes_no_changes(
    doctor, nurse, patient_user, encounter, patient
):
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
        with pytest.raises(ApplicationError, match="reason"):
            services.prescription_void(acting_user=doctor, prescription_id=prescription.pk, reason="")
        with pytest.raises(NotAllowed):
            services.prescription_void(acting_user=nurse, prescription_id=prescription.pk, reason="x")
        services.prescription_void(
            acting_user=doctor, prescription_id=prescription.pk, reason="wrong patient"
        )
        stored = Prescription.objects.get()
        assert (stored.void_reason, stored.voided_by_id) == ("wrong patient", doctor.pk)
        assert stored.is_voided
        with pytest.raises(ApplicationError, match="voided"):
            services.prescription_void(acting_user=doctor, prescription_id=prescription.pk, reason="x")
        with pytest.raises(ApplicationError, match="voided"):
            services.prescription_stop(acting_user=doctor, prescription_id=prescription.pk, reason="x")
        listed = selectors.prescriptions_for_patient(user=doctor, patient_id=patient.pk)
        assert list(listed.page.object_list) == []
        with_voided = selectors.prescriptions_for_patient(
            user=doctor, patient_id=patient.pk, include_voided=True
        )
        assert [p.pk for p in with_voided.page.object_list] == [prescription.pk]
        as_patient = selectors.prescriptions_for_patient(
            user=patient_user, patient_id=patient.pk, include_voided=True
        )
        assert list(as_patient.page.object_list) == []


# Listing


@pytest.mark.django_db
def test_the_list_shows_running_prescriptions_first_and_is_audited(doctor, nurse, encounter, patient):
    now = timezone.now()
    with hospital_context("DMC001"):
        ended = prescribe(doctor, encounter, drug_name="Amoxicillin")
        Prescription.objects.filter(pk=ended.pk).update(
            starts_at=now - datetime.timedelta(days=10), ends_at=now - datetime.timedelta(days=3)
        )
        running = prescribe(
            doctor, encounter, drug_name="Ramipril", duration_days=90, free_text_reason="Not listed"
        )
        stopped = prescribe(doctor, encounter, drug_name="Ibuprofen")
        services.prescription_stop(acting_user=doctor, prescription_id=stopped.pk, reason="GI upset")
        AuditEvent.objects.all()  # events so far: 3 creates and a stop
        records = selectors.prescriptions_for_patient(
            user=nurse, patient_id=patient.pk, client_address="10.0.0.9"
        )
        rows = list(records.page.object_list)
        event = AuditEvent.objects.filter(action="prescription.list").get()
    assert records.patient == patient
    assert rows[0].pk == running.pk
    assert {r.pk for r in rows[1:]} == {ended.pk, stopped.pk}
    assert {r.pk: r.shown_status for r in rows} == {
        running.pk: "active",
        ended.pk: "completed",
        stopped.pk: "stopped",
    }
    assert rows[0].prescriber_name == "dr_house"
    assert (event.patient_id, event.actor_id, event.client_address) == (
        patient.pk,
        nurse.pk,
        "10.0.0.9",
    )
    assert event.detail["prescription_ids"] == [r.pk for r in rows]


@pytest.mark.django_db
def test_the_list_is_paginated(doctor, encounter, patient):
    now = timezone.now()
    with hospital_context("DMC001"):
        Prescription.objects.bulk_create(
            Prescription(
                encounter=encounter,
                patient=patient,
                prescriber_id=doctor.pk,
                drug_name=f"Drug {n}",
                free_text_reason="Not in the formulary",
                dose=1,
                dose_unit="mg",
                route="oral",
                frequency="OD",
                duration_days=5,
                starts_at=now - datetime.timedelta(minutes=n),
                ends_at=now + datetime.timedelta(days=5),
            )
            for n in range(30)
        )
        first = selectors.prescriptions_for_patient(user=doctor, patient_id=patient.pk)
        second = selectors.prescriptions_for_patient(user=doctor, patient_id=patient.pk, page_number="2")
        junk = selectors.prescriptions_for_patient(user=doctor, patient_id=patient.pk, page_number="abc")
    assert len(first.page.object_list) == PAGE_SIZE
    assert [p.drug_name for p in second.page.object_list] == [f"Drug {n}" for n in range(25, 30)]
    assert junk.page.number == 1


@pytest.mark.django_db
def test_who_may_list_a_patients_prescriptions(
    doctor, patient_user, other_patient_user, outsider, receptionist, encounter, patient
):
    with hospital_context("DMC001"):
        prescribe(doctor, encounter)
        own = selectors.prescriptions_for_patient(user=patient_user, patient_id=patient.pk)
        assert len(own.page.object_list) == 1
        with pytest.raises(NotFound):
            selectors.prescriptions_for_patient(user=other_patient_user, patient_id=patient.pk)
        with pytest.raises(NotFound):
            selectors.prescriptions_for_patient(user=outsider, patient_id=patient.pk)
        with pytest.raises(NotAllowed):
            selectors.prescriptions_for_patient(user=receptionist, patient_id=patient.pk)
        with pytest.raises(NotFound):
            selectors.prescriptions_for_patient(user=doctor, patient_id="abc")
