import pytest
from django.db import DatabaseError, connections, transaction

from hms.accounts.models import Role
from hms.audit.models import AuditChainHead, AuditEvent
from hms.audit.services import GENESIS_HASH, audit_chain_verify, audit_record
from hms.audit.tests.tampering import sealed_with_key
from hms.tenancy.context import current_tenant, hospital_context


@pytest.fixture
def doctor(make_hospital, make_user):
    return make_user("doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))


def _record_events(user, count):
    return [
        audit_record(
            acting_user=user,
            action="patient.view",
            resource="Patient",
            patient_id=number,
            client_address="198.51.100.4",
            detail={"n": number},
        )
        for number in range(1, count + 1)
    ]


def _raw(sql, params=()):
    """Run SQL on the current hospital's database, as someone with direct access to it could."""
    with connections[current_tenant().alias].cursor() as cursor:
        cursor.execute(sql, params)


def _disable_append_only_triggers():
    """Switch off what makes the database refuse UPDATE and DELETE, as such a person could."""
    vendor = connections[current_tenant().alias].vendor
    if vendor == "sqlite":
        _raw("DROP TRIGGER audit_event_no_update")
        _raw("DROP TRIGGER audit_event_no_delete")
    elif vendor == "postgresql":
        _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    else:
        raise AssertionError(f"no append-only triggers known for {vendor}")


# --- the chain ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_empty_log_is_intact(make_hospital):
    make_hospital("TH001")
    with hospital_context("TH001"):
        report = audit_chain_verify()
    assert report.intact
    assert report.events_checked == 0


@pytest.mark.django_db
def test_chain_of_several_events_verifies_intact(doctor):
    with hospital_context("TH001"):
        events = _record_events(doctor, 5)
        report = audit_chain_verify()
        head = AuditChainHead.objects.get()

    assert report.intact
    assert report.events_checked == 5
    assert report.first_broken_id is None
    assert events[0].previous_hash == GENESIS_HASH
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert head.last_hash == events[-1].hash
    assert len({e.hash for e in events}) == 5


@pytest.mark.django_db
def test_each_hospital_has_its_own_chain(doctor, make_hospital, make_user):
    dmc_nurse = make_user("nurse", role=Role.NURSE, hospital=make_hospital("DMC001"))
    with hospital_context("TH001"):
        _record_events(doctor, 3)
    with hospital_context("DMC001"):
        only = audit_record(acting_user=dmc_nurse, action="patient.list", resource="Patient")
        assert only.previous_hash == GENESIS_HASH
        assert audit_chain_verify().events_checked == 1
    with hospital_context("TH001"):
        assert audit_chain_verify().events_checked == 3


@pytest.mark.django_db
def test_recorded_event_is_stored_exactly_as_hashed(doctor):
    with hospital_context("TH001"):
        [event] = _record_events(doctor, 1)
        stored = AuditEvent.objects.get()
    # Reloading from the database must give back the same hash (timestamps, JSON, addresses).
    assert sealed_with_key(GENESIS_HASH, stored) == stored.hash == event.hash
    assert stored.actor_username == "doc"
    assert stored.actor_role == Role.DOCTOR


@pytest.mark.django_db
def test_audit_row_rolls_back_with_the_enclosing_transaction(doctor):
    with hospital_context("TH001") as tenant:
        _record_events(doctor, 1)
        with pytest.raises(RuntimeError), transaction.atomic(using=tenant.alias):
            _record_events(doctor, 1)
            raise RuntimeError("the recorded read failed")
        assert AuditEvent.objects.count() == 1
        assert audit_chain_verify().intact
        # The chain continues from the surviving event, not the rolled-back one.
        _record_events(doctor, 1)
        assert audit_chain_verify().intact


@pytest.mark.django_db
def test_altering_one_row_is_detected_at_that_row(doctor):
    with hospital_context("TH001"):
        events = _record_events(doctor, 5)
        _disable_append_only_triggers()
        _raw("UPDATE audit_auditevent SET patient_id = 999 WHERE id = %s", [events[2].pk])

        report = audit_chain_verify()

    assert not report.intact
    assert report.first_broken_id == events[2].pk
    assert "contents" in report.reason


@pytest.mark.django_db
def test_altering_a_row_and_rehashing_it_is_detected_at_the_next_row(doctor):
    with hospital_context("TH001"):
        events = _record_events(doctor, 4)
        _disable_append_only_triggers()
        forged = AuditEvent.objects.get(pk=events[1].pk)
        forged.actor_username = "someone-else"
        _raw(
            "UPDATE audit_auditevent SET actor_username = %s, hash = %s WHERE id = %s",
            [forged.actor_username, sealed_with_key(forged.previous_hash, forged), forged.pk],
        )

        report = audit_chain_verify()

    assert not report.intact
    assert report.first_broken_id == events[2].pk
    assert "previous_hash" in report.reason


@pytest.mark.django_db
def test_deleting_the_last_event_is_detected(doctor):
    with hospital_context("TH001"):
        events = _record_events(doctor, 4)
        _disable_append_only_triggers()
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])

        report = audit_chain_verify()

    assert not report.intact
    assert report.events_checked == 3
    assert "missing" in report.reason


@pytest.mark.django_db
def test_deleting_an_event_in_the_middle_is_detected_at_the_next_one(doctor):
    with hospital_context("TH001"):
        events = _record_events(doctor, 4)
        _disable_append_only_triggers()
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

        report = audit_chain_verify()

    assert not report.intact
    assert report.first_broken_id == events[2].pk


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_through_the_orm(doctor):
    with hospital_context("TH001") as tenant:
        events = _record_events(doctor, 2)
        event = AuditEvent.objects.get(pk=events[0].pk)

        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=tenant.alias):
            AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
        event.action = "nothing.happened"
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=tenant.alias):
            event.save()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=tenant.alias):
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=tenant.alias):
            AuditEvent.objects.all().delete()

        assert AuditEvent.objects.count() == 2
        assert AuditEvent.objects.get(pk=event.pk).action == "patient.view"
        assert audit_chain_verify().intact
