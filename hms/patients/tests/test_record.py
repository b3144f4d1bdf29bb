"""A patient's record after registration: viewing it, changing it, and the patient's own access."""

import datetime

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.patients.models import NextOfKin, Patient, PatientIdentifier
from hms.patients.selectors import patient_detail, patient_own_record
from hms.patients.services import (
    patient_identifier_add,
    patient_next_of_kin_add,
    patient_portal_link,
    patient_register,
    patient_update,
)
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001")


@pytest.fixture
def clerk(th001, make_user):
    return make_user("desk", role=Role.RECEPTIONIST, hospital=th001)


@pytest.fixture
def patient(th001):
    with hospital_context("TH001"):
        return PatientFactory(given_name="Amina", family_name="Okafor")


@pytest.mark.django_db
def test_a_nurse_may_not_register_a_patient_and_nothing_is_written(th001, make_user):
    nurse = make_user("nurse", role=Role.NURSE, hospital=th001)
    with hospital_context("TH001"):
        with pytest.raises(NotAllowed, match="nurse may not create patient"):
            patient_register(
                acting_user=nurse, given_name="A", family_name="B", birth_date=datetime.date(2000, 1, 1)
            )
        assert not Patient.objects.exists()
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_staff_view_a_record_with_identifiers_and_next_of_kin_and_it_is_audited(clerk, patient):
    with hospital_context("TH001"):
        patient_identifier_add(acting_user=clerk, patient=patient, system="INSURANCE", value=" INS-9 ")
        patient_next_of_kin_add(
            acting_user=clerk, patient=patient, name="Chidi Okafor", relationship="brother"
        )
        shown = patient_detail(user=clerk, patient_id=str(patient.pk), client_address="192.0.2.7")
        events = list(AuditEvent.objects.order_by("id").values_list("action", "patient_id", "client_address"))
    assert [str(i) for i in shown.identifiers.all()] == ["Insurance INS-9"]
    assert [k.name for k in shown.next_of_kin.all()] == ["Chidi Okafor"]
    assert events == [
        ("patient.identifier_add", patient.pk, None),
        ("patient.next_of_kin_add", patient.pk, None),
        ("patient.view", patient.pk, "192.0.2.7"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("patient_id", [999999, "abc", "", None, "1; drop table"])
def test_a_missing_patient_is_not_found_and_nothing_is_audited(clerk, patient, patient_id):
    with hospital_context("TH001"):
        with pytest.raises(NotFound):
            patient_detail(user=clerk, patient_id=patient_id)
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_identifier_taken_by_another_patient_is_refused(clerk, patient):
    with hospital_context("TH001"):
        other = PatientFactory()
        patient_identifier_add(acting_user=clerk, patient=other, system="NATIONAL_ID", value="N-1")
        with pytest.raises(ApplicationError, match="Already registered here"):
            patient_identifier_add(acting_user=clerk, patient=patient, system="NATIONAL_ID", value="N-1")
        with pytest.raises(ApplicationError, match="not valid"):
            patient_identifier_add(acting_user=clerk, patient=patient, system="SHOE_SIZE", value="44")
        assert PatientIdentifier.objects.count() == 1


@pytest.mark.django_db
def test_next_of_kin_needs_a_name_and_relationship(clerk, patient):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError) as refused:
            patient_next_of_kin_add(acting_user=clerk, patient=patient, name=" ", relationship="")
        assert not NextOfKin.objects.exists()
    assert "next_of_kin" in refused.value.details


@pytest.mark.django_db
def test_an_update_changes_the_fields_given_renormalises_names_and_audits_which(clerk, patient):
    with hospital_context("TH001"):
        patient_update(
            acting_user=clerk, patient=patient, family_name=" Okafor-Éze ", phone="+44 20 7946 0000"
        )
        stored = Patient.objects.get(pk=patient.pk)
        event = AuditEvent.objects.get()
    assert (stored.family_name, stored.family_name_norm, stored.phone) == (
        "Okafor-Éze",
        "okafor-eze",
        "+44 20 7946 0000",
    )
    assert event.detail == {"fields": ["family_name", "phone"]}


@pytest.mark.django_db
def test_an_update_with_bad_values_or_the_mrn_changes_nothing(clerk, patient):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError, match="cannot be changed here: mrn"):
            patient_update(acting_user=clerk, patient=patient, mrn="123")
        with pytest.raises(ApplicationError, match="not valid"):
            patient_update(acting_user=clerk, patient=patient, email="not-an-email", given_name="")
        stored = Patient.objects.get(pk=patient.pk)
        assert not AuditEvent.objects.exists()
    assert (stored.given_name, stored.email, stored.mrn) == (patient.given_name, patient.email, patient.mrn)


@pytest.mark.django_db
def test_a_linked_patient_sees_their_own_record_and_no_other(th001, clerk, patient, make_user):
    portal = make_user("amina", role=Role.PATIENT, hospital=th001)
    with hospital_context("TH001"):
        other = PatientFactory()
        assert patient_own_record(user=portal) is None
        patient_portal_link(acting_user=clerk, patient=patient, user=portal)
        assert patient_own_record(user=portal).pk == patient.pk
        assert patient_detail(user=portal, patient_id=patient.pk).pk == patient.pk
        with pytest.raises(NotFound):
            patient_detail(user=portal, patient_id=other.pk)
        with pytest.raises(ApplicationError, match="already linked to another patient"):
            patient_portal_link(acting_user=clerk, patient=other, user=portal)
        with pytest.raises(NotAllowed):
            patient_update(acting_user=portal, patient=patient, phone="1")


@pytest.mark.django_db
def test_only_patient_accounts_of_this_hospital_can_be_linked(
    th001, clerk, patient, make_user, make_hospital
):
    doctor = make_user("doc", role=Role.DOCTOR, hospital=th001)
    elsewhere = make_user("far", role=Role.PATIENT, hospital=make_hospital("DMC001"))
    with hospital_context("TH001"):
        for user in (doctor, elsewhere):
            with pytest.raises(
                ApplicationError, match="There is no patient account named (doc|far) in this hospital"
            ):
                patient_portal_link(acting_user=clerk, patient=patient, user=user)
        assert Patient.objects.get(pk=patient.pk).user_id is None


@pytest.mark.django_db
def test_a_superadmin_cannot_open_a_record(th001, patient, make_user):
    root = make_user("root", role=Role.SUPERADMIN)
    with hospital_context("TH001"), pytest.raises(NotAllowed):
        patient_detail(user=root, patient_id=patient.pk)
