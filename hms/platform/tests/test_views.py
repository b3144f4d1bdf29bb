"""The platform console through the test client: who gets in, what it lists (from snapshots, never
opening a hospital's database), searching and paging 10,000 hospitals, and each action."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.tests.factories import UserFactory
from hms.encounters.tests.factories import EncounterFactory
from hms.hospitals.models import Hospital, HospitalSnapshot
from hms.patients.tests.factories import PatientFactory
from hms.security.models import SecurityEvent
from hms.tenancy.backends import storage_for
from hms.tenancy.context import hospital_context
from hms.tenancy.schema import current_fingerprint
from hms.tenancy.tests.test_backups import backup_folders  # noqa: F401 - autouse: this test's own folders

CONSOLE = "platform:console"


@pytest.fixture
def operator(client):
    user = UserFactory(username="operator", role=Role.SUPERADMIN, hospital=None)
    client.force_login(user)
    return user


def _events(action: str) -> list[SecurityEvent]:
    rows = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ADMIN_ACTION).order_by("id")
    return [event for event in rows if event.detail.get("action") == action]


def _post(client, name: str, code: str, **data: str):
    return client.post(reverse(f"platform:{name}"), {"code": code, **data})


def _registry_rows(count: int, *, start: int = 0, prefix: str = "H") -> list[Hospital]:
    """Registry rows (no databases: the console never opens one), each with a snapshot."""
    now = timezone.now()
    hospitals = Hospital.objects.bulk_create(
        Hospital(
            code=f"{prefix}{n:05d}",
            name=f"{'Riverside' if n % 2 else 'Hillview'} Hospital {n}",
            status=Hospital.Status.ACTIVE,
            database_name=f"hospitals/{prefix}{n:05d}/db.sqlite3",
            schema_fingerprint=current_fingerprint(),
        )
        for n in range(start, start + count)
    )
    hospitals = list(Hospital.objects.filter(code__in=[h.code for h in hospitals]))
    HospitalSnapshot.objects.bulk_create(
        HospitalSnapshot(hospital=h, checked_at=now, healthy=True, size_bytes=4096, patients=3, backup_at=now)
        for h in hospitals
    )
    return hospitals


# --- who gets in ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse(CONSOLE))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT])
def test_no_hospital_user_gets_in_or_acts(client, make_hospital, role):
    hospital = make_hospital("TH001")
    client.force_login(UserFactory(role=role, hospital=hospital))
    assert client.get(reverse(CONSOLE)).status_code == 403
    assert client.get(reverse("platform:hospital"), {"code": "TH001"}).status_code == 403
    assert _post(client, "suspend", "TH001").status_code == 403
    assert _post(client, "archive", "TH001").status_code == 403
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE


# --- the list -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_what_the_last_check_found_without_opening_any_hospital(
    client, operator, make_hospital
):
    th = make_hospital("TH001", name="Thana Health Complex")
    dmc = make_hospital("DMC001", name="Dhaka Medical College")
    UserFactory.create_batch(2, role=Role.NURSE, hospital=th)
    with hospital_context(th):
        patients = PatientFactory.create_batch(3)
        EncounterFactory(patient=patients[0])
        EncounterFactory(patient=patients[1], started_at=timezone.now() - datetime.timedelta(days=45))
    call_command("check_hospitals", "--no-progress", "--max-backup-age", "0", stdout=io.StringIO())
    # Both databases gone: a page that opened one would fail or show nothing.
    for hospital in (th, dmc):
        storage_for(hospital.server).drop(hospital.database_name)

    response = client.get(reverse(CONSOLE))

    assert response.status_code == 200
    rows = {row.hospital.code: row for row in response.context["page"].object_list}
    assert (
        rows["TH001"].users,
        rows["TH001"].snapshot.patients,
        rows["TH001"].snapshot.encounters_30_days,
    ) == (
        2,
        3,
        1,
    )
    assert (rows["DMC001"].snapshot.patients, rows["DMC001"].snapshot.encounters_30_days) == (0, 0)
    assert rows["TH001"].snapshot.healthy and rows["TH001"].snapshot.size_bytes > 0
    text = response.content.decode()
    assert "Thana Health Complex" in text and "Healthy" in text
    assert "2 hospitals: 2 active." in text


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_whatever_the_rows_shown(client, operator):
    counts = []
    for added, start in ((4, 0), (8, 100)):
        for hospital in _registry_rows(added, start=start):
            UserFactory.create_batch(2, role=Role.DOCTOR, hospital=hospital)
        client.get(reverse(CONSOLE))  # sign-in and per-process look-ups out of the way
        with CaptureQueriesContext(connections["default"]) as shared:
            response = client.get(reverse(CONSOLE))
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == {4: 4, 8: 12}[added]
        assert all(row.users == 2 for row in response.context["page"].object_list)
        counts.append(len(shared.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_ten_thousand_hospitals_are_searched_and_paged(client, operator):
    _registry_rows(10_000)

    first = client.get(reverse(CONSOLE))
    assert first.status_code == 200
    page = first.context["page"]
    assert page.paginator.count == 10_000 and page.paginator.num_pages == 400
    assert [row.hospital.code for row in page.object_list][:2] == ["H00000", "H00001"]
    assert "Page 1 of 400" in first.content.decode()

    last = client.get(reverse(CONSOLE), {"page": "400"})
    assert [row.hospital.code for row in last.context["page"].object_list][-1] == "H09999"
    beyond = client.get(reverse(CONSOLE), {"page": "9999"})  # a page past the end: the last one
    assert beyond.context["page"].number == 400

    by_code = client.get(reverse(CONSOLE), {"q": "h04242"})
    assert [row.hospital.code for row in by_code.context["page"].object_list] == ["H04242"]
    by_name = client.get(reverse(CONSOLE), {"q": "Hillview Hospital 999"})
    assert [row.hospital.code for row in by_name.context["page"].object_list] == [
        "H09990",
        "H09992",
        "H09994",
        "H09996",
        "H09998",
    ]
    paged_search = client.get(reverse(CONSOLE), {"q": "riverside", "page": "2"})
    assert paged_search.context["page"].paginator.count == 5_000
    assert "q=riverside" in paged_search.content.decode()  # the page links keep the search
    Hospital.objects.filter(code="H00007").update(status=Hospital.Status.SUSPENDED)
    suspended = client.get(reverse(CONSOLE), {"status": "SUSPENDED"})
    assert [row.hospital.code for row in suspended.context["page"].object_list] == ["H00007"]
    assert client.get(reverse(CONSOLE), {"q": "no such hospital"}).context["page"].paginator.count == 0


@pytest.mark.django_db
def test_a_junk_search_is_a_400_with_the_list_not_a_500(client, operator):
    _registry_rows(3)
    response = client.get(reverse(CONSOLE), {"status": "MELTING", "q": "x" * 300})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


# --- one hospital and its actions -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_hospitals_page_and_an_unknown_code(client, operator, make_hospital):
    make_hospital("TH001", name="Thana Health Complex")
    response = client.get(reverse("platform:hospital"), {"code": "TH001"})
    assert response.status_code == 200
    assert "Thana Health Complex" in response.content.decode()
    assert client.get(reverse("platform:hospital"), {"code": "NOPE1"}).status_code == 404
    assert client.get(reverse("platform:hospital"), {"code": "../x"}).status_code == 404
    assert client.get(reverse("platform:hospital")).status_code == 302  # no code: the list


@pytest.mark.django_db
def test_suspend_and_reactivate_are_recorded(client, operator, make_hospital):
    hospital = make_hospital("TH001", name="Thana Health Complex")

    response = _post(client, "suspend", "TH001")
    assert response.status_code == 302
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.SUSPENDED
    again = _post(client, "suspend", "TH001")
    assert again.status_code == 400
    assert "already suspended" in again.content.decode()
    assert _post(client, "reactivate", "TH001").status_code == 302
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE

    (suspended,) = _events("hospital_suspended")
    assert (suspended.hospital_code, suspended.username, suspended.detail["previous_status"]) == (
        "TH001",
        "operator",
        "ACTIVE",
    )
    assert len(_events("hospital_reactivated")) == 1
    page = client.get(reverse("platform:hospital"), {"code": "TH001"}).content.decode()
    recent = page[page.index("Recent operations") :]
    assert recent.index("Reactivated") < recent.index("Suspended")  # newest first, in words
    assert "operator" in recent and "hospital_suspended" not in recent
    assert _post(client, "suspend", "NOPE1").status_code == 404
    assert _post(client, "suspend", "").status_code == 400


@pytest.mark.django_db
def test_check_now_refreshes_one_hospitals_snapshot(client, operator, make_hospital):
    hospital = make_hospital("TH001")
    with hospital_context(hospital):
        PatientFactory.create_batch(2)

    response = _post(client, "check", "TH001")

    assert response.status_code == 302
    snapshot = HospitalSnapshot.objects.get(hospital=hospital)
    assert snapshot.patients == 2 and snapshot.checked_at is not None
    assert snapshot.healthy is False and "no backup" in snapshot.problems  # never backed up
    follow = client.get(response["Location"])
    assert "was checked just now: problems found: no backup." in follow.content.decode()
    assert len(_events("hospital_checked")) == 1


@pytest.mark.django_db
def test_create_a_hospital_with_its_first_administrator(client, operator):
    response = client.post(
        reverse("platform:hospital-new"),
        {
            "code": "ch001",
            "name": "Chittagong General",
            "time_zone": "Asia/Dhaka",
            "admin_username": "ch-admin",
            "admin_email": "admin@ch.example",
            "admin_first_name": "Nasrin",
        },
    )

    assert response.status_code == 200
    hospital = Hospital.objects.get(code="CH001")
    assert (hospital.status, hospital.time_zone) == (Hospital.Status.ACTIVE, "Asia/Dhaka")
    admin = User.objects.get(username="ch-admin")
    assert (admin.role, admin.hospital_id) == (Role.ADMIN, hospital.pk)
    assert "/reset/" in response.context["link"] or "password" in response.context["link"]
    assert response.context["link"] in response.content.decode()
    (created,) = _events("hospital_created")
    assert created.hospital_code == "CH001" and created.username == "operator"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "no spaces!", "capital letters"),
        ("time_zone", "Mars/Olympus", "is not an IANA time zone"),
        ("admin_email", "not-an-email", "valid email"),
        ("admin_username", "operator", "That username is taken"),
        ("admin_username", "bad name!", "Enter a valid username"),
    ],
)
def test_a_bad_new_hospital_is_refused_and_nothing_is_made(client, operator, field, value, message):
    data = {
        "code": "CH001",
        "name": "Chittagong General",
        "time_zone": "UTC",
        "admin_username": "ch-admin",
        "admin_email": "admin@ch.example",
        field: value,
    }
    response = client.post(reverse("platform:hospital-new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Hospital.objects.exists()
    assert not User.objects.filter(username="ch-admin").exists()


@pytest.mark.django_db
def test_an_existing_code_is_refused(client, operator, make_hospital):
    make_hospital("CH001")
    data = {
        "code": "CH001",
        "name": "Again",
        "time_zone": "UTC",
        "admin_username": "a2",
        "admin_email": "a@b.example",
    }
    response = client.post(reverse("platform:hospital-new"), data)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Hospital.objects.get(code="CH001").name == "Hospital CH001"


@pytest.mark.django_db
def test_only_a_hospital_in_service_is_backed_up_or_archived(client, operator, make_hospital):
    hospital = make_hospital("TH001")
    Hospital.objects.filter(pk=hospital.pk).update(status=Hospital.Status.FAILED)
    for action in ("backup", "archive"):
        response = _post(client, action, "TH001")
        assert response.status_code == 400
        assert "only active or suspended hospitals" in response.content.decode()
    assert Hospital.objects.get(pk=hospital.pk).status == Hospital.Status.FAILED
    assert not HospitalSnapshot.objects.filter(hospital=hospital, backup_requested_at__isnull=False).exists()


@pytest.mark.django_db
def test_every_field_of_the_console_is_labelled_and_no_inline_style(client, operator, make_hospital):
    from hms.web.tests.test_look_and_feel import unlabelled

    hospital = make_hospital("TH001")
    pages = [
        client.get(reverse(CONSOLE)),
        client.get(reverse("platform:hospital"), {"code": "TH001"}),
        client.get(reverse("platform:hospital-new")),
    ]
    Hospital.objects.filter(pk=hospital.pk).update(status=Hospital.Status.ARCHIVED)
    pages.append(client.get(reverse("platform:hospital"), {"code": "TH001"}))  # the removal form
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert unlabelled(body) == [], response.request["PATH_INFO"]
        assert "style=" not in body and "<script" not in body
    assert 'name="confirm_code"' in pages[-1].content.decode()


@pytest.mark.django_db
def test_check_now_does_not_hold_an_archived_hospitals_old_backup_against_it(client, operator, make_hospital):
    hospital = make_hospital("TH001")
    Hospital.objects.filter(pk=hospital.pk).update(status=Hospital.Status.ARCHIVED)

    assert _post(client, "check", "TH001").status_code == 302

    snapshot = HospitalSnapshot.objects.get(hospital=hospital)
    assert snapshot.healthy and snapshot.problems == ""
    Hospital.objects.filter(pk=hospital.pk).update(database_removed_at=timezone.now())
    refused = _post(client, "check", "TH001")
    assert refused.status_code == 400
    assert "has no database in service to check" in refused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["backup", "archive"])
def test_a_command_that_cannot_start_leaves_the_hospital_as_it_was(
    client, operator, make_hospital, settings, tmp_path, action
):
    hospital = make_hospital("TH001", name="Thana Health Complex")
    settings.BASE_DIR = tmp_path / "no-such-release"  # where the command would run from

    response = _post(client, action, "TH001")

    assert response.status_code == 400
    text = response.content.decode()
    assert "command could not be started" in text
    hospital.refresh_from_db()
    assert (hospital.status, hospital.archived_at) == (Hospital.Status.ACTIVE, None)
    snapshot = HospitalSnapshot.objects.get(hospital=hospital)
    assert snapshot.backup_failed_last and "could not be started" in snapshot.backup_error
    assert not snapshot.backup_pending
    assert not _events("hospital_archived") and not _events("hospital_backup_started")


@pytest.mark.django_db
def test_removing_a_database_without_typing_the_code_is_refused_on_the_page(client, operator, make_hospital):
    hospital = make_hospital("TH001")
    Hospital.objects.filter(pk=hospital.pk).update(
        status=Hospital.Status.ARCHIVED, archived_at=timezone.now()
    )

    response = client.post(reverse("platform:remove-database"), {"code": "TH001"})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert '<details class="confirm" open>' in response.content.decode()
    assert storage_for(hospital.server).exists(hospital.database_name)
    assert Hospital.objects.get(pk=hospital.pk).database_removed_at is None
