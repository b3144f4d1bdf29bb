"""Hospital codes are validated before they reach a path, an alias or SQL, at every entry point."""

import io
import string
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends.sqlite import SqliteStorage
from hms.tenancy.codes import HOSPITAL_CODE_PATTERN, is_valid_hospital_code, validate_hospital_code
from hms.tenancy.context import current_tenant_or_none, hospital_context
from hms.tenancy.exceptions import InvalidHospitalCode, StorageError, TenancyError
from hms.tenancy.provisioning import hospital_provision

ALLOWED = set(string.ascii_uppercase + string.digits + "_")


def _oracle(code: object) -> bool:
    """The rule written out by hand, independent of the regular expression."""
    return (
        isinstance(code, str)
        and 2 <= len(code) <= 32
        and code[0] != "_"
        and all(character in ALLOWED for character in code)
    )


# --- unit tests --------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["TH001", "DMC001", "A1", "00", "9_", "A_B_C", "A" * 32, "X" + "_" * 31])
def test_valid_codes_are_accepted_and_returned_unchanged(code):
    assert is_valid_hospital_code(code) is True
    assert validate_hospital_code(code) is code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "A",  # too short
        "A" * 33,  # too long
        "_TH001",  # must start with a letter or digit
        "th001",
        "Th001",
        "TH-001",
        "TH 001",
        " TH001",
        "TH001 ",
        "TH001\n",  # `$` would accept this; the pattern must not
        "\nTH001",
        "TH001\x00",
        "TH001\r",
        "TH.001",
        "../x",
        "..",
        "TH001/../../etc",
        "TH001\\..\\x",
        "a;drop",
        "TH001;DROP TABLE x",
        "TH001'--",
        'TH"001',
        "ÅBC",
        "ＴＨ００１",  # fullwidth letters and digits
        "TH٠٠١",  # Arabic-Indic digits
        "TH\u0130",  # dotted capital I
        "ß" * 2,
        "TH001\u200b",  # zero-width space
    ],
)
def test_invalid_codes_are_rejected(code):
    assert is_valid_hospital_code(code) is False
    with pytest.raises(InvalidHospitalCode):
        validate_hospital_code(code)


@pytest.mark.parametrize("value", [None, 1001, 10.5, b"TH001", ["TH001"], ("TH001",), object()])
def test_non_strings_are_rejected(value):
    assert is_valid_hospital_code(value) is False
    with pytest.raises(InvalidHospitalCode):
        validate_hospital_code(value)


def test_invalid_code_error_is_a_value_error_with_a_short_helpful_message():
    with pytest.raises(ValueError, match="Invalid hospital code") as caught:
        validate_hospital_code("X" * 1000 + "\n")
    assert isinstance(caught.value, TenancyError)
    message = str(caught.value)
    assert len(message) < 250  # a huge input is not echoed back in full
    assert "\n" not in message  # nor are control characters (repr escapes them)
    assert "TH001" in message  # it shows what a code looks like


@given(st.text(max_size=40))
@hypothesis_settings(max_examples=300, database=None, deadline=None)
def test_validation_matches_the_written_rule_for_any_text(code):
    assert is_valid_hospital_code(code) is _oracle(code)


@given(st.from_regex(rf"\A{HOSPITAL_CODE_PATTERN}\Z"))
@hypothesis_settings(max_examples=200, database=None, deadline=None)
def test_every_code_the_pattern_describes_is_valid(code):
    assert _oracle(code)
    assert validate_hospital_code(code) == code


@pytest.mark.parametrize("code", ["TH001", "A_1"])
def test_storage_puts_a_valid_code_inside_the_data_folder(code, data_dir):
    storage = SqliteStorage.from_settings()
    name = storage.database_name_for(code)
    assert name == f"hospitals/{code}/db.sqlite3"
    assert storage.path(name) == data_dir.resolve() / "hospitals" / code / "db.sqlite3"


@pytest.mark.parametrize(
    "database_name", ["", ".", "..", "../x", "hospitals/../../x", "/etc/passwd", "hospitals/TH001/../../../x"]
)
def test_storage_refuses_database_paths_outside_the_data_folder(database_name):
    storage = SqliteStorage.from_settings()
    with pytest.raises(StorageError):
        storage.path(database_name)
    with pytest.raises(StorageError):
        storage.connection_settings(database_name)


# --- hostile codes at every entry point --------------------------------------------------

HOSTILE_CHARACTERS = list("AZ09_-./\\;'\"%$`*?:~ \t\n\r\x00") + ["Å", "Ｔ", "１", "ı", "\u200b", "é"]

hostile_codes = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(HOSTILE_CHARACTERS), max_size=40),
    st.builds(
        lambda code, junk: code + junk,
        st.from_regex(rf"\A{HOSPITAL_CODE_PATTERN}\Z"),
        st.sampled_from(["\n", "\x00", "/", "/..", "/../../x", " ", ";", "'", "%00", ".sqlite3"]),
    ),
    st.builds(lambda code: code.lower(), st.from_regex(r"\A[A-Z][A-Z0-9]{1,10}\Z")),
    st.text(alphabet="A", min_size=33, max_size=1000),
).filter(lambda code: not is_valid_hospital_code(code))


SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _snapshot(*roots: Path) -> set[str]:
    """Every path under `roots`; an SQLite side file counts as the database it belongs to.

    (A URL like /h/TH001%2F..%2Fx/ names the member's own hospital TH001 followed by an
    unknown page, so that hospital's existing database may be opened.)
    """
    found = set()
    for root in roots:
        if root.exists():
            for path in root.rglob("*"):
                name = str(path)
                for suffix in SQLITE_SIDE_FILES:
                    name = name.removesuffix(suffix)
                found.add(name)
    return found


def _entries(*folders: Path) -> set[str]:
    """What `folders` hold directly: where a path that climbs out with ../ would land."""
    return {str(path) for folder in folders for path in folder.iterdir()}


def _quiet() -> dict[str, io.StringIO]:
    return {"stdout": io.StringIO(), "stderr": io.StringIO()}


@pytest.fixture
def member_client(client, make_hospital, make_user):
    hospital = make_hospital("TH001")
    client.force_login(make_user("th_doctor", hospital=hospital))
    return client


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(code=hostile_codes)
@example(code="../x")
@example(code="a;drop")
@example(code="TH001/../../etc")
@example(code="../../../../../../tmp/hms-escape")
@example(code="ÅBC")
@example(code="ＴＨ００１")
@example(code="")
@example(code="A" * 1000)
@example(code="TH001\x00")
@example(code="\x00")
@example(code="TH001\n")
@example(code="TH\n001")
@example(code="-h")
@example(code="--help")
@example(code="%2e%2e%2fx")
def test_hostile_codes_are_refused_everywhere_and_create_nothing(
    member_client, data_dir, tmp_path, run_temp_root, settings, code
):
    assert not is_valid_hospital_code(code)
    # The data folder is tmp_path/data; a code climbing out of hospitals/<code>/ lands in
    # tmp_path or one of its parents. Only the parents this test run owns are compared:
    # above them (/tmp/pytest-of-<user>) other pytest runs come and go.
    parents = [
        folder
        for folder in (tmp_path.parent, tmp_path.parent.parent)
        if folder == run_temp_root or run_temp_root in folder.parents
    ]
    assert parents, f"{tmp_path} lies outside this run's temporary folder {run_temp_root}"
    templates = Path(settings.HMS_TEMPLATE_DIR)
    before_everywhere = (_snapshot(tmp_path, templates), _entries(*parents))
    before_data = _snapshot(data_dir)
    hospitals_before = list(Hospital.objects.values_list("code", "status"))
    not_found_body = member_client.get("/h/NOPE999/").content

    with pytest.raises(InvalidHospitalCode):
        validate_hospital_code(code)

    with pytest.raises(InvalidHospitalCode), hospital_context(code):
        pytest.fail("the block must not run")
    assert current_tenant_or_none() is None

    with pytest.raises(InvalidHospitalCode):
        hospital_provision(code=code, name="Hostile Hospital")

    with pytest.raises(InvalidHospitalCode):
        SqliteStorage.from_settings().database_name_for(code)

    with pytest.raises(ValidationError) as invalid:
        Hospital(code=code, name="Hostile", database_name="x").full_clean()
    assert "code" in invalid.value.message_dict

    # "--" ends the options, so even "-h" reaches the command as a code.
    with pytest.raises(CommandError, match="(?i)invalid hospital code"):
        call_command("create_hospital", "--name", "Hostile Hospital", "--", code, **_quiet())
    with pytest.raises(CommandError, match="(?i)invalid hospital code"):
        call_command("migrate_hospitals", f"--hospital={code}", "--jobs", "1", "--no-progress", **_quiet())
    with pytest.raises(CommandError, match="(?i)invalid hospital code"):
        call_command("list_hospitals", f"--hospital={code}", **_quiet())

    # The client re-raises any exception in a view, so a 500 would fail here too.
    response = member_client.get(f"/h/{quote(code, safe='')}/")
    assert response.status_code == 404
    assert response.content == not_found_body
    assert current_tenant_or_none() is None

    assert list(Hospital.objects.values_list("code", "status")) == hospitals_before
    assert tenant_connections.registered_aliases() == []
    assert _snapshot(data_dir) == before_data
    assert (_snapshot(tmp_path, templates), _entries(*parents)) == before_everywhere
