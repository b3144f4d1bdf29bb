"""The patient chart (hms.web.chart): the banner on every patient page, the record page's timeline,
problem list and trends; what each role sees of them, their audit rows and their query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.billing.tests.factories import InvoiceFactory
from hms.encounters.models import Diagnosis, Encounter, ProblemListItem
from hms.encounters.tests.factories import (
    AllergyFactory,
    ClinicalNoteFactory,
    DiagnosisFactory,
    EncounterFactory,
    NoKnownAllergiesFactory,
    ObservationFactory,
    ProblemListItemFactory,
)
from hms.encounters.vitals import SYSTOLIC, TEMPERATURE
from hms.orders.models import LabOrder
from hms.orders.tests.factories import LabOrderFactory, LabResultFactory, PrescriptionFactory
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context
from hms.web.chart import age_text, patient_banner, patient_chart

CODE = "DMC001"
BANNER = re.compile(r'<section class="patient-banner".*?</section>', re.S)


def _url(name, **kwargs):
    return reverse(name, kwargs={"hospital_code": CODE, **kwargs})


@pytest.fixture
def dmc(make_hospital):
    return make_hospital(CODE, name="Downtown Medical Center", time_zone="Asia/Dhaka")


@pytest.fixture
def people(dmc, make_user):
    doctor = make_user("habib.ullah.doctor", role=Role.DOCTOR, hospital=dmc)
    doctor.first_name, doctor.last_name = "Habib", "Ullah"
    doctor.save()
    return {
        "doctor": doctor,
        "other_doctor": make_user("dr_other", role=Role.DOCTOR, hospital=dmc),
        "nurse": make_user("nurse", role=Role.NURSE, hospital=dmc),
        "receptionist": make_user("desk", role=Role.RECEPTIONIST, hospital=dmc),
    }


def _record(patient, doctor, *, visits=1):
    """`visits` encounters with a diagnosis, vitals and a haemoglobin each; one allergy and one medicine;
    the hypertension on the problem list, and an asthma resolved."""
    AllergyFactory(patient=patient, substance="Penicillin", reaction="Anaphylaxis")
    ProblemListItemFactory(patient=patient, recorded_by_id=doctor.pk)
    ProblemListItemFactory(
        patient=patient,
        code="J45.9",
        description="Asthma, unspecified",
        onset_date=datetime.date(2001, 3, 1),
        status=ProblemListItem.Status.RESOLVED,
        resolved_date=datetime.date(2015, 6, 1),
        recorded_by_id=doctor.pk,
    )
    now = timezone.now()
    for visit in range(visits):
        when = now - datetime.timedelta(days=30 * (visits - visit))
        encounter = EncounterFactory(
            patient=patient,
            practitioner_user_id=doctor.pk,
            started_at=when,
            reason=f"Visit {visit}",
            status=Encounter.Status.FINISHED,
            ended_at=when + datetime.timedelta(minutes=20),
        )
        DiagnosisFactory(
            encounter=encounter, icd10_code="I10", description="Essential (primary) hypertension"
        )
        ObservationFactory(encounter=encounter, value=Decimal(70 + visit), recorded_at=when)
        ObservationFactory(
            encounter=encounter,
            loinc_code=SYSTOLIC,
            unit="mm[Hg]",
            value=Decimal(150 + visit),
            abnormal_flag="H",
            recorded_at=when,
        )
        ObservationFactory(
            encounter=encounter, loinc_code=TEMPERATURE, unit="Cel", value=Decimal("37.0"), recorded_at=when
        )
        LabResultFactory(
            order=LabOrderFactory(
                encounter=encounter,
                test_code="6690-2",
                collected=True,
                status=LabOrder.Status.RESULTED,
            ),
            value_numeric=Decimal("7.5") + visit,
            unit="10*3/uL",
            reference_low=Decimal("4.0"),
            reference_high=Decimal("11.0"),
            entered_at=when,
        )
        PrescriptionFactory(encounter=encounter, drug_name=f"Amlodipine {visit}")
    return patient


@pytest.fixture
def karim(people):
    with hospital_context(CODE):
        patient = PatientFactory(
            given_name="Karim", family_name="Uddin", birth_date=datetime.date(1980, 5, 17)
        )
        return _record(patient, people["doctor"], visits=2)


def test_age_is_told_in_days_weeks_months_or_years():
    today = datetime.date(2026, 12, 4)
    assert age_text(datetime.date(2026, 11, 30), today) == "4 d"
    assert age_text(datetime.date(2026, 10, 23), today) == "6 wk"
    assert age_text(datetime.date(2025, 10, 5), today) == "13 mo"
    assert age_text(datetime.date(1980, 12, 5), today) == "45 y"
    assert age_text(datetime.date(1980, 12, 4), today) == "46 y"


@pytest.mark.django_db
def test_the_doctor_in_care_sees_the_whole_banner_and_it_is_audited(people, karim):
    with hospital_context(CODE):
        banner = patient_banner(user=people["doctor"], patient_id=karim.pk, client_address="10.0.0.1")
        event = AuditEvent.objects.filter(action="patient.banner").get()
    assert [a.substance for a in banner.allergies] == ["Penicillin"]
    assert [(p.code, p.description) for p in banner.problems] == [  # the active ones
        ("I10", "Essential (primary) hypertension")
    ]
    assert sorted(m.drug_name for m in banner.medicines) == ["Amlodipine 0", "Amlodipine 1"]
    shown = {v.code: (v.value_text, v.flag) for v in banner.vitals}
    assert shown[SYSTOLIC] == ("151 mmHg", "H")  # the latest, in mmHg
    assert shown[TEMPERATURE] == ("37.0 °C", "")
    assert event.patient_id == karim.pk
    assert event.detail["allergy_ids"] == [a.pk for a in banner.allergies]
    assert event.detail["problem_ids"] == [p.pk for p in banner.problems]
    assert sorted(event.detail["prescription_ids"]) == sorted(m.pk for m in banner.medicines)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["receptionist", "other_doctor"])
def test_a_receptionist_or_a_doctor_outside_care_sees_demographics_only(client, people, karim, who):
    with hospital_context(CODE):
        banner = patient_banner(user=people[who], patient_id=karim.pk)
    assert banner.patient == karim
    assert banner.age
    assert (banner.allergies, banner.problems, banner.medicines, banner.vitals) == (None, None, None, None)
    assert not banner.clinical
    client.force_login(people[who])
    html = BANNER.search(client.get(_url("patients:detail", patient_id=karim.pk)).content.decode()).group(0)
    assert "Karim" in html and karim.mrn in html
    for clinical in ("Penicillin", "hypertension", "Amlodipine", "mmHg", "Allergies"):
        assert clinical not in html


@pytest.mark.django_db
def test_the_banner_is_on_every_patient_page(client, people, dmc, karim):
    """Every page about one patient, whether its address names the patient or one of their records
    (an encounter, a note, a lab order, an invoice, an appointment)."""
    with hospital_context(CODE):
        encounter = Encounter.objects.filter(patient=karim).latest("started_at")
        Encounter.objects.filter(pk=encounter.pk).update(status=Encounter.Status.IN_PROGRESS, ended_at=None)
        note = ClinicalNoteFactory(encounter=encounter)
        order = LabOrder.objects.filter(patient=karim).latest("ordered_at")
        invoice = InvoiceFactory(encounter=encounter)
        appointment = AppointmentFactory(patient=karim, practitioner_user_id=people["doctor"].pk)
    pages = {
        "doctor": [
            ("patients:detail", {"patient_id": karim.pk}),
            ("encounters:patient", {"patient_id": karim.pk}),
            ("orders:patient-prescriptions", {"patient_id": karim.pk}),
            ("orders:patient-lab-results", {"patient_id": karim.pk}),
            ("scheduling:patient", {"patient_id": karim.pk}),
            ("encounters:detail", {"encounter_id": encounter.pk}),
            ("encounters:vitals", {"encounter_id": encounter.pk}),
            ("encounters:diagnosis-new", {"encounter_id": encounter.pk}),
            ("encounters:note-new", {"encounter_id": encounter.pk}),
            ("encounters:note", {"note_id": note.pk}),
            ("encounters:note-edit", {"note_id": note.pk}),
            ("encounters:allergy-new", {"patient_id": karim.pk}),
            ("orders:prescription-new", {"encounter_id": encounter.pk}),
            ("orders:lab-order-new", {"encounter_id": encounter.pk}),
            ("orders:lab-order", {"order_id": order.pk}),
        ],
        "receptionist": [
            ("billing:encounter", {"encounter_id": encounter.pk}),
            ("billing:invoice", {"invoice_id": invoice.pk}),
            ("billing:patient-invoices", {"patient_id": karim.pk}),
            ("scheduling:book-patient", {"patient_id": karim.pk}),
            ("scheduling:reschedule", {"appointment_id": appointment.pk}),
            ("scheduling:cancel", {"appointment_id": appointment.pk}),
            ("care:assign", {"patient_id": karim.pk}),
        ],
    }
    for who, named in pages.items():
        client.force_login(people[who])
        for name, kwargs in named:
            response = client.get(_url(name, **kwargs))
            assert response.status_code == 200, name
            html = BANNER.search(response.content.decode())
            assert html is not None, name
            assert "Karim" in html.group(0) and karim.mrn in html.group(0), name
            if who == "doctor":  # in the patient's care: the clinical facts too
                assert "Penicillin" in html.group(0) and "Amlodipine 1" in html.group(0), name


@pytest.mark.django_db
def test_no_banner_on_a_refused_page(client, people, karim):
    """A 404 reads the same for every patient, and a 403 shows nothing of the patient."""
    client.force_login(people["receptionist"])
    response = client.get(_url("encounters:patient", patient_id=karim.pk))
    assert response.status_code == 403
    assert b"patient-banner" not in response.content
    client.force_login(people["nurse"])
    response = client.get(_url("billing:patient-invoices", patient_id=karim.pk))
    assert response.status_code in (403, 404)
    assert b"patient-banner" not in response.content


@pytest.mark.django_db
def test_a_patient_outside_the_users_reach_has_no_banner(people, dmc, make_user):
    portal = make_user("amina", role=Role.PATIENT, hospital=dmc)
    with hospital_context(CODE):
        someone_else = PatientFactory()
        assert patient_banner(user=portal, patient_id=someone_else.pk) is None
        assert patient_chart(user=portal, patient_id=someone_else.pk) is None
        assert not AuditEvent.objects.filter(action__in=["patient.banner", "patient.chart"]).exists()


@pytest.mark.django_db
def test_the_chart_has_the_timeline_problems_and_trends(people, karim):
    with hospital_context(CODE):
        chart = patient_chart(user=people["doctor"], patient_id=karim.pk)
        event = AuditEvent.objects.filter(action="patient.chart").get()
    assert [entry.encounter.reason for entry in chart.timeline] == ["Visit 1", "Visit 0"]
    assert chart.timeline[0].clinician == "Dr Habib Ullah"
    assert [d.icd10_code for d in chart.timeline[0].diagnoses] == ["I10"]
    assert [(p.code, p.status) for p in chart.problems] == [("I10", "active"), ("J45.9", "resolved")]
    assert event.detail["problem_ids"] == [p.pk for p in chart.problems]
    assert [c.title for c in chart.vital_charts] == [
        "Heart rate",
        "Systolic blood pressure",
        "Body temperature",
    ]
    [wbc] = chart.lab_charts
    # Stored in 10*3/uL; a Dhaka hospital reports SI units, and 10*3/uL = 10*9/L.
    assert wbc.title == "White blood cells" and wbc.unit == "×10⁹/L"
    assert [p.value for p in wbc.points] == [Decimal("7.5"), Decimal("8.5")]
    assert wbc.reference_text == "4–11"
    assert event.detail["encounter_ids"] == [entry.encounter.pk for entry in chart.timeline]
    assert len(event.detail["lab_result_ids"]) == 2


@pytest.mark.django_db
def test_the_problem_list_is_its_own_not_the_encounters_diagnoses(people, karim):
    """Voiding every diagnosis leaves the problem list as it is; a problem entered in error leaves it."""
    with hospital_context(CODE):
        Diagnosis.objects.filter(patient=karim).update(voided_at=timezone.now(), void_reason="Wrong patient")
        assert [p.code for p in patient_chart(user=people["doctor"], patient_id=karim.pk).problems] == [
            "I10",
            "J45.9",
        ]
        ProblemListItem.objects.filter(patient=karim, code="I10").update(
            voided_at=timezone.now(), void_reason="Wrong patient"
        )
        chart = patient_chart(user=people["doctor"], patient_id=karim.pk)
        banner = patient_banner(user=people["doctor"], patient_id=karim.pk)
    assert [p.code for p in chart.problems] == ["J45.9"]
    assert banner.problems == []  # a resolved problem is not on the banner


@pytest.mark.django_db
def test_the_banner_tells_no_known_allergies_from_not_recorded(client, people):
    client.force_login(people["doctor"])
    with hospital_context(CODE):
        asked = _record(PatientFactory(), people["doctor"])
        never_asked = _record(PatientFactory(), people["doctor"])
        for patient in (asked, never_asked):
            patient.allergies.update(status="inactive")
        NoKnownAllergiesFactory(patient=asked, recorded_by_id=people["doctor"].pk)
    seen = {}
    for patient in (asked, never_asked):
        page = client.get(_url("patients:detail", patient_id=patient.pk)).content.decode()
        seen[patient.pk] = re.search(
            r'<div class="banner-allergies">.*?</div>', BANNER.search(page).group(0)
        ).group(0)
    assert "No known allergies" in seen[asked.pk] and "not recorded" not in seen[asked.pk]
    assert "Allergies not recorded" in seen[never_asked.pk] and "No known" not in seen[never_asked.pk]


@pytest.mark.django_db
def test_the_record_page_draws_the_trends_as_svg(client, people, karim):
    client.force_login(people["doctor"])
    page = client.get(_url("patients:detail", patient_id=karim.pk)).content.decode()
    assert page.count('<svg class="trend-chart"') == 4  # three vital signs and the white cells
    assert 'class="trend-reference"' in page  # the reference range, shaded
    assert "White blood cells: <strong>8.5 ×10⁹/L</strong>" in page  # the hospital's SI unit
    assert "Systolic blood pressure: <strong>151 mmHg</strong>" in page
    assert "style=" not in page  # the Content Security Policy forbids inline style
    assert "Dr Habib Ullah" in page and "Visit 1" in page
    assert "Problem list" in page


@pytest.mark.django_db
def test_the_receptionists_record_page_has_no_clinical_summary(client, people, karim):
    client.force_login(people["receptionist"])
    page = client.get(_url("patients:detail", patient_id=karim.pk)).content.decode()
    assert "trend-chart" not in page and "Problem list" not in page and "Visit 1" not in page


@pytest.mark.django_db
def test_the_record_page_costs_the_same_queries_for_more_history(client, people, dmc):
    client.force_login(people["doctor"])
    counts = []
    for visits in (2, 6):
        with hospital_context(CODE):
            patient = _record(PatientFactory(), people["doctor"], visits=visits)
        url = _url("patients:detail", patient_id=patient.pk)
        client.get(url)
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias(CODE)]) as hospital,
        ):
            assert client.get(url).status_code == 200
        counts.append((len(shared), len(hospital)))
    assert counts[0] == counts[1]


@pytest.mark.django_db
@pytest.mark.parametrize("selector", [patient_banner, patient_chart])
def test_the_selectors_cost_the_same_queries_for_more_history(people, selector):
    counts = []
    for visits in (1, 5):
        with hospital_context(CODE):
            patient = _record(PatientFactory(), people["doctor"], visits=visits)
            selector(user=people["doctor"], patient_id=patient.pk)  # per-process look-ups out of the way
            with (
                CaptureQueriesContext(connections["default"]) as shared,
                CaptureQueriesContext(connections[hospital_alias(CODE)]) as hospital,
            ):
                assert selector(user=people["doctor"], patient_id=patient.pk) is not None
        counts.append((len(shared), len(hospital)))
    assert counts[0] == counts[1]
