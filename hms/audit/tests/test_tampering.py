"""Tampering with a hospital's audit log the way someone with database access but no key would."""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hms.accounts.models import Role
from hms.audit.models import AuditChainHead, AuditEvent
from hms.audit.services import GENESIS_HASH, _payload, audit_chain_verify, audit_record
from hms.audit.tests.tampering import raw, sealed_with_key, triggers_drop
from hms.security.chain import canonical
from hms.security.models import AuditCheckpoint
from hms.tenancy.context import hospital_context


@pytest.fixture
def doctor(make_hospital, make_user):
    return make_user("doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))


def _record(user, count):
    return [
        audit_record(acting_user=user, action="patient.view", resource="Patient", patient_id=n)
        for n in range(1, count + 1)
    ]


def _truncate_after(event):
    """Delete every event after `event` and point the head row at it: what passes an unkeyed chain."""
    triggers_drop()
    raw("DELETE FROM audit_auditevent WHERE id > %s", [event.pk])
    raw("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [event.hash])


@pytest.mark.django_db
def test_every_commit_moves_the_checkpoint_to_the_newest_event(doctor):
    with hospital_context("TH001"):
        events = _record(doctor, 3)
    checkpoint = AuditCheckpoint.objects.get(hospital_code="TH001")
    assert (checkpoint.event_id, checkpoint.event_hash) == (events[-1].pk, events[-1].hash)


@pytest.mark.django_db
def test_deleting_the_newest_events_and_rewriting_the_head_is_reported(doctor):
    with hospital_context("TH001"):
        events = _record(doctor, 5)
        _truncate_after(events[2])
        report = audit_chain_verify()
    assert not report.intact
    assert report.events_checked == 3
    assert f"events up to {events[-1].pk}" in report.reason


@pytest.mark.django_db
def test_the_command_exits_non_zero_and_names_the_hospital(doctor, make_hospital, make_user, capsys):
    other = make_user("nurse", role=Role.NURSE, hospital=make_hospital("DMC001"))
    with hospital_context("DMC001"):
        _record(other, 2)
    with hospital_context("TH001"):
        events = _record(doctor, 4)
        _truncate_after(events[1])
    with pytest.raises(CommandError, match="broken: TH001"):
        call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert "TH001" in out and "BROKEN" in out
    assert "DMC001" in out and "intact" in out


@pytest.mark.django_db
def test_a_row_rewritten_and_rehashed_without_the_key_is_reported_at_that_row(doctor):
    with hospital_context("TH001"):
        events = _record(doctor, 4)
        triggers_drop()
        target = AuditEvent.objects.get(pk=events[1].pk)
        target.patient_id = 999
        # The attacker knows the algorithm but not the key: a plain hash, or a guessed key.
        for forged_hash in (
            hashlib.sha256(f"{target.previous_hash}{canonical(_payload(target))}".encode()).hexdigest(),
            sealed_with_key(target.previous_hash, target, key="guessed-key"),
        ):
            raw(
                "UPDATE audit_auditevent SET patient_id = 999, hash = %s WHERE id = %s",
                [forged_hash, target.pk],
            )
            report = audit_chain_verify()
            assert not report.intact
            assert report.first_broken_id == target.pk
            assert "seal" in report.reason


@pytest.mark.django_db
def test_rewriting_the_whole_chain_as_unkeyed_rows_is_reported(doctor):
    """Re-hash every row the old unkeyed way, head included: the checkpoint still tells."""
    with hospital_context("TH001"):
        events = _record(doctor, 3)
        triggers_drop()
        previous = GENESIS_HASH
        for event in AuditEvent.objects.order_by("id"):
            event.previous_hash = previous
            event.patient_id = 1
            digest = hashlib.sha256(f"{previous}{canonical(_payload(event))}".encode()).hexdigest()
            raw(
                "UPDATE audit_auditevent SET patient_id = 1, key_id = NULL, previous_hash = %s, hash = %s "
                "WHERE id = %s",
                [previous, digest, event.pk],
            )
            previous = digest
        raw("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [previous])
        report = audit_chain_verify()
    assert not report.intact
    assert report.first_broken_id == events[-1].pk
    assert "checkpoint" in report.reason


@pytest.mark.django_db
def test_rows_hashed_before_the_key_verify_only_before_the_first_sealed_row(doctor):
    with hospital_context("TH001"):
        triggers_drop()
        first, second = _record(doctor, 2)
        legacy = hashlib.sha256(f"{GENESIS_HASH}{canonical(_payload(first))}".encode()).hexdigest()
        second.previous_hash = legacy
        resealed = sealed_with_key(legacy, second)
        raw("UPDATE audit_auditevent SET key_id = NULL, hash = %s WHERE id = %s", [legacy, first.pk])
        raw(
            "UPDATE audit_auditevent SET previous_hash = %s, hash = %s WHERE id = %s",
            [legacy, resealed, second.pk],
        )
        raw("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [resealed])
        AuditCheckpoint.objects.all().delete()
        report = audit_chain_verify()
        assert report.intact, report.reason
        assert "no checkpoint" in report.note
        # An unsealed row after a sealed one is what someone without the key would write.
        third = _record(doctor, 1)[0]
        plain = hashlib.sha256(f"{third.previous_hash}{canonical(_payload(third))}".encode()).hexdigest()
        raw("UPDATE audit_auditevent SET key_id = NULL, hash = %s WHERE id = %s", [plain, third.pk])
        raw("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [plain])
        report = audit_chain_verify()
    assert not report.intact
    assert report.first_broken_id == third.pk


@pytest.mark.django_db
def test_a_rotated_key_verifies_while_it_is_a_fallback(doctor, settings):
    settings.HMS_AUDIT_KEY = "the-old-key"
    with hospital_context("TH001"):
        _record(doctor, 2)
    settings.HMS_AUDIT_KEY = "the-new-key"
    settings.HMS_AUDIT_KEY_FALLBACKS = ["the-old-key"]
    with hospital_context("TH001"):
        _record(doctor, 2)
        assert audit_chain_verify().intact
    settings.HMS_AUDIT_KEY_FALLBACKS = []
    with hospital_context("TH001"):
        report = audit_chain_verify()
    assert not report.intact
    assert "HMS_AUDIT_KEY_FALLBACKS" in report.reason


@pytest.mark.django_db
def test_a_checkpoint_rewritten_in_the_shared_database_is_reported(doctor):
    with hospital_context("TH001"):
        events = _record(doctor, 3)
    AuditCheckpoint.objects.filter(hospital_code="TH001").update(
        event_id=events[0].pk, event_hash=events[0].hash
    )
    with hospital_context("TH001"):
        report = audit_chain_verify()
    assert not report.intact
    assert "checkpoint was rewritten" in report.reason


@pytest.mark.django_db
def test_a_rolled_back_transaction_leaves_the_checkpoint_where_it_was(doctor):
    from django.db import transaction

    from hms.tenancy.context import current_tenant

    with hospital_context("TH001"):
        kept = _record(doctor, 1)[0]
        with pytest.raises(RuntimeError), transaction.atomic(using=current_tenant().alias):
            _record(doctor, 2)
            raise RuntimeError("the recorded write failed")
        assert AuditCheckpoint.objects.get(hospital_code="TH001").event_id == kept.pk
        newer = _record(doctor, 1)[0]
        assert AuditCheckpoint.objects.get(hospital_code="TH001").event_id == newer.pk
        assert audit_chain_verify().intact
        assert AuditChainHead.objects.get().last_hash == newer.hash
