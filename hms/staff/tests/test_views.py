"""The staff page: a directory for the hospital's staff; its administrator manages it."""

import factory
import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.audit.models import AuditEvent
from hms.staff.models import Department, StaffMember
from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context


def _url(name, hospital_code="DMC001", **kwargs):
    """A staff page's address: `_url("member-deactivate", member_id=7)`."""
    return reverse(f"staff:{name}", kwargs={"hospital_code": hospital_code, **kwargs})


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def admin(dmc, make_user):
    return make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)


@pytest.mark.django_db
def test_an_admin_adds_a_department_and_a_doctor_from_the_page(client, dmc, admin, make_user):
    make_user("dr_okafor", role=Role.DOCTOR, hospital=dmc)
    client.force_login(admin)
    page = client.get(_url("index"))
    assert page.status_code == 200
    assert "dr_okafor" in page.content.decode()  # offered as a candidate
    assert client.post(_url("department-new"), {"name": "Cardiology", "code": "card"}).status_code == 302
    with hospital_context("DMC001"):
        department = Department.objects.get()
    added = client.post(
        _url("member-new"),
        {
            "username": "dr_okafor",
            "department_id": department.pk,
            "specialty": "Cardiology",
            "licence_number": "L-9",
        },
    )
    assert added.status_code == 302
    listing = client.get(_url("index"), {"department": department.pk}).content.decode()
    assert "L-9" in listing and "Cardiology" in listing
    with hospital_context("DMC001"):
        member = StaffMember.objects.get()
        assert [e.action for e in AuditEvent.objects.order_by("id")] == ["department.create", "staff.add"]
    assert client.post(_url("member-deactivate", member_id=member.pk)).status_code == 302
    with hospital_context("DMC001"):
        assert not StaffMember.objects.get().is_active


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {"user_id": "abc"},
        {"user_id": "99999999999999999999999"},
        {"user_id": "-3"},
        {"user_id": "424242"},
        {"username": "nobody"},
        {"username": "x" * 200},
        {"username": "ADMIN", "department_id": "12345"},
        {"department_id": "x"},
    ],
)
def test_bad_member_forms_answer_400_not_500(client, dmc, admin, form):
    client.force_login(admin)
    response = client.post(_url("member-new"), form)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    with hospital_context("DMC001"):
        assert not StaffMember.objects.exists()


@pytest.mark.django_db
def test_a_department_of_nowhere_is_refused(client, dmc, admin, make_user):
    nurse = make_user("nurse", role=Role.NURSE, hospital=dmc)
    client.force_login(admin)
    response = client.post(_url("member-new"), {"username": nurse.username, "department_id": "12345"})
    assert response.status_code == 400
    assert "Choose a department of this hospital" in response.content.decode()


@pytest.mark.django_db
def test_a_doctor_needs_a_specialty_and_licence_and_the_page_says_so(client, dmc, admin, make_user):
    doctor = make_user("dr_x", role=Role.DOCTOR, hospital=dmc)
    client.force_login(admin)
    response = client.post(_url("member-new"), {"username": doctor.username})
    assert response.status_code == 400
    assert "A doctor needs a specialty" in response.content.decode()
    with hospital_context("DMC001"):
        assert not StaffMember.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST])
def test_other_staff_read_the_directory_but_cannot_change_it(client, dmc, make_user, role):
    user = make_user("someone", role=role, hospital=dmc)
    client.force_login(user)
    page = client.get(_url("index"))
    assert page.status_code == 200
    assert "Add a department" not in page.content.decode()
    assert client.post(_url("department-new"), {"name": "X", "code": "X"}).status_code == 403
    assert client.post(_url("member-new"), {"username": user.username}).status_code == 403
    with hospital_context("DMC001"):
        assert not Department.objects.exists()


@pytest.mark.django_db
def test_patients_and_superadmins_get_403(client, dmc, make_user):
    client.force_login(make_user("pat", role=Role.PATIENT, hospital=dmc))
    assert client.get(_url("index")).status_code == 403
    client.force_login(make_user("root", role=Role.SUPERADMIN))
    assert client.get(_url("index")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("member_id", ["999", "abc", "99999999999999999999999"])
def test_deactivating_an_unknown_member_is_404(client, dmc, admin, member_id):
    client.force_login(admin)
    # Written out: junk cannot be reversed, and how the address is read is part of what is tested.
    assert client.post(f"{_url('index')}members/{member_id}/deactivate/").status_code == 404


@pytest.mark.django_db
def test_the_directory_runs_the_same_queries_for_three_times_the_staff(client, dmc, admin):
    client.force_login(admin)
    cardiology = None
    counts = []
    for added, shown in ((4, 4), (8, 12)):
        accounts = UserFactory.create_batch(added, role=Role.NURSE, hospital=dmc)
        with hospital_context("DMC001"):
            cardiology = cardiology or DepartmentFactory(name="Cardiology")
            StaffMemberFactory.create_batch(added, user=factory.Iterator(accounts), department=cardiology)
        client.get(_url("index"))  # sign-in and per-process look-ups out of the way
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias("DMC001")]) as hospital,
        ):
            response = client.get(_url("index"))
        assert response.status_code == 200
        assert response.content.decode().count("<td>Cardiology</td>") == shown
        counts.append((len(shared), len(hospital)))
    assert counts[0] == counts[1]
