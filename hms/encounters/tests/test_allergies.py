import pytest
from django.db import IntegrityError, transaction

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import Allergy
from hms.encounters.selectors import allergy_list_for_patient
from hms.encounters.services import allergy_record, allergy_status_set, allergy_void, encounter_start

pytestmark = pytest.mark.django_db

PENICILLIN = {"substance": "Penicillin", "category": "medication", "severity": "severe", "reaction": "Hives"}


def test_a_nurse_records_an_allergy(staff, chart, in_hospital):
    allergy = allergy_record(
        acting_user=staff.nurse,
        patient=chart.patient.pk,
        substance="  Peanut   butter ",
        category="food",
        severity="moderate",
        reaction="Swollen lips",
        client_address="10.0.0.3",
    )

    stored = Allergy.objects.get()
    assert stored.pk == allergy.pk
    assert (stored.substance, stored.category, stored.severity, stored.reaction) == (
        "Peanut butter",
        "food",
        "moderate",
        "Swollen lips",
    )
    assert (stored.status, stored.status_display, stored.recorded_by_id) == (
        "active",
        "Active",
        staff.nurse.pk,
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.patient_id, event.client_address) == (
        "allergy.record",
        chart.patient.pk,
        "10.0.0.3",
    )
    assert event.detail["allergy_id"] == stored.pk


@pytest.mark.parametrize("substance", ["penicillin", " PENICILLIN ", "Penicillin"])
def test_no_second_active_allergy_to_the_same_substance(staff, chart, in_hospital, substance):
    allergy_record(acting_user=staff.nurse, patient=chart.patient, **PENICILLIN)
    with pytest.raises(ApplicationError, match="already recorded"):
        allergy_record(
            acting_user=staff.nurse, patient=chart.patient, **{**PENICILLIN, "substance": substance}
        )
    assert Allergy.objects.count() == 1
    allergy_record(
        acting_user=staff.nurse, patient=chart.stranger, **PENICILLIN
    )  # another patient may have it


def test_the_database_refuses_a_second_active_allergy_to_the_same_substance(staff, chart, in_hospital):
    fields = {"patient": chart.patient, "category": "medication", "severity": "mild", "recorded_by_id": 1}
    Allergy.objects.create(substance="Aspirin", **fields)
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        Allergy.objects.create(substance="ASPIRIN", **fields)
    Allergy.objects.create(substance="aspirin", status="inactive", **fields)


def test_an_inactive_or_voided_allergy_does_not_block_a_new_one(staff, chart, in_hospital):
    old = allergy_record(acting_user=staff.nurse, patient=chart.patient, **PENICILLIN)
    allergy_status_set(acting_user=staff.nurse, allergy=old, status="inactive")
    renewed = allergy_record(acting_user=staff.nurse, patient=chart.patient, **PENICILLIN)
    with pytest.raises(ApplicationError, match="already recorded"):
        allergy_status_set(acting_user=staff.nurse, allergy=old, status="active")
    encounter_start(acting_user=staff.doctor, patient=chart.patient)
    allergy_void(acting_user=staff.doctor, allergy=renewed, reason="Entered on the wrong patient")
    allergy_status_set(acting_user=staff.nurse, allergy=old, status="active")
    with pytest.raises(ApplicationError, match="already active"):
        allergy_status_set(acting_user=staff.nurse, allergy=old, status="active")
    with pytest.raises(ApplicationError, match="Choose"):
        allergy_status_set(acting_user=staff.nurse, allergy=old, status="resolved")
    renewed.refresh_from_db()
    assert renewed.status_display == "Entered in error"
    assert AuditEvent.objects.get(action="allergy.void").detail["reason"] == "Entered on the wrong patient"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"substance": "  "}, "substance"),
        ({"substance": "x" * 201}, "substance"),
        ({"category": "drug"}, "category"),
        ({"severity": "fatal"}, "severity"),
        ({"reaction": "x" * 256}, "reaction"),
    ],
)
def test_bad_details_are_refused_per_field(staff, chart, in_hospital, change, field):
    with pytest.raises(ApplicationError, match="not valid") as refused:
        allergy_record(acting_user=staff.nurse, patient=chart.patient, **{**PENICILLIN, **change})
    assert field in refused.value.details
    assert not Allergy.objects.exists() and not AuditEvent.objects.exists()


def test_who_records_reads_and_voids_allergies(staff, chart, in_hospital):
    with pytest.raises(NotFound):  # not (yet) in the doctor's care
        allergy_record(acting_user=staff.other_doctor, patient=chart.patient, **PENICILLIN)
    for who in (staff.receptionist, staff.admin, staff.patient_user):
        with pytest.raises(NotAllowed):
            allergy_record(acting_user=who, patient=chart.patient, **PENICILLIN)
    allergy = allergy_record(acting_user=staff.doctor, patient=chart.patient, **PENICILLIN)  # booked: in care

    assert [a.pk for a in allergy_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk)] == [
        allergy.pk
    ]
    assert [a.pk for a in allergy_list_for_patient(user=staff.patient_user, patient_id=chart.patient.pk)] == [
        allergy.pk
    ]
    with pytest.raises(NotFound):
        allergy_list_for_patient(user=staff.other_patient_user, patient_id=chart.patient.pk)
    with pytest.raises(NotFound):
        allergy_list_for_patient(user=staff.other_doctor, patient_id=chart.patient.pk)
    with pytest.raises(NotAllowed):
        allergy_list_for_patient(user=staff.receptionist, patient_id=chart.patient.pk)
    with pytest.raises(NotAllowed):  # a nurse marks an allergy inactive but does not void one
        allergy_void(acting_user=staff.nurse, allergy=allergy, reason="typo")
    reads = AuditEvent.objects.filter(action="allergy.list")
    assert reads.count() == 2 and {e.patient_id for e in reads} == {chart.patient.pk}


def test_lists_leave_voided_and_optionally_inactive_allergies_out(staff, chart, in_hospital):
    kept = allergy_record(acting_user=staff.doctor, patient=chart.patient, **PENICILLIN)
    inactive = allergy_record(
        acting_user=staff.doctor,
        patient=chart.patient,
        substance="Latex",
        category="environment",
        severity="mild",
    )
    allergy_status_set(acting_user=staff.doctor, allergy=inactive, status="inactive")
    voided = allergy_record(
        acting_user=staff.doctor, patient=chart.patient, substance="Eggs", category="food", severity="mild"
    )
    allergy_void(acting_user=staff.doctor, allergy=voided, reason="Confused with another patient")

    def listed(**options):
        return [
            a.pk for a in allergy_list_for_patient(user=staff.nurse, patient_id=chart.patient.pk, **options)
        ]

    assert listed() == [kept.pk, inactive.pk]  # active first
    assert listed(include_inactive=False) == [kept.pk]
    assert set(listed(include_voided=True)) == {kept.pk, inactive.pk, voided.pk}
    own = allergy_list_for_patient(user=staff.patient_user, patient_id=chart.patient.pk, include_voided=True)
    assert voided.pk not in [a.pk for a in own]


def test_two_nurses_recording_the_same_allergy_at_once_get_a_clear_message(
    staff, chart, in_hospital, monkeypatch
):
    from hms.encounters.services import allergies as services

    allergy_record(acting_user=staff.nurse, patient=chart.patient, **PENICILLIN)
    # The other nurse's check ran before this row existed: only the database's constraint stops her.
    monkeypatch.setattr(services, "_allergy_check_no_active_twin", lambda *args, **kwargs: None)
    with pytest.raises(ApplicationError, match="at the same moment"):
        allergy_record(acting_user=staff.nurse, patient=chart.patient, **PENICILLIN)
    assert Allergy.objects.count() == 1
    assert AuditEvent.objects.filter(action="allergy.record").count() == 1


# Coded allergies (hms.encounters.allergens)


def test_an_allergy_is_recorded_against_a_drug_class_and_audited_with_its_code(staff, chart, in_hospital):
    allergy = allergy_record(
        acting_user=staff.nurse,
        patient=chart.patient,
        substance="",
        allergen_code="group:penicillins",
        category="medication",
        severity="severe",
    )
    assert (allergy.substance, allergy.allergen_code) == ("Penicillins", "group:penicillins")
    assert AuditEvent.objects.get().detail["allergen_code"] == "group:penicillins"


def test_free_text_naming_a_known_allergen_is_coded_and_other_text_kept_as_typed(staff, chart, in_hospital):
    coded = allergy_record(
        acting_user=staff.nurse, patient=chart.patient, substance="Amoxycillin", category="medication",
        severity="mild",
    )  # fmt: skip
    free = allergy_record(
        acting_user=staff.nurse,
        patient=chart.patient,
        substance="Strawberries",
        category="food",
        severity="mild",
    )
    assert coded.allergen_code == "substance:amoxicillin"
    assert free.allergen_code == ""


def test_an_unknown_allergen_code_is_refused(staff, chart, in_hospital):
    with pytest.raises(ApplicationError) as raised:
        allergy_record(
            acting_user=staff.nurse, patient=chart.patient, substance="", allergen_code="group:nothing",
            category="medication", severity="mild",
        )  # fmt: skip
    assert "allergen_code" in raised.value.details
    assert not Allergy.objects.exists()


def test_the_allergy_form_needs_the_list_or_the_text():
    from hms.encounters.forms import AllergyForm

    empty = AllergyForm({"category": "medication", "severity": "mild"})
    assert not empty.is_valid() and "substance" in empty.errors
    coded = AllergyForm({"allergen_code": "group:nsaids", "category": "medication", "severity": "mild"})
    assert coded.is_valid(), coded.errors
    assert (coded.cleaned_data["allergen_code"], coded.cleaned_data["substance"]) == ("group:nsaids", "")
