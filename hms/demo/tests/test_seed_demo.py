from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from hms.accounts.models import User
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.demo.data.hospitals import DEMO_HOSPITALS
from hms.demo.data.users import DEFAULT_DEMO_PASSWORD, DEMO_USERS, SEED_REPORT_USERS
from hms.hospitals.models import Hospital
from hms.patients.models import MrnCounter, Patient
from hms.patients.services import mrn_for_sequence, mrn_has_valid_check_digit
from hms.tenancy.context import hospital_context

DEMO_CODES = sorted(code for code, _, _ in DEMO_HOSPITALS)


def _seed(*args):
    """Hospitals, users and patients; no history (hms/demo/tests/test_activity.py covers the activity)."""
    out = StringIO()
    call_command("seed_demo", "--patients", "20", "--days", "0", "--future-days", "1", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    """Everything seed_demo creates, in a comparable form."""
    hospitals = list(Hospital.objects.order_by("code").values_list("code", "name", "status", "time_zone"))
    users = list(User.objects.order_by("username").values_list("pk", "username", "role", "hospital__code"))
    tenant = {}
    for code in DEMO_CODES:
        with hospital_context(code):
            tenant[code] = (
                list(Patient.objects.order_by("mrn").values_list("pk", "mrn", "given_name", "family_name")),
                AuditEvent.objects.count(),
            )
    return hospitals, users, tenant


@pytest.mark.django_db
def test_seed_creates_the_demo_hospitals_users_and_patients(settings):
    settings.HMS_DEMO_PASSWORD = ""
    output = _seed()

    assert f"3 hospital(s), {len(DEMO_USERS)} user(s) and 60 patient(s) created" in output
    assert list(
        Hospital.objects.order_by("code").values_list("code", "name", "time_zone", "status")
    ) == sorted((code, name, tz, Hospital.Status.ACTIVE) for code, name, tz in DEMO_HOSPITALS)
    users = sorted(User.objects.values_list("username", "role", "hospital__code"))
    assert users == sorted(user.as_tuple for user in DEMO_USERS)
    # The seed report's users are all there, exactly as it lists them.
    assert set(SEED_REPORT_USERS) <= set(users)
    for code in DEMO_CODES:
        with hospital_context(code):
            mrns = list(Patient.objects.values_list("mrn", flat=True))
            assert len(mrns) == len(set(mrns)) == 20
            # Real MRNs with check digits; the hospital's next registration continues the sequence.
            assert sorted(mrns) == [mrn_for_sequence(n) for n in range(1, 21)]
            assert all(mrn_has_valid_check_digit(mrn=mrn) for mrn in mrns)
            assert MrnCounter.objects.get().last_sequence == 20
            assert not Patient.objects.filter(given_name="").exists()
            # The bulk registration is audited (one row), and the chain holds.
            event = AuditEvent.objects.get(action="patient.create")
            assert sorted(event.detail["patient_ids"]) == sorted(Patient.objects.values_list("pk", flat=True))
            assert audit_chain_verify().intact


@pytest.mark.django_db
def test_superadmin_flags_follow_the_role(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.is_staff is user.is_superuser is (spec.role == "SUPERADMIN"), spec.username


@pytest.mark.django_db
def test_second_run_creates_nothing_and_changes_no_counts(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()
    before = _snapshot()

    output = _seed()

    assert "0 hospital(s), 0 user(s) and 0 patient(s) created" in output
    assert _snapshot() == before


@pytest.mark.django_db
def test_the_configured_demo_password_is_the_one_that_works(settings):
    settings.HMS_DEMO_PASSWORD = "configured-demo-pw-7"

    output = _seed()

    assert "Password: configured-demo-pw-7" in output
    for spec in DEMO_USERS:
        assert authenticate(username=spec.username, password="configured-demo-pw-7") is not None, (
            spec.username
        )
        assert authenticate(username=spec.username, password=DEFAULT_DEMO_PASSWORD) is None, spec.username


@pytest.mark.django_db
def test_a_changed_demo_password_replaces_the_old_one_for_every_user(settings):
    settings.HMS_DEMO_PASSWORD = "first-demo-pw-1"
    _seed()
    settings.HMS_DEMO_PASSWORD = "second-demo-pw-2"

    _seed()

    for spec in DEMO_USERS:
        assert authenticate(username=spec.username, password="second-demo-pw-2") is not None, spec.username
        assert authenticate(username=spec.username, password="first-demo-pw-1") is None, spec.username


@pytest.mark.django_db
def test_without_a_configured_password_the_default_demo_password_works(settings):
    settings.HMS_DEMO_PASSWORD = ""
    _seed()
    user = authenticate(username="mehedi", password=DEFAULT_DEMO_PASSWORD)
    assert user is not None
    assert user.hospital.code == "TH001"


@pytest.mark.django_db
def test_refuses_to_run_with_production_settings_and_creates_nothing(settings, data_dir):
    settings.SETTINGS_MODULE = "config.settings.production"

    with pytest.raises(CommandError, match="production"):
        _seed()

    assert not Hospital.objects.exists()
    assert not User.objects.exists()
    assert not (data_dir / "hospitals").exists() or not any((data_dir / "hospitals").iterdir())


@pytest.mark.django_db
def test_negative_patient_count_is_refused():
    with pytest.raises(CommandError, match="negative"):
        call_command("seed_demo", "--patients", "-1", stdout=StringIO())
    assert not Hospital.objects.exists()


@pytest.mark.django_db
def test_refuses_when_the_process_was_started_with_production_settings(settings, monkeypatch):
    # Overridden settings lose SETTINGS_MODULE; the environment still tells the truth.
    settings.SETTINGS_MODULE = None
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")

    with pytest.raises(CommandError, match="production"):
        _seed()

    assert not Hospital.objects.exists()
