import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.staff.selectors import PAGE_SIZE, staff_list
from hms.staff.services import department_create, staff_member_add, staff_member_deactivate
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import NoHospitalSelected


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def admin(dmc, make_user):
    return make_user("dmc_admin", role=Role.ADMIN, hospital=dmc, first_name="Dana", last_name="Admin")


@pytest.fixture
def make_user(make_user):
    """make_user with first and last names."""

    def make(username, *, first_name="", last_name="", **kwargs):
        user = make_user(username, **kwargs)
        if first_name or last_name:
            user.first_name, user.last_name = first_name, last_name
            user.save(update_fields=["first_name", "last_name"])
        return user

    return make


def _add_nurses(admin, hospital, make_user, count, *, start=0, department=None):
    members = []
    for number in range(start, start + count):
        nurse = make_user(
            f"nurse{number}", role=Role.NURSE, hospital=hospital, first_name="Nurse", last_name=f"N{number}"
        )
        members.append(staff_member_add(acting_user=admin, user=nurse, department=department))
    return members


@pytest.mark.django_db
def test_lists_active_staff_with_their_names(admin, dmc, make_user):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        staff_member_add(acting_user=admin, user=admin)
        first, second = _add_nurses(admin, dmc, make_user, 2, department=cardiology)
        staff_member_deactivate(acting_user=admin, staff_member=second)
        page = staff_list(user=admin)
        everyone = staff_list(user=admin, include_inactive=True)
    assert [(e.username, e.full_name) for e in page] == [("dmc_admin", "Dana Admin"), ("nurse0", "Nurse N0")]
    assert page[1].member.pk == first.pk and page[1].member.department.name == "Cardiology"
    assert len(everyone) == 3


@pytest.mark.django_db
def test_filters_by_department(admin, dmc, make_user):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        wards = department_create(acting_user=admin, name="Wards", code="WARD")
        _add_nurses(admin, dmc, make_user, 2, department=cardiology)
        _add_nurses(admin, dmc, make_user, 1, start=2, department=wards)
        assert [e.username for e in staff_list(user=admin, department=cardiology)] == ["nurse0", "nurse1"]
        assert [e.username for e in staff_list(user=admin, department=wards)] == ["nurse2"]


@pytest.mark.django_db
def test_paginated_by_25(admin, dmc, make_user):
    with hospital_context("DMC001"):
        _add_nurses(admin, dmc, make_user, 30)
        first = staff_list(user=admin)
        second = staff_list(user=admin, page_number=2)
        beyond = staff_list(user=admin, page_number="999")
    assert PAGE_SIZE == 25
    assert len(first) == 25 and first.paginator.count == 30
    assert len(second) == 5 and beyond.number == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PATIENT, Role.SUPERADMIN])
def test_non_staff_get_an_empty_page(admin, dmc, make_user, role):
    outsider = make_user("outsider", role=role, hospital=None if role == Role.SUPERADMIN else dmc)
    with hospital_context("DMC001"):
        _add_nurses(admin, dmc, make_user, 2)
        assert list(staff_list(user=outsider)) == []


@pytest.mark.django_db
def test_never_shows_another_hospitals_staff(admin, dmc, make_hospital, make_user):
    th = make_hospital("TH001")
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=th)
    with hospital_context("TH001"):
        _add_nurses(th_admin, th, make_user, 2)
    with hospital_context("DMC001"):
        _add_nurses(admin, dmc, make_user, 1, start=10)
        assert [e.username for e in staff_list(user=admin)] == ["nurse10"]
    with hospital_context("TH001"):
        # A DMC001 admin sees nothing of TH001's staff.
        assert list(staff_list(user=admin)) == []
        assert [e.username for e in staff_list(user=th_admin)] == ["nurse0", "nurse1"]


@pytest.mark.django_db
def test_needs_a_hospital(admin):
    with pytest.raises(NoHospitalSelected):
        staff_list(user=admin)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_page_size(admin, dmc, make_user):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        _add_nurses(admin, dmc, make_user, 40, department=cardiology)

    def queries_for(page_size):
        with (
            hospital_context("DMC001") as tenant,
            CaptureQueriesContext(connections[tenant.alias]) as tenant_queries,
            CaptureQueriesContext(connections["default"]) as shared_queries,
        ):
            page = staff_list(user=admin, page_size=page_size)
            # Touch what a list shows: nothing may load lazily.
            shown = [(e.full_name, e.member.role, e.member.department.name) for e in page]
        assert len(shown) == page_size
        return len(tenant_queries.captured_queries), len(shared_queries.captured_queries)

    small = queries_for(2)
    large = queries_for(PAGE_SIZE)
    largest = queries_for(40)
    assert small == large == largest
    tenant_count, shared_count = small
    assert tenant_count <= 2  # the count and the page
    assert shared_count <= 2  # the acting user's hospital and the page's users
