import datetime

import pytest
from django.db import IntegrityError, connections, transaction
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.core.exceptions import ApplicationError
from hms.patients.models import MrnCounter, NextOfKin, Patient, PatientIdentifier
from hms.patients.services import (
    DuplicateCandidate,
    PossibleDuplicate,
    mrn_check_digit,
    mrn_generate,
    mrn_has_valid_check_digit,
    patient_register,
)
from hms.tenancy.context import current_tenant, hospital_context

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
            _register(receptionist, mrn=f"TH-{number}", confirm_not_duplicate=True)
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

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_row", broken_audit)
    with hospital_context("TH001"):
        with pytest.raises(RuntimeError):
            _register(receptionist)
        assert not Patient.objects.exists()


# MRNs: an 8-digit sequence and a Luhn check digit


def _generated(sequence):
    digits = f"{sequence:08d}"
    return digits + mrn_check_digit(digits=digits)


@pytest.mark.parametrize(
    ("mrn", "valid"),
    [("79927398713", True), ("79927398710", False), ("000000018", True), ("000000019", False), ("7", False)],
)
def test_check_digit_is_luhn(mrn, valid):
    assert mrn_has_valid_check_digit(mrn=mrn) is valid


def test_non_numeric_mrns_have_no_check_digit():
    assert not mrn_has_valid_check_digit(mrn="TH-0000018")
    assert not mrn_has_valid_check_digit(mrn="٠٠٠٠٠٠٠١٨")  # Arabic-Indic digits are not MRN digits


@pytest.mark.django_db
def test_generated_mrns_are_unique_sequential_nine_digits_with_a_valid_check_digit(receptionist):
    with hospital_context("TH001"):
        patients = [
            _register(receptionist, mrn=None, given_name=given, family_name=family)
            for given, family in [
                ("Amina", "Rahman"),
                ("Boris", "Ivanov"),
                ("Chen", "Wei"),
                ("Dara", "Okafor"),
            ]
        ]
        stored = list(Patient.objects.order_by("id").values_list("mrn", flat=True))
        counter = MrnCounter.objects.get()
    mrns = [p.mrn for p in patients]
    assert (
        mrns
        == stored
        == [_generated(n) for n in range(1, 5)]
        == ["000000018", "000000026", "000000034", "000000042"]
    )
    assert all(len(mrn) == 9 and mrn_has_valid_check_digit(mrn=mrn) for mrn in mrns)
    assert counter.last_sequence == 4


@pytest.mark.django_db
def test_mrn_generate_continues_the_hospitals_own_counter(receptionist, make_hospital):
    make_hospital("DMC001")
    with hospital_context("TH001"), transaction.atomic(using=current_tenant().alias):
        assert [mrn_generate() for _ in range(3)] == [_generated(n) for n in range(1, 4)]
    with hospital_context("DMC001"), transaction.atomic(using=current_tenant().alias):
        assert mrn_generate() == _generated(1)
    with hospital_context("TH001"), transaction.atomic(using=current_tenant().alias):
        assert mrn_generate() == _generated(4)


@pytest.mark.django_db
def test_generation_skips_an_mrn_already_typed_in_by_hand(receptionist):
    with hospital_context("TH001"):
        _register(receptionist, mrn=_generated(2), given_name="Hand", family_name="Typed")
        first = _register(receptionist, mrn=None)
        second = _register(receptionist, mrn=None, given_name="Boris", family_name="Ivanov")
    assert (first.mrn, second.mrn) == (_generated(1), _generated(3))


@pytest.mark.django_db
def test_a_refused_registration_gives_its_number_back(receptionist):
    with hospital_context("TH001"):
        _register(receptionist, mrn=None)
        with pytest.raises(PossibleDuplicate):
            _register(receptionist, mrn=None)
        second = _register(receptionist, mrn=None, given_name="Boris", family_name="Ivanov")
    assert second.mrn == _generated(2)


@pytest.mark.django_db
def test_a_numeric_mrn_with_a_valid_check_digit_is_accepted(receptionist):
    with hospital_context("TH001"):
        patient = _register(receptionist, mrn="79927398713")
    assert patient.mrn == "79927398713"


@pytest.mark.django_db
@pytest.mark.parametrize("mrn", ["000000019", "79927398710", "12"])
def test_a_numeric_mrn_with_a_wrong_check_digit_is_refused_and_writes_nothing(receptionist, mrn):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError) as caught:
            _register(receptionist, mrn=mrn)
        assert set(caught.value.details) == {"mrn"}
        assert "check digit" in caught.value.details["mrn"][0]
        assert not Patient.objects.exists()
        assert not AuditEvent.objects.exists()
        assert MrnCounter.objects.get().last_sequence == 0


# Other identifiers and next of kin


@pytest.mark.django_db
def test_identifiers_and_next_of_kin_are_stored_with_the_patient(receptionist):
    with hospital_context("TH001"):
        patient = _register(
            receptionist,
            identifiers=[(PatientIdentifier.System.NATIONAL_ID, "1990-123"), ("INSURANCE", "1990-123")],
            next_of_kin=[{"name": "Karim Rahman", "relationship": "brother", "phone": "+880 1711"}],
        )
        identifiers = list(patient.identifiers.values_list("system", "value"))
        kin = list(patient.next_of_kin.values_list("name", "relationship", "phone"))
        event = AuditEvent.objects.get()
    assert identifiers == [("INSURANCE", "1990-123"), ("NATIONAL_ID", "1990-123")]
    assert kin == [("Karim Rahman", "brother", "+880 1711")]
    assert event.detail == {"identifiers": 2, "next_of_kin": 1}


@pytest.mark.django_db
def test_an_identifier_is_unique_per_system_within_the_hospital(receptionist, make_hospital, make_user):
    dmc_clerk = make_user("dmc-reception", role=Role.RECEPTIONIST, hospital=make_hospital("DMC001"))
    with hospital_context("TH001"):
        first = _register(receptionist, identifiers=[("NATIONAL_ID", "N-1")])
        with pytest.raises(ApplicationError, match="NATIONAL_ID N-1") as caught:
            _register(
                receptionist,
                mrn=None,
                given_name="Boris",
                family_name="Ivanov",
                identifiers=[("NATIONAL_ID", "N-1")],
            )
        assert caught.value.details == {"identifiers": ["NATIONAL_ID N-1"]}
        assert list(Patient.objects.values_list("pk", flat=True)) == [first.pk]
        assert AuditEvent.objects.count() == 1
        # The same value in another system is another identifier.
        _register(
            receptionist,
            mrn=None,
            given_name="Boris",
            family_name="Ivanov",
            identifiers=[("PASSPORT", "N-1")],
        )
        # The database holds the rule too.
        with pytest.raises(IntegrityError), transaction.atomic(using=current_tenant().alias):
            PatientIdentifier.objects.create(patient=first, system="NATIONAL_ID", value="N-1")
    with hospital_context("DMC001"):
        _register(dmc_clerk, identifiers=[("NATIONAL_ID", "N-1")])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("identifiers", "next_of_kin", "bad_fields"),
    [
        ([("DRIVING_LICENCE", "D-1")], [], {"identifiers"}),
        ([("PASSPORT", "")], [], {"identifiers"}),
        ([("PASSPORT", "P-1"), ("PASSPORT", "P-1")], [], {"identifiers"}),
        ([], [{"name": "", "relationship": "mother"}], {"next_of_kin"}),
        ([], [{"name": "Rina", "relationship": "mother", "email": "x"}], {"next_of_kin"}),
    ],
    ids=["unknown-system", "empty-value", "given-twice", "kin-without-name", "kin-unknown-field"],
)
def test_bad_identifiers_or_next_of_kin_are_refused_and_write_nothing(
    receptionist, identifiers, next_of_kin, bad_fields
):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError) as caught:
            _register(receptionist, identifiers=identifiers, next_of_kin=next_of_kin)
        assert set(caught.value.details) == bad_fields
        assert not Patient.objects.exists()
        assert not PatientIdentifier.objects.exists()
        assert not NextOfKin.objects.exists()
        assert not AuditEvent.objects.exists()


# Likely duplicates


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Amina", "Rahman"),
        ("AMÍNA", "rahmán"),
        ("  amina ", "RAHMAN"),
        ("Amena", "Rahman"),
        ("Amina", "Rahmen"),
    ],
    ids=["same", "accents-and-case", "spaces-and-case", "similar-given", "similar-family"],
)
def test_same_birth_date_and_same_or_similar_name_warns_and_writes_nothing(receptionist, given, family):
    with hospital_context("TH001"):
        first = _register(receptionist, mrn="TH-1")
        with pytest.raises(PossibleDuplicate) as caught:
            _register(receptionist, mrn="TH-2", given_name=given, family_name=family)
        assert Patient.objects.get().pk == first.pk
        events = list(AuditEvent.objects.order_by("id").values_list("action", "detail"))
        assert audit_chain_verify().intact
    assert isinstance(caught.value, ApplicationError)
    assert caught.value.candidates == [DuplicateCandidate(mrn="TH-1", name="Amina Rahman")]
    assert caught.value.details == {"candidates": [{"mrn": "TH-1", "name": "Amina Rahman"}]}
    assert events[-1] == ("patient.duplicate_warning", {"candidate_mrns": ["TH-1"]})


@pytest.mark.django_db
def test_confirming_not_a_duplicate_registers_anyway(receptionist):
    with hospital_context("TH001"):
        _register(receptionist, mrn="TH-1")
        second = _register(receptionist, mrn="TH-2", given_name="Amína", confirm_not_duplicate=True)
        assert Patient.objects.count() == 2
    assert second.given_name_norm == "amina"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "family", "birth_date"),
    [
        ("Amina", "Rahman", datetime.date(1990, 5, 18)),
        ("Boris", "Ivanov", BIRTH),
        ("Amir", "Rahimi", BIRTH),
        ("Amina 2", "Rahman", BIRTH),
    ],
    ids=["other-birth-date", "other-name", "only-somewhat-similar", "numbered-placeholder"],
)
def test_other_birth_date_or_a_different_name_does_not_warn(receptionist, given, family, birth_date):
    with hospital_context("TH001"):
        _register(receptionist, mrn="TH-1")
        _register(receptionist, mrn="TH-2", given_name=given, family_name=family, birth_date=birth_date)
        assert Patient.objects.count() == 2


@pytest.mark.django_db
def test_the_duplicate_check_reads_only_patients_born_that_day(receptionist):
    with hospital_context("TH001") as tenant:
        _register(receptionist, mrn="TH-1")
        with CaptureQueriesContext(connections[tenant.alias]) as captured, pytest.raises(PossibleDuplicate):
            _register(receptionist, mrn="TH-2")
    reads = [q["sql"] for q in captured.captured_queries if "birth_date" in q["sql"] and "WHERE" in q["sql"]]
    assert len(reads) == 1


@pytest.mark.django_db
def test_numbered_placeholder_names_warn_only_when_the_numbers_match(receptionist):
    placeholder_birth = datetime.date(1900, 1, 1)
    with hospital_context("TH001"):
        for number in range(1, 4):
            _register(
                receptionist,
                mrn=None,
                given_name=f"Unknown Male {number}",
                family_name="Trauma",
                birth_date=placeholder_birth,
            )
        with pytest.raises(PossibleDuplicate) as caught:
            _register(
                receptionist,
                mrn=None,
                given_name="unknown male 2",
                family_name="TRAUMA",
                birth_date=placeholder_birth,
            )
    assert [c.name for c in caught.value.candidates] == ["Unknown Male 2 Trauma"]
