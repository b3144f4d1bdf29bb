import datetime

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.core.exceptions import ApplicationError
from hms.patients.models import Patient
from hms.patients.services import patient_register
from hms.tenancy.context import hospital_context

BIRTH = datetime.date(1990, 5, 17)


@pytest.fixture
def receptionist(make_hospital, make_user):
    return make_user("reception", role=Role.RECEPTIONIST, hospital=make_hospital("TH001"))


def _register(user, **overrides):
    fields = {"mrn": "TH-1", "given_name": "Amina", "family_name": "Rahman", "birth_date": BIRTH}
    return patient_register(acting_user=user, **{**fields, **overrides})


@pytest.mark.django_db
def test_register_creates_the_patient_and_one_audit_event(receptionist, make_hospital):
    make_hospital("DMC001")
    with hospital_context("TH001") as tenant:
        patient = _register(receptionist, email="amina@example.org", client_address="10.0.0.7")

        stored = Patient.objects.get()
        event = AuditEvent.objects.get()

    assert patient.pk == stored.pk
    assert patient._state.db == tenant.alias
    assert (stored.mrn, stored.full_name, stored.birth_date) == ("TH-1", "Amina Rahman", BIRTH)
    assert stored.email == "amina@example.org"
    assert event.action == "patient.create"
    assert event.resource == "Patient"
    assert event.patient_id == patient.pk
    assert event.actor_id == receptionist.pk
    assert event.actor_username == "reception"
    assert event.actor_role == Role.RECEPTIONIST
    assert event.client_address == "10.0.0.7"
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    # The event went to the same hospital, and nowhere else.
    assert event._state.db == tenant.alias
    with hospital_context("DMC001"):
        assert not Patient.objects.exists()
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_each_registration_extends_the_audit_chain(receptionist):
    with hospital_context("TH001"):
        for number in range(3):
            _register(receptionist, mrn=f"TH-{number}")
        events = list(AuditEvent.objects.order_by("id"))
        report = audit_chain_verify()
    assert [e.action for e in events] == ["patient.create"] * 3
    assert events[1].previous_hash == events[0].hash
    assert events[2].previous_hash == events[1].hash
    assert report.intact and report.events_checked == 3


@pytest.mark.django_db
def test_duplicate_mrn_is_refused_and_writes_nothing(receptionist):
    with hospital_context("TH001"):
        first = _register(receptionist, mrn="TH-42")
        with pytest.raises(ApplicationError, match="TH-42"):
            _register(receptionist, mrn="TH-42", given_name="Other", family_name="Person")

        assert list(Patient.objects.values_list("pk", "given_name")) == [(first.pk, "Amina")]
        assert list(AuditEvent.objects.values_list("action", "patient_id")) == [("patient.create", first.pk)]
        assert audit_chain_verify().intact


@pytest.mark.django_db
def test_the_same_mrn_may_be_registered_in_another_hospital(receptionist, make_hospital, make_user):
    dmc_clerk = make_user("dmc-reception", role=Role.RECEPTIONIST, hospital=make_hospital("DMC001"))
    with hospital_context("TH001"):
        _register(receptionist, mrn="SHARED-1")
    with hospital_context("DMC001"):
        _register(dmc_clerk, mrn="SHARED-1")
        assert Patient.objects.get().mrn == "SHARED-1"
        assert AuditEvent.objects.get().actor_id == dmc_clerk.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "bad_fields"),
    [
        ({"email": "not-an-email"}, {"email"}),
        ({"given_name": "", "family_name": ""}, {"given_name", "family_name"}),
        ({"sex": "robot"}, {"sex"}),
        ({"mrn": ""}, {"mrn"}),
        ({"mrn": "M" * 33}, {"mrn"}),
    ],
    ids=["bad-email", "missing-names", "unknown-sex", "empty-mrn", "mrn-too-long"],
)
def test_invalid_details_are_refused_with_details_and_write_nothing(receptionist, overrides, bad_fields):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError) as caught:
            _register(receptionist, **overrides)

        assert set(caught.value.details) == bad_fields
        assert all(caught.value.details[field] for field in bad_fields)
        assert not Patient.objects.exists()
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_failed_audit_write_rolls_back_the_patient(receptionist, monkeypatch):
    import hms.patients.services as services

    def broken_audit(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with hospital_context("TH001"):
        with pytest.raises(RuntimeError):
            _register(receptionist)
        assert not Patient.objects.exists()
