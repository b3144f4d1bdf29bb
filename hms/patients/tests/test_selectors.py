import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.selectors import PAGE_SIZE, patient_list_visible_to, patient_page, patient_search
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


# Search


def _patient(mrn, given, family, birth_date=datetime.date(1980, 1, 1)):
    return PatientFactory(mrn=mrn, given_name=given, family_name=family, birth_date=birth_date)


@pytest.fixture
def searchable(th001):
    """A few patients of TH001, one with an insurance number."""
    with hospital_context("TH001"):
        people = {
            "amina": _patient("000000018", "Amina", "Rahman", datetime.date(1990, 5, 17)),
            "zoe": _patient("000000026", "Zoë", "Ångström", datetime.date(1990, 5, 17)),
            "raha": _patient("TH-3", "Raha", "Khan"),
            "boris": _patient("TH-4", "Boris", "Ivanov"),
        }
        PatientIdentifier.objects.create(patient=people["boris"], system="INSURANCE", value="INS-77")
        PatientIdentifier.objects.create(patient=people["raha"], system="PASSPORT", value="000000018")
    return people


def _search(user, query, **kwargs):
    with hospital_context("TH001"):
        page = patient_search(user=user, query=query, **kwargs)
    return [p.mrn for p in page.object_list]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("TH-4", ["TH-4"]),  # MRN
        (" TH-4 ", ["TH-4"]),
        ("th-4", []),  # MRNs match exactly; as a name prefix it matches nobody
        ("INS-77", ["TH-4"]),  # identifier value
        ("000000018", ["000000018", "TH-3"]),  # an MRN and, in another patient, a passport number
        ("1990-05-17", ["000000026", "000000018"]),  # birth date, name order
        ("1980-01-01", ["TH-4", "TH-3"]),
        ("rah", ["TH-3", "000000018"]),  # family "Rahman" or given "Raha"
        ("RAHMAN", ["000000018"]),
        ("ångs", ["000000026"]),
        ("angstrom", ["000000026"]),  # accents ignored
        ("ZOE", ["000000026"]),
        ("ahm", []),  # a prefix, not a substring (and too unlike any name for fuzzy search)
        ("1990-13-45", []),  # not a date: read as a name
        ("Khan Raha", ["TH-3"]),  # family and given name, in either order
        ("Khan Amina", []),  # the start of two different patients' names
    ],
)
def test_search_by_mrn_identifier_birth_date_or_name_prefix(searchable, th001, make_user, query, expected):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    # Name order is tested above; the order of accented names depends on the database's collation.
    assert sorted(_search(user, query)) == sorted(expected)


@pytest.mark.django_db
def test_search_is_audited_with_the_ids_returned(searchable, th001, make_user):
    user = make_user("nurse", role=Role.NURSE, hospital=th001)
    with hospital_context("TH001"):
        patient_search(user=user, query="rah", client_address="192.0.2.9")
        event = AuditEvent.objects.get()
    assert (event.action, event.resource, event.actor_id, event.client_address) == (
        "patient.search",
        "Patient",
        user.pk,
        "192.0.2.9",
    )
    assert event.detail == {
        "query": "rah",
        "kind": "name",
        "page": 1,
        "patient_ids": [searchable["raha"].pk, searchable["amina"].pk],
    }


@pytest.mark.django_db
def test_search_kinds_are_recorded(searchable, th001, make_user):
    user = make_user("nurse", role=Role.NURSE, hospital=th001)
    with hospital_context("TH001"):
        for query in ["TH-4", "INS-77", "1990-05-17", "iv"]:
            patient_search(user=user, query=query)
        kinds = [event.detail["kind"] for event in AuditEvent.objects.order_by("id")]
    assert kinds == ["mrn_or_identifier", "mrn_or_identifier", "birth_date", "name"]


@pytest.mark.django_db
def test_search_results_are_paginated_by_25(th001, make_user):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001"):
        Patient.objects.bulk_create(PatientFactory.build_batch(30, family_name="Smith"))
        Patient.objects.bulk_create(PatientFactory.build_batch(10, given_name="Ann", family_name="Jones"))
        expected = [p.pk for p in _name_order(Patient.objects.filter(family_name="Smith"))]
        first = patient_search(user=user, query="smi")
        second = patient_search(user=user, query="smi", page_number="2")
        details = [e.detail for e in AuditEvent.objects.order_by("id")]
    assert first.paginator.count == 30
    assert [p.pk for p in first.object_list] == expected[:25]
    assert [p.pk for p in second.object_list] == expected[25:]
    assert [(d["page"], d["patient_ids"]) for d in details] == [(1, expected[:25]), (2, expected[25:])]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PATIENT, Role.SUPERADMIN])
def test_only_staff_may_search(searchable, th001, make_user, role):
    user = make_user("other", role=role, hospital=th001 if role == Role.PATIENT else None)
    with hospital_context("TH001"):
        page = patient_search(user=user, query="TH-4")
        assert list(page.object_list) == []
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_is_refused(th001, make_user, query):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001"), pytest.raises(ApplicationError, match="Enter"):
        patient_search(user=user, query=query)


@pytest.mark.django_db
def test_query_count_of_a_search_page_does_not_grow_with_the_number_of_matches(th001, make_user):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001)

    def queries_for(query, page_number=1):
        with (
            hospital_context("TH001") as tenant,
            CaptureQueriesContext(connections[tenant.alias]) as captured,
        ):
            page = patient_search(user=user, query=query, page_number=page_number)
            rendered = [(p.mrn, p.given_name, p.family_name, p.birth_date, p.sex) for p in page]
        assert len(rendered) == PAGE_SIZE
        return len(captured.captured_queries)

    with hospital_context("TH001"):
        Patient.objects.bulk_create(
            PatientFactory.build_batch(30, family_name="Smith", birth_date=datetime.date(1970, 1, 1))
        )
    queries_for("smith")  # the very first audit event also creates the chain head: not measured
    small = {kind: queries_for(query) for kind, query in [("name", "smith"), ("date", "1970-01-01")]}
    with hospital_context("TH001"):
        Patient.objects.bulk_create(
            PatientFactory.build_batch(270, family_name="Smith", birth_date=datetime.date(1970, 1, 1))
        )
    large = {kind: queries_for(query) for kind, query in [("name", "smith"), ("date", "1970-01-01")]}
    last = queries_for("smith", page_number=12)

    assert small == large
    assert last == large["name"]
    assert large["name"] <= 12


@pytest.mark.django_db
def test_search_never_finds_another_hospitals_patients(make_hospital, make_user):
    th001, dmc001 = make_hospital("TH001"), make_hospital("DMC001")
    th_doctor = make_user("th-doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("DMC001"):
        theirs = _patient("DMC-1", "Amina", "Rahman", datetime.date(1990, 5, 17))
        PatientIdentifier.objects.create(patient=theirs, system="NATIONAL_ID", value="N-1")
    with hospital_context("TH001"):
        ours = _patient("TH-1", "Amir", "Rahimi", datetime.date(1990, 5, 17))
        results = {
            query: [p.pk for p in patient_search(user=th_doctor, query=query).object_list]
            for query in ["DMC-1", "N-1", "amina", "rahman", "1990-05-17", "rah"]
        }
    assert results == {
        "DMC-1": [],
        "N-1": [],
        "amina": [],
        "rahman": [],
        "1990-05-17": [ours.pk],
        "rah": [ours.pk],
    }
    with hospital_context("DMC001"):
        assert not AuditEvent.objects.exists()
    assert dmc001.code == "DMC001"
