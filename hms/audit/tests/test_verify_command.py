"""manage.py verify_audit_chain: one table row per hospital; a lost database never stops the others."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hms.accounts.models import Role
from hms.audit.tests.test_services import _disable_append_only_triggers, _raw, _record_events
from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends import storage_for
from hms.tenancy.context import hospital_context
from hms.tenancy.placement import server_choose


def _verify(*args):
    """Run the command; return its stdout and the CommandError it raised (or None)."""
    out = StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def _rows(output):
    """The table as code -> (outcome, events, detail), read the way a script would: split()."""
    lines = output.splitlines()
    assert lines[0].split() == ["HOSPITAL", "OUTCOME", "EVENTS", "DETAIL"]
    rows = {}
    assert lines[-2].startswith("Security log: ")
    for line in lines[1:-2]:  # then the security log's line, then the summary
        code, outcome, events, *detail = line.split(maxsplit=3)
        rows[code] = (outcome, events, detail[0] if detail else "")
    return rows


def _lose_database(code):
    """Lose a hospital's database as an operator could: its file deleted, or dropped on its server."""
    hospital = Hospital.objects.get(code=code)
    storage = storage_for(hospital.server)
    # The command runs in a new process: no connection opened before the loss survives it.
    tenant_connections.forget_all()
    storage.drop(hospital.database_name)
    assert not storage.exists(hospital.database_name)


@pytest.fixture
def fleet(make_hospital, make_user):
    """Three hospitals with 3, 2 and 4 audit events; returns code -> their events."""
    events = {}
    for code, count in (("TH001", 3), ("DMC001", 2), ("CMH01", 4)):
        user = make_user(f"doc-{code.lower()}", role=Role.DOCTOR, hospital=make_hospital(code))
        with hospital_context(code):
            events[code] = _record_events(user, count)
    return events


def _tamper(code, event):
    """Change a recorded event's contents behind the application's back."""
    with hospital_context(code):
        _disable_append_only_triggers()
        _raw("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ['{"n": 42}', event.pk])


# --- every hospital reachable ---------------------------------------------------------------


@pytest.mark.django_db
def test_reports_every_active_hospital_intact(fleet, make_hospital):
    make_hospital("EMPTY01")

    output, error = _verify()

    assert error is None
    assert _rows(output) == {
        "CMH01": ("intact", "4", ""),
        "DMC001": ("intact", "2", ""),
        "EMPTY01": ("intact", "0", ""),
        "TH001": ("intact", "3", ""),
    }
    assert (
        output.splitlines()[-1]
        == "4 hospital(s) checked: 4 intact, 0 broken, 0 unreachable; every audit chain is intact."
    )


@pytest.mark.django_db
def test_all_hospitals_flag_checks_every_hospital(fleet):
    output, error = _verify("--all-hospitals")
    assert error is None
    assert set(_rows(output)) == {"CMH01", "DMC001", "TH001"}


@pytest.mark.django_db
def test_checks_only_the_hospitals_named(fleet):
    output, error = _verify("--hospital", "DMC001")
    assert error is None
    assert _rows(output) == {"DMC001": ("intact", "2", "")}
    both, error = _verify("--hospital", "DMC001", "--hospital", "TH001")
    assert error is None
    assert set(_rows(both)) == {"DMC001", "TH001"}


@pytest.mark.django_db
def test_skips_hospitals_that_are_not_active(fleet):
    Hospital.objects.filter(code="TH001").update(status=Hospital.Status.SUSPENDED)

    output, error = _verify()
    assert error is None
    assert "TH001" not in _rows(output)

    named, error = _verify("--hospital", "TH001", "--hospital", "DMC001")
    assert error is None
    assert _rows(named)["TH001"] == ("skipped", "-", "status SUSPENDED")
    assert "1 skipped" in named.splitlines()[-1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hospital", "NOPE01"], "No such hospital: NOPE01"),
        (["--hospital", "th001; drop"], "Invalid hospital code"),
        (["--hospital", "TH001", "--all-hospitals"], "not allowed with"),
    ],
)
def test_refuses_bad_hospital_choices(args, message):
    # Registry rows alone: refused choices open no database (opening these would fail).
    for code in ("TH001", "DMC001"):
        server = server_choose()
        Hospital.objects.create(
            code=code,
            name=f"Hospital {code}",
            server=server,
            database_name=storage_for(server).database_name_for(code),
            status=Hospital.Status.ACTIVE,
        )
    with pytest.raises(CommandError, match=message):
        call_command("verify_audit_chain", *args, stdout=StringIO())


# --- broken chains ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_reports_a_broken_chain_and_fails(fleet):
    altered = fleet["TH001"][1]
    _tamper("TH001", altered)

    output, error = _verify()

    rows = _rows(output)
    assert rows["TH001"] == ("BROKEN", "2", f"at event {altered.pk}: contents do not match the recorded seal")
    # One broken hospital does not stop the others being checked.
    assert rows["DMC001"] == ("intact", "2", "")
    assert rows["CMH01"] == ("intact", "4", "")
    assert error is not None
    assert "The audit chain of 1 hospital(s) is broken: TH001." in str(error)
    assert "security incident" in str(error) and "latest backup" in str(error)


@pytest.mark.django_db
def test_reports_events_missing_from_the_end(fleet):
    with hospital_context("TH001"):
        _disable_append_only_triggers()
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [fleet["TH001"][-1].pk])

    output, error = _verify("--hospital", "TH001")

    assert _rows(output)["TH001"] == (
        "BROKEN",
        "2",
        "at event end: events after the last one checked are missing",
    )
    assert error is not None and "broken: TH001" in str(error)


# --- a hospital whose database cannot be opened ---------------------------------------------


@pytest.mark.django_db
def test_a_lost_database_is_reported_and_the_others_are_still_checked(fleet):
    _lose_database("DMC001")

    output, error = _verify()

    rows = _rows(output)
    assert rows["TH001"] == ("intact", "3", "")
    assert rows["CMH01"] == ("intact", "4", "")
    outcome, events, detail = rows["DMC001"]
    assert (outcome, events) == ("unreachable", "-")
    assert detail.startswith("OperationalError: ")  # the database's own words, on one line
    assert output.splitlines()[-1] == "3 hospital(s) checked: 2 intact, 0 broken, 1 unreachable."
    assert error is not None
    message = str(error)
    assert "could not be checked: DMC001" in message
    assert "TH001" not in message and "CMH01" not in message
    assert "restore it from the latest backup" in message and "list_hospitals" in message


@pytest.mark.django_db
def test_the_lost_hospital_named_alone_fails_cleanly(fleet):
    _lose_database("DMC001")

    output, error = _verify("--hospital", "DMC001")

    assert list(_rows(output)) == ["DMC001"]
    assert _rows(output)["DMC001"][:2] == ("unreachable", "-")
    assert error is not None and "DMC001" in str(error)
    # Asked again in the same process: the failed connection did not stay behind to poison it.
    again, error = _verify("--hospital", "DMC001", "--hospital", "TH001")
    assert _rows(again)["DMC001"][0] == "unreachable"
    assert _rows(again)["TH001"] == ("intact", "3", "")
    assert error is not None
    assert tenant_connections.hospital_alias("DMC001") not in tenant_connections.open_aliases()


@pytest.mark.django_db
def test_a_good_hospital_named_alone_passes_while_another_is_lost(fleet):
    _lose_database("DMC001")

    output, error = _verify("--hospital", "TH001")

    assert error is None
    assert _rows(output) == {"TH001": ("intact", "3", "")}


@pytest.mark.django_db
def test_a_tampered_chain_and_a_lost_database_are_both_reported(fleet):
    altered = fleet["TH001"][1]
    _tamper("TH001", altered)
    _lose_database("DMC001")

    output, error = _verify()

    rows = _rows(output)
    assert rows["TH001"] == ("BROKEN", "2", f"at event {altered.pk}: contents do not match the recorded seal")
    assert rows["DMC001"][:2] == ("unreachable", "-")
    assert rows["CMH01"] == ("intact", "4", "")
    assert output.splitlines()[-1] == "3 hospital(s) checked: 1 intact, 1 broken, 1 unreachable."
    assert error is not None
    message = str(error)
    assert "broken: TH001" in message and "security incident" in message
    assert "could not be checked: DMC001" in message and "restore" in message


@pytest.mark.django_db
def test_a_hospital_on_a_server_no_longer_configured_is_reported(fleet):
    Hospital.objects.filter(code="CMH01").update(server="decommissioned")

    output, error = _verify()

    rows = _rows(output)
    assert rows["CMH01"][:2] == ("unreachable", "-")
    assert rows["CMH01"][2].startswith("StorageError: Database server 'decommissioned'")
    assert rows["TH001"] == ("intact", "3", "")
    assert error is not None and "CMH01" in str(error)


@pytest.mark.django_db
@pytest.mark.sqlite_only
def test_a_file_that_is_not_a_database_is_reported(fleet):
    hospital = Hospital.objects.get(code="CMH01")
    tenant_connections.forget_all()
    path = storage_for(hospital.server).path(hospital.database_name)
    for side_file in path.parent.glob(f"{path.name}-*"):
        side_file.unlink()
    path.write_bytes(b"these are not the pages of a SQLite database " * 100)

    output, error = _verify()

    rows = _rows(output)
    assert rows["CMH01"][:2] == ("unreachable", "-")
    assert "DatabaseError" in rows["CMH01"][2]
    assert rows["TH001"] == ("intact", "3", "")
    assert rows["DMC001"] == ("intact", "2", "")
    assert error is not None and "CMH01" in str(error)
