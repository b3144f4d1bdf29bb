"""What the demo opens on, recorded through the services (hms.demo.records): a laboratory scientist
in each hospital validating the results, a critical result waiting on a doctor's start page and an
older one read back and acknowledged, problem lists in the hospital's code system, and "no known
allergies" only for patients with no active allergy."""

from decimal import Decimal

import pytest
from django.urls import reverse

from hms.accounts.models import Role, User
from hms.alerts.models import CriticalAlert
from hms.alerts.readback import states_value
from hms.audit.models import AuditEvent
from hms.clinical.ages import age_on
from hms.clinical.profiles import clinical_profile
from hms.demo.data.conditions import CHRONIC, CONDITIONS
from hms.demo.data.users import DEMO_USERS
from hms.encounters.icd10 import code_set, icd10_lookup
from hms.encounters.models import (
    Allergy,
    Diagnosis,
    Encounter,
    NoKnownAllergies,
    NoteAmendment,
    ProblemListItem,
)
from hms.orders.lab_catalogue import TESTS
from hms.orders.models import LabResult
from hms.staff.models import StaffMember
from hms.tenancy.context import hospital_context

from .test_activity import CODE_SYSTEMS, CODES, ZONES, _seed

# Every long-term condition of the demo: those drawn by age and sex, and those it gives to a patient.
LONG_TERM = [*CHRONIC, *(key for key, condition in CONDITIONS.items() if not condition.drawn)]
CKD = "N18.32"
POTASSIUM, CREATININE, HAEMOGLOBIN = "2823-3", "2160-0", "718-7"


@pytest.mark.django_db
def test_the_demo_opens_on_the_laboratory_critical_results_problem_lists_and_nka(settings, client):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()

    for code in CODES:
        with hospital_context(code):
            lab = _check_laboratory(code)
            waiting = _check_critical_results(code, lab)
            _check_problem_lists(code)
            _check_no_known_allergies(code)
        # The doctor meets the waiting result first thing on their start page.
        client.force_login(User.objects.get(pk=waiting.clinician_id))
        body = client.get(reverse("hospital-home", kwargs={"hospital_code": code})).content.decode()
        assert "Critical results to acknowledge (1)" in body and "Potassium 6.8 mmol/L (HH)" in body
        client.logout()


def _check_laboratory(code):
    """One laboratory scientist, named as the demo's users are, on the staff of the laboratory, who
    validated every verified result (the history as the service would store it, the rest through it)."""
    (spec,) = [u for u in DEMO_USERS if u.hospital == code and u.role == "LAB"]
    lab = User.objects.get(hospital__code=code, role=Role.LAB)
    assert lab.username == spec.username and lab.username.endswith("_lab") and lab.get_full_name()
    member = StaffMember.objects.select_related("department").get(user_id=lab.pk)
    assert member.role == Role.LAB and member.department.code == "LAB" and member.is_active
    verified = LabResult.objects.filter(verified_at__isnull=False)
    assert verified.exists()
    assert set(verified.values_list("verified_by_id", flat=True)) == {lab.pk}
    validations = AuditEvent.objects.filter(action="lab_result.verify")
    assert validations.exists() and set(validations.values_list("actor_id", flat=True)) == {lab.pk}
    return lab


def _check_critical_results(code, lab):
    """The older alert acknowledged with a read-back of its value, the newer one waiting on the
    ordering doctor; both validated by the laboratory from panels whose values make sense together,
    in the hospital's units. Returns the waiting alert."""
    alerts = list(CriticalAlert.objects.order_by("raised_at", "id"))
    acknowledged = [a for a in alerts if a.state == CriticalAlert.State.ACKNOWLEDGED]
    waiting = [a for a in alerts if a.state != CriticalAlert.State.ACKNOWLEDGED]
    assert len(acknowledged) == 1 and len(waiting) == 1, [(a.text, a.state) for a in alerts]
    assert alerts == [*acknowledged, *waiting]  # the acknowledged one is the older
    nurse = User.objects.get(hospital__code=code, role=Role.NURSE)
    units_for = clinical_profile().lab_units_for
    for alert in alerts:
        doctor = User.objects.get(pk=alert.clinician_id)
        assert doctor.role == Role.DOCTOR and doctor.hospital.code == code
        assert alert.raised_by_id == lab.pk and alert.flag in ("LL", "HH")
        result = LabResult.objects.select_related("order").get(pk=alert.record_id)
        assert alert.resource == "LabResult" and alert.patient_id == result.order.patient_id
        assert result.order.ordered_by_id == doctor.pk
        assert (result.entered_by_id, result.verified_by_id) == (nurse.pk, lab.pk)
        assert result.order.collected_at <= result.entered_at <= result.verified_at <= alert.raised_at
        for member in LabResult.objects.select_related("order").filter(
            order__encounter=result.order.encounter
        ):
            form = TESTS[member.order.test_code].form_for(units_for(member.order.test_code))
            assert (member.unit, member.loinc_code) == (form.unit, form.code)  # the hospital's units
            assert member.verified_by_id == lab.pk
    (older,) = acknowledged
    assert older.acknowledged_by_id == older.clinician_id and older.acknowledged_at >= older.raised_at
    assert states_value(older.read_back, older.value)
    older_result = LabResult.objects.select_related("order").get(pk=older.record_id)
    assert older_result.order.test_code == HAEMOGLOBIN
    assert older_result.display_value in older.read_back
    amended = NoteAmendment.objects.get(note__encounter_id=older_result.order.encounter_id)
    assert amended.author_id == older.clinician_id and older_result.display_value in amended.text
    (alert,) = waiting
    result = LabResult.objects.select_related("order__patient").get(pk=alert.record_id)
    assert (result.order.test_code, result.value_numeric, result.unit) == (
        POTASSIUM,
        Decimal("6.8"),
        "mmol/L",
    )
    assert alert.text == "Potassium 6.8 mmol/L (HH)" and not alert.read_back
    # The patient has chronic kidney disease, stage 3b: on the problem list, diagnosed at the visit
    # that ordered the panel, and the panel's creatinine gives an eGFR of 30-44.
    patient = result.order.patient
    ckd = CONDITIONS[CKD].code_in(CODE_SYSTEMS[code])
    assert ProblemListItem.objects.live().filter(patient=patient, code=ckd, status="active").exists()
    assert Diagnosis.objects.filter(encounter_id=result.order.encounter_id, icd10_code=ckd, kind="primary")
    creatinine = LabResult.objects.get(
        order__encounter_id=result.order.encounter_id, order__test_code=CREATININE
    )
    assert 30 <= creatinine.egfr <= 44 and creatinine.flag == "H"
    return alert


def _check_problem_lists(code):
    """Long-term conditions, coded and described as the hospital's code system has them, once each,
    for patients a doctor has seen, added by such a doctor, begun before the first visit here."""
    codes = code_set()
    assert codes.key == CODE_SYSTEMS[code]
    long_term = {CONDITIONS[key].code_in(codes.key) for key in LONG_TERM}
    problems = list(ProblemListItem.objects.live().select_related("patient", "diagnosis"))
    assert problems
    assert len({(p.patient_id, p.code) for p in problems}) == len(problems)
    for problem in problems:
        assert (problem.code_system, problem.code_system_version) == (codes.key, codes.version)
        entry = icd10_lookup(problem.code, codes.key)
        assert entry is not None and entry.billable and entry.description == problem.description
        assert problem.code in long_term and problem.status == "active"
        visits = Encounter.objects.live().filter(patient=problem.patient).order_by("started_at")
        assert problem.recorded_by_id in set(visits.values_list("practitioner_user_id", flat=True))
        first_day = visits.first().started_at.astimezone(ZONES[code]).date()
        assert problem.patient.birth_date <= problem.onset_date < first_day
        if problem.diagnosis is not None:
            assert (problem.diagnosis.patient_id, problem.diagnosis.icd10_code) == (
                problem.patient_id,
                problem.code,
            )
            assert problem.recorded_by_id == problem.diagnosis.recorded_by_id
    # Every long-term condition diagnosed at a visit is on the patient's list.
    listed = {(p.patient_id, p.code) for p in problems}
    diagnosed = set(
        Diagnosis.objects.live().filter(icd10_code__in=long_term).values_list("patient_id", "icd10_code")
    )
    assert diagnosed <= listed
    assert AuditEvent.objects.filter(action="problem.add").count() == len(problems)


def _check_no_known_allergies(code):
    """Stated by the nurse for a few patients who have been seen, never one with an active allergy."""
    nurse = User.objects.get(hospital__code=code, role=Role.NURSE)
    statements = list(NoKnownAllergies.objects.live().filter(superseded_at=None))
    assert statements
    allergic = set(Allergy.objects.live().filter(status="active").values_list("patient_id", flat=True))
    seen = set(Encounter.objects.live().values_list("patient_id", flat=True))
    for statement in statements:
        assert statement.patient_id not in allergic and statement.patient_id in seen
        assert statement.recorded_by_id == nurse.pk
    assert len(statements) < len(seen - allergic)  # a few: the others' allergies are "not recorded"
    # The patient with the doctor now was asked at triage, unless they have an allergy.
    for encounter in Encounter.objects.filter(status="in_progress"):
        assert (encounter.patient_id in allergic) != (
            encounter.patient_id in {s.patient_id for s in statements}
        )


@pytest.mark.django_db
def test_without_a_laboratory_scientist_the_ordering_doctor_validates(settings, monkeypatch):
    settings.HMS_DEMO_PASSWORD = ""
    monkeypatch.setattr("hms.demo.services.DEMO_USERS", [u for u in DEMO_USERS if u.role != "LAB"])

    _seed()

    assert not User.objects.filter(role=Role.LAB).exists()
    for code in CODES:
        with hospital_context(code):
            verified = list(LabResult.objects.select_related("order").filter(verified_at__isnull=False))
            assert verified and all(r.verified_by_id == r.order.ordered_by_id for r in verified)
            waiting = CriticalAlert.objects.exclude(state=CriticalAlert.State.ACKNOWLEDGED).get()
            assert waiting.raised_by_id == waiting.clinician_id  # the doctor acted as the laboratory
            patient = waiting.patient
            day = waiting.raised_at.astimezone(ZONES[code]).date()
            assert age_on(patient.birth_date, day).years >= 18
