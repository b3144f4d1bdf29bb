import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.staff.accounts import staff_account_disable
from hms.staff.selectors import PAGE_SIZE, staff_list
from hms.staff.services import department_create, staff_member_add
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import NoHospitalSelected


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def admin(dmc):
    return UserFactory(
        username="dmc_admin", role=Role.ADMIN, hospital=dmc, first_name="Dana", last_name="Admin"
    )


def _add_nurses(admin, hospital, count, *, start=0, department=None):
    members = []
    for number in range(start, start + count):
        nurse = UserFactory(
            username=f"nurse{number}",
            role=Role.NURSE,
            hospital=hospital,
            first_name="Nurse",
            last_name=f"N{number}",
        )
        members.append(staff_member_add(acting_user=admin, user=nurse, department=department))
    return members


@pytest.mark.django_db
def test_lists_active_staff_with_their_names(admin, dmc):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        staff_member_add(acting_user=admin, user=admin)
        first, second = _add_nurses(admin, dmc, 2, department=cardiology)
        staff_account_disable(acting_user=admin, staff_member=second)
        page = staff_list(user=admin)
        everyone = staff_list(user=admin, include_inactive=True)
    assert [(e.username, e.full_name) for e in page] == [("dmc_admin", "Dana Admin"), ("nurse0", "Nurse N0")]
    assert page[1].member.pk == first.pk and page[1].member.department.name == "Cardiology"
    assert len(everyone) == 3


@pytest.mark.django_db
def test_filters_by_department(admin, dmc):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        wards = department_create(acting_user=admin, name="Wards", code="WARD")
        _add_nurses(admin, dmc, 2, department=cardiology)
        _add_nurses(admin, dmc, 1, start=2, department=wards)
        assert [e.username for e in staff_list(user=admin, department=cardiology)] == ["nurse0", "nurse1"]
        assert [e.username for e in staff_list(user=admin, department=wards)] == ["nurse2"]


@pytest.mark.django_db
def test_paginated_by_25(admin, dmc):
    with hospital_context("DMC001"):
        _add_nurses(admin, dmc, 30)
        first = staff_list(user=admin)
        second = staff_list(user=admin, page_number=2)
        beyond = staff_list(user=admin, page_number="999")
    assert PAGE_SIZE == 25
    assert len(first) == 25 and first.paginator.count == 30
    assert len(second) == 5 and beyond.number == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PATIENT, Role.SUPERADMIN])
def test_non_staff_get_an_empty_page(admin, dmc, role):
    outsider = UserFactory(role=role, hospital=None if role == Role.SUPERADMIN else dmc)
    with hospital_context("DMC001"):
        _add_nurses(admin, dmc, 2)
        assert list(staff_list(user=outsider)) == []


@pytest.mark.django_db
def test_never_shows_another_hospitals_staff(admin, dmc, make_hospital):
    th = make_hospital("TH001")
    th_admin = UserFactory(role=Role.ADMIN, hospital=th)
    with hospital_context("TH001"):
        _add_nurses(th_admin, th, 2)
    with hospital_context("DMC001"):
        _add_nurses(admin, dmc, 1, start=10)
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
def test_query_count_does_not_grow_with_page_size(admin, dmc):
    with hospital_context("DMC001"):
        cardiology = department_create(acting_user=admin, name="Cardiology", code="CARD")
        _add_nurses(admin, dmc, 40, department=cardiology)

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
