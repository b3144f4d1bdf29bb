import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.patients.models import Patient
from hms.patients.selectors import PAGE_SIZE, patient_list_visible_to, patient_page
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

STAFF = [Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST]


def _add_patients(count):
    """Insert `count` factory-built patients in the current hospital in one statement."""
    return Patient.objects.bulk_create(PatientFactory.build_batch(count))


def _name_order(patients):
    return sorted(patients, key=lambda p: (p.family_name, p.given_name, p.pk))


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001")


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF)
def test_staff_see_a_page_of_25_in_name_order_and_the_read_is_audited(th001, make_user, role):
    user = make_user("staff", role=role, hospital=th001)
    with hospital_context("TH001"):
        _add_patients(40)
        expected = [p.pk for p in _name_order(Patient.objects.all())]

        first = patient_page(user=user, client_address="192.0.2.1")
        second = patient_page(user=user, page_number=2)

        events = list(AuditEvent.objects.order_by("id"))

    assert patient_list_visible_to(user=user)
    assert first.paginator.count == 40
    assert len(first.object_list) == PAGE_SIZE == 25
    assert [p.pk for p in first.object_list] == expected[:25]
    assert [p.pk for p in second.object_list] == expected[25:]
    assert [e.action for e in events] == ["patient.list", "patient.list"]
    assert events[0].detail == {"page": 1, "patient_ids": expected[:25]}
    assert events[1].detail == {"page": 2, "patient_ids": expected[25:]}
    assert events[0].actor_id == user.pk
    assert events[0].actor_role == role
    assert events[0].client_address == "192.0.2.1"
    assert events[0].patient_id is None


@pytest.mark.django_db
def test_name_order_uses_family_then_given_name(th001, make_user):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001"):
        for mrn, given, family in [("1", "Zoe", "Adams"), ("2", "Anna", "Zed"), ("3", "Al", "Adams")]:
            PatientFactory(mrn=mrn, given_name=given, family_name=family)
        page = patient_page(user=user)
    assert [p.mrn for p in page.object_list] == ["3", "1", "2"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page_number", "expected_number"), [("abc", 1), (None, 1), ("", 1), ("9999", 2), (-1, 2), ("2", 2)]
)
def test_bad_page_numbers_fall_back_to_a_real_page(th001, make_user, page_number, expected_number):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001"):
        _add_patients(30)
        page = patient_page(user=user, page_number=page_number)
        audited = AuditEvent.objects.get().detail
    assert page.number == expected_number
    assert len(page.object_list) == (25 if expected_number == 1 else 5)
    assert audited == {"page": expected_number, "patient_ids": [p.pk for p in page.object_list]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PATIENT, Role.SUPERADMIN])
def test_patients_and_superadmins_get_an_empty_page_and_no_audit_row(th001, make_user, role):
    user = make_user("other", role=role, hospital=th001 if role == Role.PATIENT else None)
    with hospital_context("TH001"):
        _add_patients(5)
        page = patient_page(user=user)
        assert list(page.object_list) == []
        assert page.paginator.count == 0
        assert not AuditEvent.objects.exists()
    assert not patient_list_visible_to(user=user)


@pytest.mark.django_db
def test_empty_hospital_gives_an_empty_page_and_audits_the_read(th001, make_user):
    user = make_user("nurse", role=Role.NURSE, hospital=th001)
    with hospital_context("TH001"):
        page = patient_page(user=user)
        event = AuditEvent.objects.get()
    assert list(page.object_list) == []
    assert event.detail == {"page": 1, "patient_ids": []}


@pytest.mark.django_db
def test_query_count_of_a_page_does_not_grow_with_the_number_of_patients(th001, make_user):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)

    def queries_for_a_page(page_number):
        with (
            hospital_context("TH001") as tenant,
            CaptureQueriesContext(connections[tenant.alias]) as captured,
        ):
            page = patient_page(user=user, page_number=page_number)
            # Touch what the page template shows: nothing may load lazily.
            rendered = [(p.mrn, p.given_name, p.family_name, p.birth_date, p.sex) for p in page]
        assert len(rendered) == PAGE_SIZE
        return len(captured.captured_queries)

    with hospital_context("TH001"):
        _add_patients(30)
    queries_for_a_page(1)  # the very first audit event also creates the chain head: not measured
    small = queries_for_a_page(1)
    with hospital_context("TH001"):
        _add_patients(270)
    large = queries_for_a_page(1)
    last = queries_for_a_page(12)

    assert small == large == last
    assert small <= 12
