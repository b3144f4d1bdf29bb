import datetime

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.care.tests.factories import CareAssignmentFactory
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, NoteAmendment, Observation
from hms.encounters.services import (
    diagnosis_add,
    encounter_start,
    note_create,
    note_sign,
    observation_record_vitals,
)
from hms.encounters.tests.factories import AllergyFactory
from hms.encounters.vitals import HEART_RATE, TEMPERATURE
from hms.scheduling.models import Appointment
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
BASE = "/h/DMC001/encounters"  # for ids no URL can be reversed to


def _url(name, **ids):
    return reverse(f"encounters:{name}", kwargs={"hospital_code": "DMC001", **ids})


def _body(response):
    return response.content.decode()


@pytest.fixture
def visit(staff, chart):
    """An encounter in progress with a fever, a diagnosis, an allergy, a signed note and a draft."""
    with hospital_context("DMC001"):
        encounter = encounter_start(
            acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment
        )
        Encounter.objects.filter(pk=encounter.pk).update(
            started_at=datetime.datetime(2026, 3, 1, 4, 30, tzinfo=datetime.UTC)
        )
        observation_record_vitals(
            acting_user=staff.nurse,
            encounter=encounter,
            values={TEMPERATURE: ("102.2", "[degF]"), HEART_RATE: ("80", "/min")},
        )
        diagnosis_add(acting_user=staff.doctor, encounter=encounter, icd10_code="J06.9", kind="primary")
        AllergyFactory(
            patient=chart.patient,
            substance="Penicillin",
            category="medication",
            severity="severe",
            reaction="Anaphylaxis",
            recorded_by_id=staff.nurse.pk,
        )
        signed = note_create(
            acting_user=staff.doctor, encounter=encounter, assessment="Viral URTI", plan="Fluids"
        )
        note_sign(acting_user=staff.doctor, note=signed)
        draft = note_create(acting_user=staff.doctor, encounter=encounter, plan="SECRET DRAFT THOUGHTS")
    return {"encounter": encounter, "signed": signed, "draft": draft}


def test_the_encounter_page_shows_everything_with_flags_and_local_times(client, staff, visit):
    client.force_login(staff.doctor)

    response = client.get(_url("detail", encounter_id=visit["encounter"].pk))

    assert response.status_code == 200
    body = _body(response)
    assert "Penicillin (severe, high risk: Anaphylaxis)" in body  # the allergy banner, with its criticality
    assert "39.0 °C" in body and "102.2 °F" in body and "H</strong> high" in body
    assert "80 /min" in body
    assert "J06.9" in body and "Acute upper respiratory infection, unspecified" in body
    assert "Viral URTI" in body and "SECRET DRAFT THOUGHTS" in body and "draft, not signed" in body
    assert "started 2026-03-01 10:30" in body  # 04:30 UTC in Asia/Dhaka
    assert "Finish encounter" in body and "Sign note" in body
    with hospital_context("DMC001"):
        event = AuditEvent.objects.filter(action="encounter.view").get()
    assert event.client_address == "127.0.0.1" and event.actor_id == staff.doctor.pk


def test_a_patient_sees_their_signed_notes_but_no_drafts_and_no_buttons(client, staff, visit):
    client.force_login(staff.patient_user)
    response = client.get(_url("detail", encounter_id=visit["encounter"].pk))
    assert response.status_code == 200
    body = _body(response)
    assert "Viral URTI" in body and "SECRET DRAFT THOUGHTS" not in body
    assert "Finish encounter" not in body and "Void" not in body and "Write a note" not in body
    assert client.get(_url("note", note_id=visit["draft"].pk)).status_code == 404
    assert client.get(_url("note", note_id=visit["signed"].pk)).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("receptionist", 403),
        ("admin", 403),
        ("other_doctor", 404),
        ("other_patient_user", 404),
        ("nurse", 200),
    ],
)
def test_who_may_open_the_encounter_page(client, staff, visit, who, status):
    client.force_login(getattr(staff, who))
    assert client.get(_url("detail", encounter_id=visit["encounter"].pk)).status_code == status
    assert client.get(_url("note", note_id=visit["signed"].pk)).status_code == status


def test_a_receptionist_never_reaches_notes(client, staff, visit):
    client.force_login(staff.receptionist)
    assert client.get(_url("note-new", encounter_id=visit["encounter"].pk)).status_code == 403
    assert (
        client.post(_url("note-amend", note_id=visit["signed"].pk), {"text": "x", "reason": "y"}).status_code
        == 403
    )


def test_a_doctor_starts_an_encounter_from_the_patient_page(client, staff, chart):
    client.force_login(staff.doctor)
    page = client.get(_url("patient", patient_id=chart.patient.pk))
    assert page.status_code == 200
    assert f'<option value="{chart.appointment.pk}" selected>' in _body(page)  # today's, chosen already

    response = client.post(
        _url("start", patient_id=chart.patient.pk),
        {"appointment": str(chart.appointment.pk), "reason": "Cough"},
    )

    assert response.status_code == 302
    with hospital_context("DMC001"):
        encounter = Encounter.objects.get()
        assert Appointment.objects.get().status == "in_consultation"
    assert response["Location"] == _url("detail", encounter_id=encounter.pk)
    again = client.post(_url("start", patient_id=chart.patient.pk), {"reason": "again"})
    assert again.status_code == 400 and "already have an encounter in progress" in _body(again)


def test_a_doctor_outside_care_breaks_the_glass_and_every_read_is_marked(client, staff, chart, visit):
    client.force_login(staff.other_doctor)
    page = client.get(_url("patient", patient_id=chart.patient.pk))
    assert page.status_code == 200
    body = _body(page)
    assert "Not in your care" in body and "Open with emergency access" in body
    assert "Start encounter" not in body  # no walk-in back door (ADR 0011)
    assert "Penicillin" not in body and "Follow-up" not in body  # nothing of the record yet
    refused = client.post(_url("start", patient_id=chart.patient.pk), {"reason": "Walk-in"})
    assert refused.status_code == 404

    start = reverse(
        "care:emergency-start", kwargs={"hospital_code": "DMC001", "patient_id": chart.patient.pk}
    )
    unexplained = client.post(start, {"reason": "other", "explanation": " "})
    assert unexplained.status_code == 400 and "explanation is required" in _body(unexplained)
    response = client.post(start, {"reason": "emergency", "explanation": "Collapsed in the waiting room"})
    assert response.status_code == 302

    after = _body(client.get(_url("patient", patient_id=chart.patient.pk)))
    assert "Emergency access" in after and "Penicillin" in after and "Follow-up" in after
    assert "Start encounter" in after
    with hospital_context("DMC001"):
        opened = AuditEvent.objects.get(action="emergency_access.start")
        assert opened.detail["explanation"] == "Collapsed in the waiting room"
        reads = AuditEvent.objects.filter(
            actor_id=staff.other_doctor.pk, patient_id=chart.patient.pk, pk__gt=opened.pk
        )
        assert reads and all(e.detail.get("emergency_reason") == "emergency" for e in reads)
        # The record's own doctor is not marked.
        own = AuditEvent.objects.filter(actor_id=staff.doctor.pk)
        assert not any("emergency_access" in e.detail for e in own)
    client.force_login(staff.patient_user)
    assert client.get(_url("patient", patient_id=chart.stranger.pk)).status_code == 404


def test_who_may_break_the_glass(client, staff, chart):
    start = reverse(
        "care:emergency-start", kwargs={"hospital_code": "DMC001", "patient_id": chart.patient.pk}
    )
    for user in (staff.nurse, staff.receptionist, staff.admin, staff.patient_user):
        client.force_login(user)
        assert client.post(start, {"reason": "emergency"}).status_code == 403
    client.force_login(staff.other_doctor)
    missing = reverse("care:emergency-start", kwargs={"hospital_code": "DMC001", "patient_id": 999999})
    assert client.post(missing, {"reason": "emergency"}).status_code == 404


def test_start_and_finish_refusals_show_beside_the_form(client, staff, chart):
    client.force_login(staff.doctor)
    bad_choice = client.post(_url("start", patient_id=chart.patient.pk), {"appointment": "abc"})
    assert bad_choice.status_code == 400 and "Select a valid choice" in _body(bad_choice)
    nul = client.post(_url("start", patient_id=chart.patient.pk), {"reason": "a\x00b"})
    assert nul.status_code == 400
    with hospital_context("DMC001"):
        assert not Encounter.objects.exists()
    client.force_login(staff.nurse)
    assert client.get(_url("patient", patient_id=chart.patient.pk)).status_code == 200
    assert client.post(_url("start", patient_id=chart.patient.pk), {}).status_code == 403


def test_finishing_twice_is_a_400_with_the_reason(client, staff, visit):
    client.force_login(staff.doctor)
    url = _url("finish", encounter_id=visit["encounter"].pk)
    assert client.post(url).status_code == 302
    again = client.post(url)
    assert again.status_code == 400 and "already finished" in _body(again)
    assert client.get(url).status_code == 405


def test_recording_vitals_through_the_form(client, staff, visit):
    client.force_login(staff.nurse)
    url = _url("vitals", encounter_id=visit["encounter"].pk)
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {"value_59408-5": "91", "unit_59408-5": "%", "value_29463-7": "154", "unit_29463-7": "[lb_av]"},
    )

    assert response.status_code == 302 and response["Location"].endswith("#vitals")
    with hospital_context("DMC001"):
        values = dict(Observation.objects.values_list("loinc_code", "value"))
    assert values["59408-5"] == 91 and str(values["29463-7"]).startswith("69.85")


def test_an_impossible_vital_is_shown_beside_its_field_and_nothing_is_recorded(client, staff, visit):
    client.force_login(staff.nurse)
    with hospital_context("DMC001"):
        before = Observation.objects.count()
    response = client.post(
        _url("vitals", encounter_id=visit["encounter"].pk),
        {"value_8867-4": "720", "unit_8867-4": "/min", "value_9279-1": "16", "unit_9279-1": "/min"},
    )
    assert response.status_code == 400
    body = _body(response)
    assert "Nothing was recorded; check Heart rate." in body
    assert "Heart rate of 720 per minute is impossible" in body
    with hospital_context("DMC001"):
        assert Observation.objects.count() == before
    empty = client.post(_url("vitals", encounter_id=visit["encounter"].pk), {})
    assert empty.status_code == 400 and "Enter at least one vital sign" in _body(empty)


def test_the_icd10_search_box_lists_matches(client, staff, visit):
    client.force_login(staff.doctor)
    url = _url("diagnosis-new", encounter_id=visit["encounter"].pk)
    words = client.get(url, {"q": "type 2 diabetes"})
    assert words.status_code == 200 and "E11." in _body(words) and "Type 2 diabetes mellitus" in _body(words)
    code = client.get(url, {"q": "e11.9", "code": "E11.9"})
    assert "Type 2 diabetes mellitus without complications" in _body(code)
    assert 'value="E11.9"' in _body(code)
    nothing = client.get(url, {"q": "qqqzzz"})
    assert nothing.status_code == 200 and "No ICD-10 code matches" in _body(
        nothing
    )  # a hospital in Dhaka: the WHO's ICD-10
    assert client.get(url, {"q": "x" * 5000}).status_code == 200


def test_adding_a_diagnosis_through_the_form(client, staff, visit):
    client.force_login(staff.doctor)
    url = _url("diagnosis-new", encounter_id=visit["encounter"].pk)
    category = client.post(url, {"icd10_code": "E11", "kind": "secondary", "certainty": "confirmed"})
    assert category.status_code == 400
    assert "is a category, not a complete code" in _body(category)
    assert "E11.9" in _body(category)  # the billable codes are listed to choose from

    response = client.post(url, {"icd10_code": "e11.9", "kind": "secondary", "certainty": "provisional"})

    assert response.status_code == 302
    with hospital_context("DMC001"):
        assert Diagnosis.objects.filter(icd10_code="E11.9", certainty="provisional").exists()
    junk = client.post(url, {"icd10_code": "", "kind": "nonsense"})
    assert junk.status_code == 400
    client.force_login(staff.nurse)
    assert client.get(url).status_code == 403


def test_recording_an_allergy_through_the_form(client, staff, chart, visit):
    client.force_login(staff.nurse)
    url = _url("allergy-new", patient_id=chart.patient.pk)
    assert client.get(url, {"encounter": visit["encounter"].pk}).status_code == 200
    fields = {"substance": "Latex", "category": "environment", "severity": "mild", "reaction": "Rash"}

    response = client.post(url, {**fields, "encounter": str(visit["encounter"].pk)})

    assert response.status_code == 302 and response["Location"].endswith(
        f"/{visit['encounter'].pk}/#allergies"
    )
    duplicate = client.post(url, {**fields, "substance": "LATEX"})
    assert duplicate.status_code == 400 and "already recorded" in _body(duplicate)
    with hospital_context("DMC001"):
        latex = Allergy.objects.get(substance="Latex")
    status = client.post(_url("allergy-status", allergy_id=latex.pk), {"status": "inactive"})
    assert status.status_code == 302
    assert (
        client.post(_url("allergy-void", allergy_id=latex.pk), {"reason": "typo"}).status_code == 403
    )  # nurse
    client.force_login(staff.doctor)
    assert client.post(_url("allergy-void", allergy_id=latex.pk), {"reason": ""}).status_code == 400
    assert client.post(_url("allergy-void", allergy_id=latex.pk), {"reason": "typo"}).status_code == 302


def test_writing_editing_signing_and_amending_a_note_through_the_pages(client, staff, visit):
    client.force_login(staff.doctor)
    created = client.post(
        _url("note-new", encounter_id=visit["encounter"].pk), {"subjective": "Sore throat", "plan": ""}
    )
    assert created.status_code == 302
    with hospital_context("DMC001"):
        note = ClinicalNote.objects.latest("id")
    assert client.get(_url("note-edit", note_id=note.pk)).status_code == 200
    edited = client.post(_url("note-edit", note_id=note.pk), {"subjective": "Sore throat", "plan": "Rest"})
    assert edited.status_code == 302
    assert client.post(_url("note-sign", note_id=note.pk)).status_code == 302
    signed_edit = client.get(_url("note-edit", note_id=note.pk))
    assert signed_edit.status_code == 400 and "Only a draft can be edited" in _body(signed_edit)
    again = client.post(_url("note-sign", note_id=note.pk))
    assert again.status_code == 400 and "cannot be signed again" in _body(again)

    no_reason = client.post(_url("note-amend", note_id=note.pk), {"text": "More rest", "reason": ""})
    assert no_reason.status_code == 400 and "This field is required" in _body(no_reason)
    amended = client.post(_url("note-amend", note_id=note.pk), {"text": "More rest", "reason": "Forgot"})
    assert amended.status_code == 302
    with hospital_context("DMC001"):
        stored = ClinicalNote.objects.get(pk=note.pk)
        assert (stored.plan, stored.status) == ("Rest", "signed")
        assert NoteAmendment.objects.get(note=stored).text == "More rest"
    page = _body(client.get(_url("note", note_id=note.pk)))
    assert "More rest" in page and "Forgot" in page


def test_a_nurse_records_vitals_but_cannot_write_notes_through_the_pages(client, staff, visit):
    client.force_login(staff.nurse)
    assert client.get(_url("note-new", encounter_id=visit["encounter"].pk)).status_code == 403
    assert client.post(_url("note-new", encounter_id=visit["encounter"].pk), {"plan": "x"}).status_code == 403
    assert client.post(_url("note-sign", note_id=visit["draft"].pk)).status_code == 403
    assert client.get(_url("note-edit", note_id=visit["draft"].pk)).status_code == 403


def test_another_doctor_cannot_edit_or_sign_a_draft(client, staff, chart, visit):
    with hospital_context("DMC001"):
        CareAssignmentFactory(patient=chart.patient, clinician_user_id=staff.other_doctor.pk)
        encounter_start(acting_user=staff.other_doctor, patient=chart.patient)
    client.force_login(staff.other_doctor)
    assert client.get(_url("note-edit", note_id=visit["draft"].pk)).status_code == 403
    assert client.post(_url("note-sign", note_id=visit["draft"].pk)).status_code == 403


def test_voiding_rows_through_the_pages(client, staff, visit):
    client.force_login(staff.doctor)
    with hospital_context("DMC001"):
        observation = Observation.objects.filter(loinc_code=HEART_RATE).get()
        diagnosis = Diagnosis.objects.get()
    missing = client.post(
        _url("observation-void", observation_id=observation.pk),
        {"reason": " ", "encounter": visit["encounter"].pk},
    )
    assert missing.status_code == 400 and "Not voided" in _body(missing)
    # The nurse recorded it: a doctor (CARE scope) may not void it; a nurse (ALL scope) may.
    not_theirs = client.post(_url("observation-void", observation_id=observation.pk), {"reason": "typo"})
    assert not_theirs.status_code == 403 and "Only the clinician who recorded" in _body(not_theirs)
    client.force_login(staff.nurse)
    assert (
        client.post(_url("observation-void", observation_id=observation.pk), {"reason": "typo"}).status_code
        == 302
    )
    client.force_login(staff.doctor)
    assert (
        client.post(_url("diagnosis-void", diagnosis_id=diagnosis.pk), {"reason": "wrong"}).status_code == 302
    )
    assert client.post(_url("note-void", note_id=visit["draft"].pk), {"reason": "discard"}).status_code == 302
    with hospital_context("DMC001"):
        assert Observation.objects.get(pk=observation.pk).is_voided
        assert Diagnosis.objects.get(pk=diagnosis.pk).is_voided
        assert ClinicalNote.objects.get(pk=visit["draft"].pk).is_voided
    # Voided readings are listed with their reason on the encounter's "correct" page.
    voided_shown = _body(
        client.get(_url("vitals-correct", encounter_id=visit["encounter"].pk), {"voided": "1"})
    )
    assert "voided: typo" in voided_shown
    encounter_void = client.post(_url("void", encounter_id=visit["encounter"].pk), {"reason": ""})
    assert encounter_void.status_code == 400
    assert (
        client.post(_url("void", encounter_id=visit["encounter"].pk), {"reason": "wrong patient"}).status_code
        == 302
    )


JUNK_IDS = ["abc", "0", "-1", "99999999999999999999999", "1.5", "%00", "ñ", "' OR 1=1 --"]
JUNK_POST = {"reason": "\x00", "text": "x" * 100_000, "icd10_code": "\x00E11", "value_8867-4": "1e999999"}


@pytest.mark.parametrize("junk", JUNK_IDS)
def test_junk_ids_and_junk_input_never_answer_500(client, staff, visit, junk):
    client.force_login(staff.doctor)
    gets = [
        f"{BASE}/{junk}/",
        f"{BASE}/{junk}/vitals/",
        f"{BASE}/{junk}/diagnoses/?q={junk}",
        f"{BASE}/{junk}/notes/new/",
        f"{BASE}/notes/{junk}/",
        f"{BASE}/notes/{junk}/edit/",
        f"{BASE}/patients/{junk}/",
        f"{BASE}/patients/{junk}/allergies/",
    ]
    posts = [
        f"{BASE}/{junk}/finish/",
        f"{BASE}/{junk}/void/",
        f"{BASE}/{junk}/vitals/",
        f"{BASE}/{junk}/diagnoses/",
        f"{BASE}/{junk}/notes/new/",
        f"{BASE}/notes/{junk}/sign/",
        f"{BASE}/notes/{junk}/amend/",
        f"{BASE}/notes/{junk}/void/",
        f"{BASE}/observations/{junk}/void/",
        f"{BASE}/diagnoses/{junk}/void/",
        f"{BASE}/allergies/{junk}/void/",
        f"{BASE}/allergies/{junk}/status/",
        f"{BASE}/patients/{junk}/start/",
        f"{BASE}/patients/{junk}/allergies/",
    ]
    for url in gets:
        assert client.get(url).status_code in (400, 404), url
    for url in posts:
        assert client.post(url, JUNK_POST).status_code in (400, 403, 404), url


def test_junk_input_on_real_records_is_a_400(client, staff, chart, visit):
    client.force_login(staff.doctor)
    encounter = visit["encounter"].pk
    with hospital_context("DMC001"):
        before = (Observation.objects.count(), Diagnosis.objects.count(), ClinicalNote.objects.count())
    for url, data in [
        (_url("vitals", encounter_id=encounter), JUNK_POST),
        (_url("vitals", encounter_id=encounter), {"value_8867-4": "1e999999", "unit_8867-4": "/min"}),
        (_url("vitals", encounter_id=encounter), {"value_8867-4": "72", "unit_8867-4": "furlongs"}),
        (
            _url("diagnosis-new", encounter_id=encounter),
            {"icd10_code": "\x00E11", "kind": "primary", "certainty": "confirmed"},
        ),
        (
            _url("diagnosis-new", encounter_id=encounter),
            {"icd10_code": "E" * 17, "kind": "primary", "certainty": "confirmed"},
        ),
        (_url("note-new", encounter_id=encounter), {"plan": "x" * 50_001}),
        (_url("void", encounter_id=encounter), {"reason": "x" * 300}),
        (_url("note-amend", note_id=visit["signed"].pk), {"text": "\x00", "reason": "r"}),
        (_url("allergy-new", patient_id=chart.patient.pk), {"substance": "\x00", "category": "x"}),
        (_url("allergy-status", allergy_id=1), {"status": "gone"}),
    ]:
        assert client.post(url, data).status_code == 400, url
    with hospital_context("DMC001"):
        assert (
            Observation.objects.count(),
            Diagnosis.objects.count(),
            ClinicalNote.objects.count(),
        ) == before
        assert Encounter.objects.get().voided_at is None


def test_pages_need_a_login(client, visit):
    response = client.get(_url("detail", encounter_id=visit["encounter"].pk))
    assert response.status_code == 302 and "/login/" in response["Location"]
