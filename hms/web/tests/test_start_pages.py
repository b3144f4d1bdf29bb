"""Each role's start page (the hospital's front page): the right rows, nobody else's patients, one
audit row per list with the patients it showed, and as many queries for three times the rows."""

import datetime
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.billing.models import Invoice
from hms.billing.tests.factories import InvoiceFactory, InvoiceLineFactory, PaymentFactory
from hms.care.tests.factories import CareAssignmentFactory
from hms.encounters.tests.factories import EncounterFactory, ObservationFactory
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.orders.tests.factories import LabOrderFactory, LabResultFactory, PrescriptionFactory
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context


def _home(code="TH001"):
    return reverse("hospital-home", kwargs={"hospital_code": code})


def _section(body, section_id):
    found = re.search(rf'<section class="start-list" id="{section_id}">(.*?)</section>', body, re.S)
    assert found, section_id
    return found.group(1)


def _today_at(minutes):
    """An instant `minutes` after the hospital's (UTC) midnight today."""
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + datetime.timedelta(minutes=minutes)


def _appointment(patient, doctor, slot, **kwargs):
    starts = _today_at(slot * 15)
    return AppointmentFactory(
        patient=patient,
        practitioner_user_id=doctor.pk,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=15),
        **kwargs,
    )


def _patient(tag):
    return PatientFactory(given_name=f"Given{tag}", family_name=f"Family{tag}", mrn=f"MRN-{tag}")


def _invoice(patient, **kwargs):
    return InvoiceFactory(patient=patient, encounter__patient=patient, encounter__finished=True, **kwargs)


def _audit(action):
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001", name="Test Hospital")


@pytest.fixture
def staff(th001, make_user):
    return {
        role: make_user(role.lower(), role=role, hospital=th001)
        for role in (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN)
    }


@pytest.fixture
def other_doctor(th001, make_user):
    return make_user("other-doctor", role=Role.DOCTOR, hospital=th001)


@pytest.fixture
def elsewhere(make_hospital, make_user):
    """Another hospital with a patient of every list: none may show on TH001's pages."""
    dmc = make_hospital("DMC001")
    doctor = make_user("dmc-doctor", role=Role.DOCTOR, hospital=dmc)
    with hospital_context(dmc):
        patient = _patient("DMCX")
        _appointment(patient, doctor, 4, status=Appointment.Status.ARRIVED)
        LabResultFactory(order__encounter__patient=patient, order__encounter__practitioner_user_id=doctor.pk)
        CareAssignmentFactory(patient=patient, clinician_user_id=doctor.pk)
        InvoiceLineFactory(invoice=_invoice(patient, issued=True))
    return "MRN-DMCX"


# The doctor


@pytest.mark.django_db
def test_the_doctor_sees_their_clinic_open_encounters_and_results_to_verify_critical_first(
    client, th001, staff, other_doctor, elsewhere
):
    doctor = staff[Role.DOCTOR]
    with hospital_context("TH001"):
        mine, arrived, theirs = _patient("MINE"), _patient("ARRIVED"), _patient("THEIRS")
        _appointment(mine, doctor, 2)
        _appointment(arrived, doctor, 1, status=Appointment.Status.ARRIVED)
        _appointment(theirs, other_doctor, 1)
        AppointmentFactory(  # tomorrow: not today's clinic
            patient=_patient("TOMORROW"), practitioner_user_id=doctor.pk, starts_at=_today_at(60 * 24 + 30)
        )
        open_encounter = EncounterFactory(patient=mine, practitioner_user_id=doctor.pk)
        EncounterFactory(patient=_patient("FINISHED"), practitioner_user_id=doctor.pk, status="finished")
        theirs_encounter = EncounterFactory(patient=theirs, practitioner_user_id=other_doctor.pk)
        results = {}
        for tag, flag in (("NORMAL", "N"), ("HIGH", "H"), ("CRIT", "HH")):
            patient = _patient(tag)
            visit = EncounterFactory(patient=patient, practitioner_user_id=doctor.pk, status="finished")
            results[tag] = LabResultFactory(order__encounter=visit, flag=flag)
        LabResultFactory(order__encounter=theirs_encounter)  # another doctor's order
        verified = LabResultFactory(
            order__encounter=open_encounter,
            order__status=LabOrder.Status.VERIFIED,
            verified_by_id=other_doctor.pk,
            verified_at=timezone.now(),
        )
    client.force_login(doctor)

    body = client.get(_home()).content.decode()

    clinic = _section(body, "clinic")
    assert re.findall(r"MRN-\w+", clinic) == ["MRN-ARRIVED", "MRN-MINE"]  # in time order
    assert "Arrived" in clinic and "Booked" in clinic
    encounters = _section(body, "open-encounters")
    assert re.findall(r"MRN-\w+", encounters) == ["MRN-MINE"]
    assert reverse("encounters:detail", args=["TH001", open_encounter.pk]) in encounters
    to_verify = _section(body, "to-verify")
    assert re.findall(r"MRN-\w+", to_verify) == ["MRN-CRIT", "MRN-HIGH", "MRN-NORMAL"]
    assert "Critically high" in to_verify
    assert reverse("orders:lab-order", args=["TH001", verified.order_id]) not in to_verify
    for hidden in ("MRN-THEIRS", "MRN-TOMORROW", "MRN-FINISHED", elsewhere):
        assert hidden not in body
    assert 'action="/h/TH001/patient-list/"' in body  # the patient search stays one step away
    with hospital_context("TH001"):
        listed = _audit("lab_result.to_verify_list")
        assert listed.actor_id == doctor.pk
        assert sorted(listed.detail["result_ids"]) == sorted(r.pk for r in results.values())
        assert len(_audit("encounter.open_list").detail["patient_ids"]) == 1
        assert AuditEvent.objects.filter(action="appointment.day_list").count() == 1


# The nurse


@pytest.mark.django_db
def test_the_nurse_sees_who_arrived_today_without_vital_signs_and_the_lab_worklist(
    client, th001, staff, elsewhere
):
    doctor = staff[Role.DOCTOR]
    with hospital_context("TH001"):
        waiting, measured, booked = _patient("WAITING"), _patient("MEASURED"), _patient("BOOKED")
        started = _patient("STARTED")
        _appointment(waiting, doctor, 1, status=Appointment.Status.ARRIVED)
        visit = _appointment(started, doctor, 2, status=Appointment.Status.IN_CONSULTATION)
        encounter = EncounterFactory(patient=started, practitioner_user_id=doctor.pk, appointment=visit)
        done = _appointment(measured, doctor, 3, status=Appointment.Status.ARRIVED)
        ObservationFactory(
            encounter=EncounterFactory(patient=measured, practitioner_user_id=doctor.pk, appointment=done)
        )
        _appointment(booked, doctor, 4)
        AppointmentFactory(  # arrived yesterday
            patient=_patient("YESTERDAY"),
            practitioner_user_id=doctor.pk,
            starts_at=_today_at(-60 * 12),
            status=Appointment.Status.ARRIVED,
        )
        lab_visit = EncounterFactory(patient=waiting, practitioner_user_id=doctor.pk, status="finished")
        LabOrderFactory(encounter=lab_visit)
        LabOrderFactory(encounter=lab_visit)
        LabOrderFactory(encounter=lab_visit, collected=True)
        LabResultFactory(order__encounter=lab_visit)
    client.force_login(staff[Role.NURSE])

    body = client.get(_home()).content.decode()

    queue = _section(body, "vitals-due")
    assert re.findall(r"MRN-\w+", queue) == ["MRN-WAITING", "MRN-STARTED"]
    assert reverse("encounters:vitals", args=["TH001", encounter.pk]) in queue
    lab = _section(body, "lab-worklist")
    assert "2 specimens to collect" in lab
    assert "1 result to enter" in lab
    assert "1 result awaiting a doctor&rsquo;s verification" in lab
    for hidden in ("MRN-MEASURED", "MRN-BOOKED", "MRN-YESTERDAY", elsewhere):
        assert hidden not in body
    with hospital_context("TH001"):
        listed = _audit("observation.vitals_due_list")
        assert listed.detail["patient_ids"] == sorted([waiting.pk, started.pk])


# Reception


@pytest.mark.django_db
def test_reception_sees_todays_appointments_walk_ins_waiting_and_unpaid_invoices(
    client, th001, staff, elsewhere
):
    doctor = staff[Role.DOCTOR]
    with hospital_context("TH001"):
        _appointment(_patient("ARRIVED"), doctor, 1, status=Appointment.Status.ARRIVED)
        _appointment(_patient("BOOKED"), doctor, 2)
        CareAssignmentFactory(patient=_patient("WALKIN"), clinician_user_id=doctor.pk, reason="Chest pain")
        seen = CareAssignmentFactory(patient=_patient("SEEN"), clinician_user_id=doctor.pk)
        EncounterFactory(patient=seen.patient, practitioner_user_id=doctor.pk, started_at=timezone.now())
        CareAssignmentFactory(patient=_patient("ENDED"), clinician_user_id=doctor.pk, ended_at=timezone.now())
        owing = _invoice(_patient("OWING"), issued=True)
        InvoiceLineFactory(invoice=owing)
        PaymentFactory(invoice=owing)
        InvoiceLineFactory(invoice=_invoice(_patient("DRAFT")))
        paid = _invoice(_patient("PAID"), issued=True)
        Invoice.objects.filter(pk=paid.pk).update(status=Invoice.Status.PAID, paid_at=timezone.now())
    client.force_login(staff[Role.RECEPTIONIST])

    body = client.get(_home()).content.decode()

    assert re.findall(r"MRN-\w+", _section(body, "today")) == ["MRN-ARRIVED", "MRN-BOOKED"]
    walk_ins = _section(body, "walk-ins")
    assert re.findall(r"MRN-\w+", walk_ins) == ["MRN-WALKIN"]
    assert "Chest pain" in walk_ins
    unpaid = _section(body, "unpaid")
    assert re.findall(r"MRN-\w+", unpaid) == ["MRN-OWING"]
    assert "USD 5.00" in unpaid  # the balance: 10.00 less 5.00 paid
    for hidden in ("MRN-SEEN", "MRN-ENDED", "MRN-DRAFT", "MRN-PAID", elsewhere):
        assert hidden not in body
    with hospital_context("TH001"):
        assert len(_audit("care_assignment.waiting_list").detail["patient_ids"]) == 1


# The patient's portal


@pytest.fixture
def portal(th001, make_user, staff):
    """A patient with one of everything of their own, and another patient with the same."""
    user = make_user("amina", role=Role.PATIENT, hospital=th001)
    doctor = staff[Role.DOCTOR]
    with hospital_context("TH001"):
        own = PatientFactory(user_id=user.pk, given_name="Amina", family_name="Okafor", mrn="MRN-OWN")
        other = _patient("OTHER")
        for patient in (own, other):
            AppointmentFactory(
                patient=patient,
                practitioner_user_id=doctor.pk,
                starts_at=timezone.now() + datetime.timedelta(days=3 if patient == own else 4),
                reason=f"Check-up {patient.mrn}",
            )
            encounter = EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)
            LabResultFactory(
                order__encounter=encounter,
                order__status=LabOrder.Status.VERIFIED,
                # a test the everyday-name table does not know: its LOINC name loses its qualifiers
                order__test_code="99999-9",
                order__test_name=f"Haemoglobin {patient.mrn} [Mass/volume] in Blood",
                verified_by_id=staff[Role.NURSE].pk,
                verified_at=timezone.now(),
            )
            PrescriptionFactory(encounter=encounter, drug_name=f"Paracetamol {patient.mrn}")
            invoice = InvoiceFactory(patient=patient, encounter=encounter, issued=True)
            InvoiceLineFactory(invoice=invoice)
        # Of their own, what a patient does not see: a past appointment, a result not yet
        # verified, a stopped prescription, a draft invoice.
        AppointmentFactory(
            patient=own,
            practitioner_user_id=doctor.pk,
            starts_at=timezone.now() - datetime.timedelta(days=3),
            reason="Past visit",
        )
        second = EncounterFactory(patient=own, practitioner_user_id=doctor.pk, status="finished")
        LabResultFactory(order__encounter=second, order__test_name="Unverified glucose")
        PrescriptionFactory(
            encounter=second,
            drug_name="Stopped amoxicillin",
            status=Prescription.Status.STOPPED,
            stopped_at=timezone.now(),
            stopped_by_id=doctor.pk,
        )
        InvoiceFactory(patient=own, encounter=second)
    return user, own


@pytest.mark.django_db
def test_a_patient_sees_their_own_appointments_results_prescriptions_and_invoices(client, portal):
    user, own = portal
    client.force_login(user)

    body = client.get(_home()).content.decode()

    assert "Check-up MRN-OWN" in _section(body, "portal-appointments")
    assert "Haemoglobin MRN-OWN" in _section(body, "portal-results")
    assert "[Mass/volume]" not in _section(body, "portal-results")
    assert "Paracetamol MRN-OWN" in _section(body, "portal-prescriptions")
    assert "TEST-" in _section(body, "portal-invoices")
    for hidden in ("MRN-OTHER", "Past visit", "Unverified glucose", "Stopped amoxicillin", "Draft"):
        assert hidden not in body
    with hospital_context("TH001"):
        for action in ("appointment.upcoming_list", "lab_result.verified_list", "prescription.current_list"):
            event = _audit(action)
            assert (event.actor_id, event.patient_id) == (user.pk, own.pk)


@pytest.mark.django_db
def test_no_link_on_the_portal_answers_403_or_404(client, portal):
    user, _ = portal
    client.force_login(user)
    body = client.get(_home()).content.decode()
    links = set(re.findall(r'href="(/h/[^"]+)"', body))
    assert len(links) == 8  # home, record, appointments, booking, results, prescriptions, 2 invoice pages
    for href in sorted(links):
        answer = client.get(href.replace("&amp;", "&"))
        assert answer.status_code == 200, href
        assert "MRN-OTHER" not in answer.content.decode()


@pytest.mark.django_db
def test_a_patient_without_a_linked_record_is_told_so(client, th001, make_user):
    client.force_login(make_user("newcomer", role=Role.PATIENT, hospital=th001))
    body = client.get(_home()).content.decode()
    assert "not linked to a patient record" in body
    main = re.split(r"<main[^>]*>", body)[1]
    assert not re.findall(r'href="/h/TH001/(?!")[^"]+"', main)


# Queries do not grow with the rows


def _fill(staff, other_doctor, rows, offset):
    """`rows` more rows in every start page's lists."""
    doctor = staff[Role.DOCTOR]
    for index in range(offset, offset + rows):
        patient = _patient(f"Q{index}")
        _appointment(patient, doctor, index, status=Appointment.Status.ARRIVED)
        _appointment(patient, other_doctor, index)
        EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)
        LabResultFactory(
            order__encounter__patient=patient,
            order__encounter__practitioner_user_id=other_doctor.pk,
            order__ordered_by_id=doctor.pk,
            flag=LabResult.Flag.HIGH,
        )
        CareAssignmentFactory(patient=patient, clinician_user_id=other_doctor.pk)
        InvoiceLineFactory(invoice=_invoice(patient, issued=True))


def _counted(client, path):
    with (
        CaptureQueriesContext(connections["default"]) as shared,
        CaptureQueriesContext(connections[hospital_alias("TH001")]) as hospital,
    ):
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), (len(shared), len(hospital))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST])
def test_a_start_page_runs_the_same_queries_for_three_times_the_rows(
    client, th001, staff, other_doctor, role
):
    client.force_login(staff[role])
    counts = []
    for rows, offset in ((3, 0), (6, 3)):
        with hospital_context("TH001"):
            _fill(staff, other_doctor, rows, offset)
        client.get(_home())  # sign-in and per-process look-ups out of the way
        body, count = _counted(client, _home())
        assert len(set(re.findall(r"MRN-Q\d+", body))) == rows + offset
        counts.append(count)
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_portal_runs_the_same_queries_for_three_times_the_rows(client, th001, staff, make_user):
    user = make_user("amina", role=Role.PATIENT, hospital=th001)
    doctor = staff[Role.DOCTOR]
    with hospital_context("TH001"):
        own = PatientFactory(user_id=user.pk)
    client.force_login(user)
    counts = []
    for rows in (3, 6):
        with hospital_context("TH001"):
            for _ in range(rows):
                encounter = EncounterFactory(patient=own, practitioner_user_id=doctor.pk, status="finished")
                AppointmentFactory(
                    patient=own,
                    practitioner_user_id=doctor.pk,
                    starts_at=timezone.now() + datetime.timedelta(days=1 + encounter.pk),
                )
                LabResultFactory(
                    order__encounter=encounter,
                    order__status=LabOrder.Status.VERIFIED,
                    verified_by_id=staff[Role.NURSE].pk,
                    verified_at=timezone.now(),
                )
                PrescriptionFactory(encounter=encounter)
                InvoiceLineFactory(invoice=InvoiceFactory(patient=own, encounter=encounter, issued=True))
        client.get(_home())
        body, count = _counted(client, _home())
        assert body.count("Paracetamol") == {3: 3, 6: 9}[rows]
        counts.append(count)
    assert counts[0] == counts[1]
