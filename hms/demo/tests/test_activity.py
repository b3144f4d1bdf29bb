"""seed_demo's clinic activity: the history obeys every rule the services and the database hold."""

import datetime
import re
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Payment,
    PriceListItem,
)
from hms.billing.services import invoice_create_for_encounter, invoice_issue, invoice_line_add
from hms.clinical.ages import age_on
from hms.clinical.profiles import clinical_profile
from hms.clinical.ranges import clinical_sex
from hms.core.exceptions import NotFound
from hms.demo import clinical
from hms.demo.data.allergies import CROSS_REACTIONS
from hms.demo.data.billing import DEMO_BILLING, DEMO_PRICES
from hms.demo.data.conditions import CONDITIONS, FEBRILE_INFANT_MONTHS
from hms.demo.data.drugs import DRUGS
from hms.demo.data.hospitals import DEMO_HOSPITALS
from hms.encounters import vitals
from hms.encounters.icd10 import icd10_lookup
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, NoteAmendment, Observation
from hms.encounters.selectors import encounter_list_for_patient
from hms.orders.lab_catalogue import TESTS, limits_for
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.orders.selectors import lab_orders_for_patient
from hms.orders.services import prescription_review
from hms.patients.models import Patient
from hms.patients.selectors import patient_detail, patient_own_record
from hms.scheduling.models import FREE_STATUSES, Appointment, WorkingHours
from hms.staff.models import Department, StaffMember
from hms.tenancy.context import hospital_context

CODES = [code for code, _, _ in DEMO_HOSPITALS]
ZONES = {code: zoneinfo.ZoneInfo(zone) for code, _, zone in DEMO_HOSPITALS}
# Each hospital's working week (0 = Monday): Sunday to Thursday in Dhaka (Friday and Saturday
# are the weekend in Bangladesh), Monday to Friday in New York and London.
WORKING_DAYS = {"TH001": {6, 0, 1, 2, 3}, "DMC001": {0, 1, 2, 3, 4}, "TEST_HOSPITAL": {0, 1, 2, 3, 4}}
# Each hospital's own conventions: diagnosis codes, the unit its laboratory reports glucose in
# (with the LOINC code of that unit), and the water one sachet of its oral rehydration salts
# is made up in (ORSaline-N in Bangladesh, Dioralyte in the UK, the WHO's litre sachet).
CODE_SYSTEMS = {"TH001": "icd10-who", "DMC001": "icd10-cm", "TEST_HOSPITAL": "icd10-who"}
GLUCOSE = {
    "TH001": ("14749-6", "mmol/L"),
    "DMC001": ("2345-7", "mg/dL"),
    "TEST_HOSPITAL": ("14749-6", "mmol/L"),
}
ORS_WATER = {"TH001": "500 mL", "DMC001": "1000 mL", "TEST_HOSPITAL": "200 mL"}
# Whatever today is, four calendar days before it hold at least two working days of history,
# and three days ahead at least one working day of bookings.
ARGS = ("--patients", "30", "--days", "4", "--future-days", "3")
TABLES = [
    Department,
    StaffMember,
    WorkingHours,
    PriceListItem,
    Patient,
    Allergy,
    Appointment,
    Encounter,
    Observation,
    Observation.derived_from.through,
    Diagnosis,
    ClinicalNote,
    NoteAmendment,
    Prescription,
    LabOrder,
    LabResult,
    Invoice,
    InvoiceLine,
    Payment,
    InvoiceCounter,
    AuditEvent,
]


def _seed(*args):
    out = StringIO()
    call_command("seed_demo", *(args or ARGS), stdout=out)
    return out.getvalue()


def _counts():
    counts = {}
    for code in CODES:
        with hospital_context(code):
            counts[code] = {model.__name__: model.objects.count() for model in TABLES}
    counts["users"] = User.objects.count()
    return counts


def _history_event():
    return AuditEvent.objects.get(action="demo.history")


@pytest.mark.django_db
def test_every_table_has_rows_and_the_history_obeys_the_rules(settings):
    settings.HMS_DEMO_PASSWORD = ""
    output = _seed()
    now = timezone.now()

    for code in CODES:
        assert f"{code} " in output and "activity created" in output
        with hospital_context(code):
            empty = [model.__name__ for model in TABLES if not model.objects.exists()]
            assert not empty, f"{code}: no rows in {empty}"
            _check_staff_and_prices(code)
            _check_bookings(code)
            _check_encounters(code, now)
            _check_prescriptions()
            _check_lab_results(code)
            _check_coherence(code)
            _check_invoices(code)
            report = audit_chain_verify()
            assert report.intact, (code, report)
            event = _history_event()
            assert (
                event.detail["appointments"]["count"]
                == Appointment.objects.filter(
                    pk__gte=event.detail["appointments"]["first_id"],
                    pk__lte=event.detail["appointments"]["last_id"],
                ).count()
            )
            assert event.detail["encounters"]["count"] == Encounter.objects.filter(status="finished").count()


def _check_staff_and_prices(code):
    users = {u.pk: u for u in User.objects.filter(hospital__code=code)}
    members = list(StaffMember.objects.all())
    staff_users = {
        pk for pk, u in users.items() if u.role in ("ADMIN", "DOCTOR", "NURSE", "LAB", "RECEPTIONIST")
    }
    assert {m.user_id for m in members} == staff_users
    for member in members:
        if member.role == "DOCTOR":
            assert member.specialty and member.licence_number
            hours = WorkingHours.objects.filter(practitioner_user_id=member.user_id, is_active=True)
            assert sorted(hours.values_list("weekday", "start_time", "end_time")) == [
                (day, datetime.time(9), datetime.time(17)) for day in sorted(WORKING_DAYS[code])
            ]
        if member.role == "NURSE":
            assert member.licence_number
        if member.role == "LAB":  # the laboratory scientist works in the laboratory
            assert member.department.code == "LAB" and not member.licence_number
    currency, prefix, _ = DEMO_BILLING[code]
    settings_row = BillingSettings.objects.get()
    assert (settings_row.currency, settings_row.invoice_prefix) == (currency, prefix)
    assert settings_row.address
    prices = dict(PriceListItem.objects.values_list("code", "unit_price"))
    assert prices == {item_code: Decimal(p[currency]) for item_code, _, _, p in DEMO_PRICES}


def _check_bookings(code):
    zone = ZONES[code]
    live = list(Appointment.objects.exclude(status__in=FREE_STATUSES).order_by("starts_at"))
    for key in ("practitioner_user_id", "patient_id"):
        last_end = {}
        for appointment in live:
            owner = getattr(appointment, key)
            assert appointment.starts_at >= last_end.get(owner, appointment.starts_at), (key, appointment.pk)
            last_end[owner] = appointment.ends_at
    for appointment in Appointment.objects.all():
        start, end = appointment.starts_at.astimezone(zone), appointment.ends_at.astimezone(zone)
        assert start.weekday() in WORKING_DAYS[code] and start.date() == end.date()
        assert datetime.time(9) <= start.time() and end.time() <= datetime.time(17)
        if appointment.status == "cancelled":
            assert appointment.cancel_reason and appointment.status_changed_at < appointment.starts_at
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"completed", "booked"} <= statuses


def _check_encounters(code, now):
    nurses = set(User.objects.filter(hospital__code=code, role=Role.NURSE).values_list("pk", flat=True))
    for appointment in Appointment.objects.filter(status="completed"):
        encounter = Encounter.objects.get(appointment=appointment)
        assert encounter.status == "finished" and appointment.starts_at <= encounter.started_at
        assert encounter.started_at <= encounter.ended_at <= now
        assert encounter.practitioner_user_id == appointment.practitioner_user_id
        note = ClinicalNote.objects.get(encounter=encounter)
        assert note.status == "signed" and note.signed_at is not None
        assert note.signed_by_id == note.author_id == encounter.practitioner_user_id
        assert note.subjective and note.objective and note.assessment and note.plan
        diagnoses = list(Diagnosis.objects.filter(encounter=encounter))
        assert [d.kind for d in diagnoses].count("primary") == 1
        for diagnosis in diagnoses:
            entry = icd10_lookup(diagnosis.icd10_code, diagnosis.code_system)
            assert entry.billable and entry.description == diagnosis.description
            assert diagnosis.icd10_code in {c.code_in(diagnosis.code_system) for c in CONDITIONS.values()}
    # The one encounter under way now was started through the service, with vital signs.
    live = Encounter.objects.get(status="in_progress")
    assert AuditEvent.objects.filter(action="encounter.start", detail__encounter_id=live.pk).exists()
    assert AuditEvent.objects.filter(action="observation.record", detail__encounter_id=live.pk).exists()
    assert Observation.objects.filter(encounter=live).exists()
    arrived = Appointment.objects.filter(status="arrived")
    assert arrived.count() <= 2
    for appointment in arrived:
        assert AuditEvent.objects.filter(action="appointment.status", detail__appointment_id=appointment.pk)
    for observation in Observation.objects.select_related("encounter__patient"):
        if observation.value is None:  # a panel (blood pressure): its members hold the values
            continue
        vital = vitals.VITALS[observation.loinc_code]
        assert observation.unit == vital.unit
        assert vital.plausible[0] <= observation.value <= vital.plausible[1]
        patient = observation.encounter.patient
        day = observation.recorded_at.astimezone(ZONES[code]).date()
        subject = vitals.patient_subject(patient.birth_date, patient.sex, "", day)
        if observation.loinc_code != vitals.BMI:  # a child's BMI goes by its centile
            assert observation.abnormal_flag == vitals.vital_flag(vital, observation.value, subject)
        assert observation.recorded_by_id in nurses
        encounter = observation.encounter
        assert encounter.started_at <= observation.recorded_at <= (encounter.ended_at or now)
    pressures = {}
    for code, encounter_id, value in Observation.objects.filter(
        loinc_code__in=[vitals.SYSTOLIC, vitals.DIASTOLIC]
    ).values_list("loinc_code", "encounter_id", "value"):
        pressures.setdefault(encounter_id, {})[code] = value
    for pair in pressures.values():
        assert pair[vitals.DIASTOLIC] < pair[vitals.SYSTOLIC]
    for bmi in Observation.objects.filter(loinc_code=vitals.BMI):
        weight, height = sorted(bmi.derived_from.all(), key=lambda o: o.loinc_code != vitals.WEIGHT)
        assert (weight.loinc_code, height.loinc_code) == (vitals.WEIGHT, vitals.HEIGHT)
        assert bmi.value == vitals.bmi_measure(weight_kg=weight.value, height_cm=height.value).value


def _check_prescriptions():
    for prescription in Prescription.objects.select_related("encounter", "patient", "formulary_drug"):
        prescription.full_clean()
        encounter = prescription.encounter
        assert encounter.started_at <= prescription.starts_at <= encounter.ended_at
        assert prescription.prescriber_id == encounter.practitioner_user_id
        assert prescription.formulary_drug_id is not None, prescription.drug_name
        review = prescription_review(
            patient=prescription.patient,
            drug=prescription.formulary_drug,
            drug_name=prescription.drug_name,
            dose=prescription.dose,
            dose_unit=prescription.dose_unit,
            strength=prescription.strength,
            frequency=prescription.frequency,
            now=prescription.starts_at,
            today=prescription.starts_at.date(),
        )
        assert not review.allergies, (prescription.drug_name, review.refusals)
        assert not [r for r in review.refusals if r.code.startswith("dose")], review.refusals
    for allergy in Allergy.objects.all():
        assert allergy.status == "active"
        for drug in CROSS_REACTIONS.get(allergy.substance.lower(), ()):
            adult = clinical.Person(480, "female", Decimal(70), Decimal(165))
            names = {clinical.rx_for(drug, adult).drug_name}
            assert not Prescription.objects.filter(patient=allergy.patient, drug_name__in=names).exists()


def _check_lab_results(code):
    units_for = clinical_profile().lab_units_for
    lab = User.objects.get(hospital__code=code, role=Role.LAB)
    for order in LabOrder.objects.select_related("encounter", "patient"):
        assert order.ordered_by_id == order.encounter.practitioner_user_id
        assert order.encounter.started_at <= order.ordered_at <= order.encounter.ended_at
        result = LabResult.objects.filter(order=order).first()
        assert (result is not None) == (order.status in ("resulted", "verified"))
        assert (order.collected_at is not None) == (order.status != "ordered")
        if result is None:
            continue
        # As the result service stores it: in the hospital's unit, with that unit's LOINC code,
        # flagged against the patient's age and sex.
        test = TESTS[order.test_code]
        form = test.form_for(units_for(test.code))
        assert (result.unit, result.loinc_code) == (form.unit, form.code)
        age = age_on(order.patient.birth_date, result.entered_at.astimezone(ZONES[code]).date())
        limits = limits_for(test, age, clinical_sex(order.patient.sex))
        assert result.flag == limits.flag(form.conventional.to_canonical(result.value_numeric))
        assert result.entered_at >= order.collected_at
        entered_by = User.objects.get(pk=result.entered_by_id)
        assert entered_by.role == Role.NURSE
        if order.status == "verified":
            assert result.verified_at >= result.entered_at
            assert result.verified_by_id not in (None, result.entered_by_id)
            assert result.verified_by_id == lab.pk  # validated by the laboratory
        else:
            assert result.verified_at is None


def _check_coherence(code):
    """The demo as a physician reads it, in the hospital's own conventions (issue 14)."""
    assert set(Diagnosis.objects.values_list("code_system", flat=True)) == {CODE_SYSTEMS[code]}
    glucose = LabResult.objects.filter(order__test_code="2345-7")
    assert set(glucose.values_list("loinc_code", "unit")) <= {GLUCOSE[code]}
    bun, urea = LabOrder.objects.filter(test_code="3094-0"), LabOrder.objects.filter(test_code="22664-7")
    assert not (urea if code == "DMC001" else bun).exists()  # BUN in the US, urea elsewhere
    for rx in Prescription.objects.filter(drug_name__startswith="Oral rehydration salts"):
        assert rx.dose_unit == "mL" and f"in {ORS_WATER[code]} of clean drinking water" in rx.instructions
    fever = {c.code_in(CODE_SYSTEMS[code]) for c in CONDITIONS.values() if "fever" in c.signs}
    for encounter in Encounter.objects.select_related("patient"):
        day = encounter.started_at.astimezone(ZONES[code]).date()
        if age_on(encounter.patient.birth_date, day).months < FEBRILE_INFANT_MONTHS:  # seen, never sent home
            temperatures = Observation.objects.filter(encounter=encounter, loinc_code=vitals.TEMPERATURE)
            assert not temperatures.filter(value__gte=38).exists(), encounter.pk
            assert not Diagnosis.objects.filter(encounter=encounter, icd10_code__in=fever).exists()
    chest_pain = CONDITIONS["R07.9"].code_in(CODE_SYSTEMS[code])
    for diagnosis in Diagnosis.objects.filter(icd10_code=chest_pain, kind="primary"):
        troponin = LabOrder.objects.get(encounter_id=diagnosis.encounter_id, test_code="10839-9")
        assert troponin.priority == "urgent"
        assert InvoiceLine.objects.filter(invoice__encounter_id=diagnosis.encounter_id, item_code="PROC-ECG")
    # After an abnormal result the condition watches (a raised TSH on levothyroxine), the next
    # visit acts on it: its plan says so and the dose is raised.
    by_code = {c.code_in(CODE_SYSTEMS[code]): c for c in CONDITIONS.values()}
    adult = clinical.Person(480, "female", Decimal(70), Decimal(165))
    for note in ClinicalNote.objects.filter(plan__startswith="Last "):
        primary = Diagnosis.objects.get(encounter_id=note.encounter_id, kind="primary")
        condition = by_code[primary.icd10_code]
        drug, step = condition.results_dose
        assert condition.results_plan in note.plan
        rx = Prescription.objects.get(encounter_id=note.encounter_id, drug_name=DRUGS[drug].adult.drug_name)
        assert rx.dose == clinical.rx_for(drug, adult).dose + Decimal(step)
    assert not ClinicalNote.objects.filter(plan__icontains="continue levothyroxine").exists()
    for amendment in NoteAmendment.objects.filter(text__contains="plan unchanged"):
        results = LabResult.objects.filter(order__encounter_id=amendment.note.encounter_id)
        assert not results.exclude(flag__in=["N", ""]).exists()


def _check_invoices(code):
    _, prefix, _ = DEMO_BILLING[code]
    finished = Encounter.objects.filter(status="finished")
    assert Invoice.objects.filter(voided_at__isnull=True).count() == finished.count()
    assert set(Invoice.objects.values_list("encounter_id", flat=True)) == set(
        finished.values_list("pk", flat=True)
    )
    invoices = list(Invoice.objects.order_by("issued_at", "id"))
    sequences = {}
    for invoice in invoices:
        total = InvoiceLine.objects.filter(invoice=invoice).aggregate(s=Sum("line_total"))["s"]
        paid = Payment.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert total > 0 and total - paid >= 0
        assert (invoice.status == "paid") == (total == paid)
        assert invoice.status in ("issued", "paid") and invoice.currency == DEMO_BILLING[code][0]
        match = re.fullmatch(rf"{prefix}-(\d{{4}})-(\d{{6}})", invoice.number)
        assert match, invoice.number
        year = int(match[1])
        sequences[year] = sequences.get(year, 0) + 1
        assert int(match[2]) == sequences[year]  # numbered in the order of issue, no gaps
        for line in InvoiceLine.objects.filter(invoice=invoice):
            item = PriceListItem.objects.get(code=line.item_code)
            assert (line.item_name, line.unit_price, line.category) == (
                item.name,
                item.unit_price,
                item.category,
            )
            assert line.line_total == line.quantity * line.unit_price
    assert dict(InvoiceCounter.objects.values_list("year", "last_sequence")) == sequences
    statuses = {invoice.status for invoice in invoices}
    assert "paid" in statuses
    # The next invoice, issued through the billing service, continues the sequence.
    desk = User.objects.get(hospital__code=code, role=Role.RECEPTIONIST)
    live = Encounter.objects.get(status="in_progress")
    invoice = invoice_create_for_encounter(acting_user=desk, encounter_id=live.pk)
    invoice_line_add(acting_user=desk, invoice_id=invoice.pk, item_code="CONSULT")
    issued = invoice_issue(acting_user=desk, invoice_id=invoice.pk)
    year = issued.issued_at.astimezone(ZONES[code]).year
    assert issued.number == f"{prefix}-{year}-{sequences.get(year, 0) + 1:06d}"


@pytest.mark.django_db
def test_future_bookings_and_todays_clinic_go_through_the_services(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()
    now = timezone.now()
    for code in CODES:
        with hospital_context(code):
            desk = User.objects.get(hospital__code=code, role=Role.RECEPTIONIST)
            future = Appointment.objects.filter(starts_at__gt=now + datetime.timedelta(minutes=10))
            booked = AuditEvent.objects.filter(action="appointment.book")
            assert future.exists()
            assert set(future.values_list("pk", flat=True)) <= set(
                booked.values_list("detail__appointment_id", flat=True)
            )
            assert set(booked.values_list("actor_id", flat=True)) == {desk.pk}
            assert all(a.booked_by_id == desk.pk for a in Appointment.objects.all())
            # History went in with one audit row naming what it wrote; the only results entered
            # through the service are the critical cases' panels (test_records).
            assert AuditEvent.objects.filter(action="demo.history").count() == 1
            assert not AuditEvent.objects.filter(action="invoice.issue").exists()
            entered = AuditEvent.objects.filter(action="lab_result.enter")
            panels = {(r.order.encounter_id, r.order.panel_code) for r in _service_entered(entered)}
            assert {panel for _, panel in panels} == {"58410-2", "24321-2"}  # CBC and BMP, one each


def _service_entered(events):
    return LabResult.objects.filter(pk__in=[e.detail["result_id"] for e in events]).select_related("order")


@pytest.mark.django_db
def test_portal_users_see_their_own_record_and_only_that(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()
    for code, username in [("TH001", "admin"), ("DMC001", "dmc_patient")]:
        user = User.objects.select_related("hospital").get(username=username)
        with hospital_context(code):
            own = patient_own_record(user=user)
            assert own is not None
            assert patient_detail(user=user, patient_id=own.pk).pk == own.pk
            visits = encounter_list_for_patient(user=user, patient_id=own.pk)
            assert len(visits) >= 2
            records = lab_orders_for_patient(user=user, patient_id=own.pk)
            assert all(r.verified_at for order in records.page.object_list for r in order.visible_results)
            assert Allergy.objects.filter(patient=own).exists()
            other = Patient.objects.exclude(pk=own.pk).first()
            with pytest.raises(NotFound):
                patient_detail(user=user, patient_id=other.pk)
            with pytest.raises(NotFound):
                encounter_list_for_patient(user=user, patient_id=other.pk)
    emily = User.objects.get(username="dmc_patient")
    with hospital_context("DMC001"):
        record = Patient.objects.get(user_id=emily.pk)
        assert (record.given_name, record.family_name, record.sex) == ("Emily", "Carter", "female")


@pytest.mark.django_db
def test_a_second_run_creates_nothing(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()
    before = _counts()
    passwords = dict(User.objects.values_list("username", "password"))

    output = _seed()

    assert _counts() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert output.count("no new activity: it already has appointments or encounters") == len(CODES)


@pytest.mark.django_db
def test_days_zero_writes_no_history(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed("--patients", "15", "--days", "0", "--future-days", "1")
    now = timezone.now()
    for code in CODES:
        with hospital_context(code):
            assert not AuditEvent.objects.filter(action="demo.history").exists()
            assert not Appointment.objects.filter(status__in=["completed", "no_show", "cancelled"]).exists()
            assert not Appointment.objects.filter(starts_at__lt=now - datetime.timedelta(hours=2)).exists()
            assert not Invoice.objects.exists() and not LabOrder.objects.exists()
            assert Encounter.objects.get().status == "in_progress"
            assert audit_chain_verify().intact


@pytest.mark.django_db
@pytest.mark.parametrize("args", [("--days", "-1"), ("--days", "400"), ("--future-days", "-2")])
def test_out_of_range_days_are_refused(args):
    with pytest.raises(CommandError, match="days"):
        call_command("seed_demo", *args, stdout=StringIO())


def test_the_clinical_content_is_what_the_clinical_apps_accept():
    assert clinical.demo_content_problems(price_codes={code for code, _, _, _ in DEMO_PRICES}) == []


def test_the_content_check_reports_what_is_wrong():
    problems = clinical.demo_content_problems(price_codes={"CONSULT"})
    assert any("has no price" in problem for problem in problems)
