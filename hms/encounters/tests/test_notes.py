import pytest
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.care.tests.factories import CareAssignmentFactory
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import ClinicalNote, NoteAmendment
from hms.encounters.selectors import encounter_detail, note_detail
from hms.encounters.services import (
    encounter_finish,
    encounter_start,
    encounter_void,
    note_amend,
    note_create,
    note_sign,
    note_update_draft,
    note_void,
)

pytestmark = pytest.mark.django_db

SOAP = {
    "subjective": "Thirsty, passing urine often for 3 weeks.",
    "objective": "BMI 31. Random glucose 14.2 mmol/L.",
    "assessment": "Type 2 diabetes mellitus, new.",
    "plan": "Metformin 500 mg twice daily; HbA1c; review in 4 weeks.",
}


@pytest.fixture
def encounter(staff, chart, in_hospital):
    return encounter_start(acting_user=staff.doctor, patient=chart.patient)


@pytest.fixture
def signed(staff, encounter):
    note = note_create(acting_user=staff.doctor, encounter=encounter, **SOAP)
    return note_sign(acting_user=staff.doctor, note=note)


def test_write_edit_and_sign_a_note(staff, chart, encounter):
    note = note_create(acting_user=staff.doctor, encounter=encounter.pk, subjective=" Thirsty. ")
    assert (note.status, note.subjective, note.author_id, note.patient_id) == (
        "draft",
        "Thirsty.",
        staff.doctor.pk,
        chart.patient.pk,
    )
    note_update_draft(acting_user=staff.doctor, note=note.pk, assessment="Diabetes?", plan="Tests")
    note_update_draft(acting_user=staff.doctor, note=note.pk, assessment="Type 2 diabetes")

    signed = note_sign(acting_user=staff.doctor, note=note.pk, client_address="10.0.0.4")

    stored = ClinicalNote.objects.get()
    assert (stored.subjective, stored.assessment, stored.plan) == ("Thirsty.", "Type 2 diabetes", "Tests")
    assert (stored.status, stored.signed_by_id) == ("signed", staff.doctor.pk)
    assert stored.signed_at is not None and stored.signed_at == signed.signed_at
    actions = list(
        AuditEvent.objects.filter(resource="ClinicalNote").order_by("id").values_list("action", "patient_id")
    )
    assert actions == [
        ("note.create", chart.patient.pk),
        ("note.update", chart.patient.pk),
        ("note.update", chart.patient.pk),
        ("note.sign", chart.patient.pk),
    ]
    assert AuditEvent.objects.filter(action="note.update").first().detail["sections"] == [
        "assessment",
        "plan",
    ]


def test_a_signed_note_is_never_edited_again_only_amended(staff, signed):
    with pytest.raises(ApplicationError, match="signed and cannot be edited"):
        note_update_draft(acting_user=staff.doctor, note=signed, plan="Insulin")
    with pytest.raises(ApplicationError, match="signed and cannot be signed"):
        note_sign(acting_user=staff.doctor, note=signed)

    amendment = note_amend(
        acting_user=staff.doctor, note=signed.pk, text="Dose is 500 mg once daily.", reason="Wrong frequency"
    )

    stored = ClinicalNote.objects.get()
    assert stored.plan == SOAP["plan"] and stored.status == "signed"
    assert (amendment.note_id, amendment.author_id, amendment.reason) == (
        signed.pk,
        staff.doctor.pk,
        "Wrong frequency",
    )
    assert AuditEvent.objects.get(action="note.amend").detail["amendment_id"] == amendment.pk


def test_an_amendment_needs_text_and_a_reason_and_a_signed_note(staff, encounter, signed):
    with pytest.raises(ApplicationError) as refused:
        note_amend(acting_user=staff.doctor, note=signed, text=" ", reason="")
    assert set(refused.value.details) == {"text", "reason"}
    draft = note_create(acting_user=staff.doctor, encounter=encounter, plan="x")
    with pytest.raises(ApplicationError, match="still a draft"):
        note_amend(acting_user=staff.doctor, note=draft, text="more", reason="why")
    assert not NoteAmendment.objects.exists()


def test_an_empty_note_is_not_signed(staff, encounter):
    note = note_create(acting_user=staff.doctor, encounter=encounter)
    with pytest.raises(ApplicationError, match="empty note"):
        note_sign(acting_user=staff.doctor, note=note)
    assert ClinicalNote.objects.get().status == "draft"


def test_only_the_author_edits_or_signs_a_draft(staff, chart, encounter):
    note = note_create(acting_user=staff.doctor, encounter=encounter, plan="x")
    CareAssignmentFactory(patient=chart.patient, clinician_user_id=staff.other_doctor.pk)
    encounter_start(acting_user=staff.other_doctor, patient=chart.patient)
    with pytest.raises(NotAllowed, match="author"):
        note_update_draft(acting_user=staff.other_doctor, note=note, plan="y")
    with pytest.raises(NotAllowed, match="author"):
        note_sign(acting_user=staff.other_doctor, note=note)
    assert ClinicalNote.objects.get().plan == "x"


def test_another_doctor_in_care_may_amend_a_signed_note(staff, chart, signed):
    with pytest.raises(NotFound, match="No such note"):
        note_amend(acting_user=staff.other_doctor, note=signed, text="addendum", reason="seen later")
    CareAssignmentFactory(patient=chart.patient, clinician_user_id=staff.other_doctor.pk)
    encounter_start(acting_user=staff.other_doctor, patient=chart.patient)
    note_amend(acting_user=staff.other_doctor, note=signed, text="addendum", reason="seen later")
    assert NoteAmendment.objects.get().author_id == staff.other_doctor.pk


def test_a_nurse_reads_notes_but_does_not_write_them(staff, encounter, signed):
    for write in (
        lambda: note_create(acting_user=staff.nurse, encounter=encounter, plan="x"),
        lambda: note_update_draft(acting_user=staff.nurse, note=signed, plan="x"),
        lambda: note_sign(acting_user=staff.nurse, note=signed),
        lambda: note_amend(acting_user=staff.nurse, note=signed, text="x", reason="y"),
        lambda: note_void(acting_user=staff.nurse, note=signed, reason="y"),
    ):
        with pytest.raises(NotAllowed):
            write()
    assert note_detail(user=staff.nurse, note_id=signed.pk).note.pk == signed.pk


def test_a_receptionist_never_sees_notes(staff, encounter, signed):
    with pytest.raises(NotAllowed):
        note_detail(user=staff.receptionist, note_id=signed.pk)
    with pytest.raises(NotAllowed):
        note_detail(user=staff.receptionist, note_id=999999)  # refused before looking
    with pytest.raises(NotAllowed):
        note_create(acting_user=staff.receptionist, encounter=encounter, plan="x")
    with pytest.raises(NotAllowed):
        encounter_detail(user=staff.receptionist, encounter_id=encounter.pk)


def test_a_patient_sees_their_own_signed_notes_only(staff, encounter, signed):
    draft = note_create(acting_user=staff.doctor, encounter=encounter, plan="thinking")
    note_amend(acting_user=staff.doctor, note=signed, text="addendum", reason="clarity")

    detail = encounter_detail(user=staff.patient_user, encounter_id=encounter.pk)
    assert [view.note.pk for view in detail.notes] == [signed.pk]
    assert [view.amendment.text for view in detail.notes[0].amendments] == ["addendum"]
    assert note_detail(user=staff.patient_user, note_id=signed.pk).note.plan == SOAP["plan"]
    with pytest.raises(NotFound):
        note_detail(user=staff.patient_user, note_id=draft.pk)
    with pytest.raises(NotFound):
        note_detail(user=staff.other_patient_user, note_id=signed.pk)
    with pytest.raises(NotFound):
        encounter_detail(user=staff.other_patient_user, encounter_id=encounter.pk)
    staff_view = encounter_detail(user=staff.nurse, encounter_id=encounter.pk)
    assert [view.note.pk for view in staff_view.notes] == [signed.pk, draft.pk]  # staff see drafts, marked


def test_notes_are_written_after_the_encounter_finished_not_once_voided(staff, encounter):
    encounter_finish(acting_user=staff.doctor, encounter=encounter)
    note = note_create(acting_user=staff.doctor, encounter=encounter, plan="x")
    encounter_void(acting_user=staff.doctor, encounter=encounter, reason="wrong patient")
    with pytest.raises(ApplicationError, match="voided"):
        note_create(acting_user=staff.doctor, encounter=encounter, plan="x")
    with pytest.raises(ApplicationError, match="voided"):
        note_sign(acting_user=staff.doctor, note=note)


def test_a_note_in_error_is_voided_with_its_text_kept(staff, signed):
    with pytest.raises(ApplicationError, match="reason"):
        note_void(acting_user=staff.doctor, note=signed, reason="")
    note_void(acting_user=staff.doctor, note=signed, reason="Written on the wrong patient")
    stored = ClinicalNote.objects.get()
    assert stored.is_voided and stored.plan == SOAP["plan"] and stored.status == "signed"
    with pytest.raises(ApplicationError, match="voided"):
        note_amend(acting_user=staff.doctor, note=signed, text="x", reason="y")
    detail = encounter_detail(user=staff.doctor, encounter_id=signed.encounter_id)
    assert detail.notes == []
    assert (
        len(encounter_detail(user=staff.doctor, encounter_id=signed.encounter_id, include_voided=True).notes)
        == 1
    )


# The database's own guard


@pytest.mark.parametrize(
    "change",
    [
        {"plan": "Changed behind the application's back"},
        {"subjective": ""},
        {"objective": "x"},
        {"assessment": "x"},
        {"author_id": 424242},
        {"status": "draft", "signed_at": None, "signed_by_id": None},
        {"signed_by_id": 424242},
    ],
)
def test_the_database_refuses_to_change_a_signed_note(staff, signed, in_hospital, change):
    refused = pytest.raises(IntegrityError, match="signed clinical note cannot be changed")
    with refused, transaction.atomic(using=in_hospital.alias):
        ClinicalNote.objects.filter(pk=signed.pk).update(**change)
    signed_row = ClinicalNote.objects.get(pk=signed.pk)
    signed_row.plan = "via save()"
    with pytest.raises(IntegrityError), transaction.atomic(using=in_hospital.alias):
        signed_row.save()
    assert ClinicalNote.objects.values_list("plan", "status").get() == (SOAP["plan"], "signed")


def test_the_database_lets_a_signed_note_be_voided_and_a_draft_be_edited(
    staff, encounter, signed, in_hospital
):
    ClinicalNote.objects.filter(pk=signed.pk).update(
        voided_at=timezone.now(), voided_by_id=staff.doctor.pk, void_reason="wrong patient", plan=SOAP["plan"]
    )
    draft = note_create(acting_user=staff.doctor, encounter=encounter, plan="x")
    ClinicalNote.objects.filter(pk=draft.pk).update(plan="y", author_id=staff.doctor.pk)
    assert ClinicalNote.objects.get(pk=draft.pk).plan == "y"


def test_the_database_refuses_to_change_an_amendment(staff, signed, in_hospital):
    amendment = note_amend(acting_user=staff.doctor, note=signed, text="addendum", reason="clarity")
    refused = pytest.raises(IntegrityError, match="amendment cannot be changed")
    with refused, transaction.atomic(using=in_hospital.alias):
        NoteAmendment.objects.filter(pk=amendment.pk).update(text="rewritten")
    assert NoteAmendment.objects.get().text == "addendum"


def test_the_guard_is_a_trigger_of_this_vendor(in_hospital):
    connection = connections[in_hospital.alias]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'encounters_%'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'encounters_%'"
            )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"encounters_clinicalnote_signed_is_final", "encounters_noteamendment_is_final"}
