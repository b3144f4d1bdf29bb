"""Patient search by name: several words, commas, accents, and the fuzzy fallback (PostgreSQL only)."""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError
from hms.patients.models import Patient
from hms.patients.selectors import FUZZY_LIMIT, NAME_MAX_WORDS, PAGE_SIZE, QUERY_MAX_LENGTH, patient_search
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context


def _home():
    return reverse("hospital-home", kwargs={"hospital_code": "TH001"})


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001")


@pytest.fixture
def doctor(th001, make_user):
    return make_user("doc", role=Role.DOCTOR, hospital=th001)


@pytest.fixture
def people(th001):
    """Patients of TH001 with one-word, several-word and accented names."""
    rows = {
        "amina": ("P-AMINA", "Amina", "Okafor"),
        "aminat": ("P-AMINAT", "Aminat", "Bello"),
        "chidi": ("P-CHIDI", "Chidi", "Okafor"),
        "mary": ("P-MARY", "Mary Ann", "Smith"),
        "jan": ("P-JAN", "Jan", "van der Berg"),
        "zoe": ("P-ZOE", "Zoë", "Ångström"),
        "jose": ("P-JOSE", "José", "Müller"),
    }
    with hospital_context("TH001"):
        return {
            key: PatientFactory(
                mrn=mrn, given_name=given, family_name=family, birth_date=datetime.date(1980, 1, 1)
            )
            for key, (mrn, given, family) in rows.items()
        }


def _search(user, query, **kwargs):
    """The kind the audit row recorded, and the MRNs found, in page order."""
    with hospital_context("TH001"):
        page = patient_search(user=user, query=query, **kwargs)
        kind = AuditEvent.objects.order_by("-id").values_list("detail", flat=True)[0]["kind"]
    return kind, [p.mrn for p in page.object_list]


def _name_matches(user, query):
    """What the name rule finds; a fuzzy result (PostgreSQL, when the rule finds nobody) counts as none."""
    kind, mrns = _search(user, query)
    assert kind in {"name", "name_fuzzy"}
    return sorted(mrns) if kind == "name" else []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amina oka", ["P-AMINA"]),  # the start of the given, then of the family name
        ("Amina Okafor", ["P-AMINA"]),
        ("oka amina", ["P-AMINA"]),  # either order
        ("okafor, amina", ["P-AMINA"]),  # "family, given": the comma is ignored
        ("OKAFOR,AMINA", ["P-AMINA"]),
        ("okafor ,  amina ", ["P-AMINA"]),
        ("okafor,", ["P-AMINA", "P-CHIDI"]),
        ("ami", ["P-AMINA", "P-AMINAT"]),
        ("amina", ["P-AMINA", "P-AMINAT"]),  # "Aminat" starts with "amina" too
        ("aminat b", ["P-AMINAT"]),
        ("ok", ["P-AMINA", "P-CHIDI"]),
        ("ok ch", ["P-CHIDI"]),
        ("mary ann", ["P-MARY"]),  # a given name of two words
        ("mary ann smi", ["P-MARY"]),
        ("smith mary ann", ["P-MARY"]),
        ("mary smith", ["P-MARY"]),  # "mary" is the start of the given name "Mary Ann"
        ("ann smith", []),  # "ann" is a word inside the given name, not its start
        ("van der", ["P-JAN"]),  # a family name of three words
        ("jan van der berg", ["P-JAN"]),
        ("van der berg, jan", ["P-JAN"]),
        ("berg jan", []),  # words inside a name are not starts of it
        ("amina chidi", []),  # the starts of two different patients' names
        ("amina okafor okafor", []),  # every word must be used
    ],
)
def test_every_word_is_the_start_of_the_given_or_the_family_name(people, doctor, query, expected):
    assert _name_matches(doctor, query) == sorted(expected)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zoe angstrom", ["P-ZOE"]),
        ("ÅNGSTRÖM, ZOË", ["P-ZOE"]),
        ("angs zo", ["P-ZOE"]),
        ("jose muller", ["P-JOSE"]),
        ("josé müller", ["P-JOSE"]),
        ("mü", ["P-JOSE"]),
        ("JOSE", ["P-JOSE"]),
    ],
)
def test_accents_and_case_are_ignored_in_every_word(people, doctor, query, expected):
    assert _name_matches(doctor, query) == expected


@pytest.mark.django_db
def test_a_name_search_is_audited_with_kind_name_and_the_ids_in_name_order(people, doctor):
    with hospital_context("TH001"):
        page = patient_search(user=doctor, query="okafor,", client_address="192.0.2.7")
        event = AuditEvent.objects.get()
    assert [p.pk for p in page.object_list] == [people["amina"].pk, people["chidi"].pk]
    assert (event.action, event.client_address) == ("patient.search", "192.0.2.7")
    assert event.detail == {
        "query": "okafor,",
        "kind": "name",
        "page": 1,
        "patient_ids": [people["amina"].pk, people["chidi"].pk],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("query", [",", " , ,, "])
def test_a_query_of_commas_only_finds_nobody_and_is_not_fuzzy(people, doctor, query):
    assert _search(doctor, query) == ("name", [])


@pytest.mark.django_db
def test_too_many_words_are_refused_with_nothing_audited(people, doctor):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError, match=f"at most {NAME_MAX_WORDS} words"):
            patient_search(user=doctor, query=" ".join(["zq"] * (NAME_MAX_WORDS + 1)))
        assert not AuditEvent.objects.exists()
    assert _name_matches(doctor, " ".join(["zq"] * NAME_MAX_WORDS)) == []


@pytest.mark.django_db
def test_too_long_a_query_is_refused_with_nothing_audited(people, doctor):
    with hospital_context("TH001"):
        with pytest.raises(ApplicationError, match=f"at most {QUERY_MAX_LENGTH} characters"):
            patient_search(user=doctor, query="a" * (QUERY_MAX_LENGTH + 1))
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_mrn_or_identifier_still_wins_over_a_name(th001, doctor):
    with hospital_context("TH001"):
        by_name = PatientFactory(mrn="P-1", given_name="Okafor", family_name="Amina")
        by_mrn = PatientFactory(mrn="OKAFOR AMINA", given_name="Chidi", family_name="Eze")
        assert [p.pk for p in patient_search(user=doctor, query="OKAFOR AMINA").object_list] == [by_mrn.pk]
        # MRNs match exactly, so this one is read as names.
        assert [p.pk for p in patient_search(user=doctor, query="okafor amina").object_list] == [by_name.pk]


# SQLite: no fuzzy fallback


@pytest.mark.django_db
@pytest.mark.sqlite_only
@pytest.mark.parametrize("query", ["okafr", "amena okafor", "kafor"])
def test_sqlite_has_no_fuzzy_fallback(people, doctor, query):
    assert _search(doctor, query) == ("name", [])


@pytest.mark.django_db
@pytest.mark.sqlite_only
def test_the_home_page_says_no_match_on_sqlite(client, people, doctor):
    client.force_login(doctor)
    body = client.get(_home(), {"q": "okafr"}).content.decode()
    assert "No patient matches &ldquo;okafr&rdquo;." in body


# PostgreSQL: names that look alike (pg_trgm)


def _similarity(query, patient_ids):
    """word_similarity(query, "given family") of each patient, computed by the database."""
    with hospital_context("TH001") as tenant, connections[tenant.alias].cursor() as cursor:
        cursor.execute(
            "SELECT id, word_similarity(%s, given_name_norm || ' ' || family_name_norm) "
            "FROM patients_patient WHERE id = ANY(%s)",
            [query, list(patient_ids)],
        )
        found = dict(cursor.fetchall())
    return [found[pk] for pk in patient_ids]


@pytest.mark.django_db
@pytest.mark.postgresql_only
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("okafr", ["P-AMINA", "P-CHIDI"]),  # a letter missing
        ("amena okafor", ["P-AMINA"]),  # a letter wrong
        ("okafor amena", ["P-AMINA"]),
        ("kafor", ["P-AMINA", "P-CHIDI"]),  # the start missing
        ("angstrum", ["P-ZOE"]),
        ("ann smith", ["P-MARY"]),  # no name starts so, but "Mary Ann Smith" looks alike
        ("qqqq", []),
    ],
)
def test_postgresql_falls_back_to_names_that_look_alike(people, doctor, query, expected):
    kind, mrns = _search(doctor, query)
    assert kind == "name_fuzzy"
    assert sorted(mrns) == expected


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_fuzzy_results_come_best_first_and_are_audited_as_name_fuzzy(th001, doctor):
    with hospital_context("TH001"):
        for mrn, given, family in [
            ("F-1", "Amina", "Okafo"),
            ("F-2", "Amina", "Okafor"),
            ("F-3", "Ramina", "Okafor"),
            ("F-4", "Amira", "Okafor"),
            ("F-5", "Boris", "Ivanov"),
        ]:
            PatientFactory(mrn=mrn, given_name=given, family_name=family)
        page = patient_search(user=doctor, query="amena okafor", client_address="192.0.2.8")
        event = AuditEvent.objects.get()
    ids = [p.pk for p in page.object_list]
    similarities = _similarity("amena okafor", ids)
    assert [p.mrn for p in page.object_list][0] == "F-2"
    assert "F-5" not in [p.mrn for p in page.object_list]
    assert similarities == sorted(similarities, reverse=True)
    assert min(similarities) >= 0.6
    assert event.detail == {"query": "amena okafor", "kind": "name_fuzzy", "page": 1, "patient_ids": ids}
    assert event.client_address == "192.0.2.8"


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_fuzzy_results_are_paginated_and_capped(th001, doctor):
    with hospital_context("TH001"):
        Patient.objects.bulk_create(PatientFactory.build_batch(FUZZY_LIMIT + 10, family_name="Okafor"))
        first = patient_search(user=doctor, query="okafr")
        last = patient_search(user=doctor, query="okafr", page_number=99)
        details = [e.detail for e in AuditEvent.objects.order_by("id")]
    assert first.paginator.count == FUZZY_LIMIT
    assert len(first.object_list) == PAGE_SIZE
    assert last.number == FUZZY_LIMIT // PAGE_SIZE
    assert not {p.pk for p in first.object_list} & {p.pk for p in last.object_list}
    # Equally alike: in name order.
    shown = [(p.family_name, p.given_name, p.pk) for p in first.object_list]
    assert shown == sorted(shown)
    assert [(d["kind"], d["page"], len(d["patient_ids"])) for d in details] == [
        ("name_fuzzy", 1, PAGE_SIZE),
        ("name_fuzzy", FUZZY_LIMIT // PAGE_SIZE, PAGE_SIZE),
    ]


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_query_count_of_a_fuzzy_page_does_not_grow_with_the_number_of_matches(th001, doctor):
    def queries_for(page_number=1):
        with (
            hospital_context("TH001") as tenant,
            CaptureQueriesContext(connections[tenant.alias]) as captured,
        ):
            page = patient_search(user=doctor, query="okafr", page_number=page_number)
            rendered = [(p.mrn, p.given_name, p.family_name, p.birth_date, p.sex) for p in page]
            kind = AuditEvent.objects.order_by("-id").values_list("detail", flat=True)[0]["kind"]
        assert kind == "name_fuzzy"
        assert len(rendered) == PAGE_SIZE
        return len(captured.captured_queries) - 1  # the audit look-up above

    with hospital_context("TH001"):
        Patient.objects.bulk_create(PatientFactory.build_batch(30, family_name="Okafor"))
    queries_for()  # the very first audit event also creates the chain head: not measured
    small = queries_for()
    with hospital_context("TH001"):
        Patient.objects.bulk_create(PatientFactory.build_batch(270, family_name="Okafor"))
    large = queries_for()
    last = queries_for(page_number=4)
    assert small == large == last
    assert small <= 12


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_fuzzy_search_never_finds_another_hospitals_patients(make_hospital, make_user):
    th001 = make_hospital("TH001")
    make_hospital("DMC001")
    doctor = make_user("th-doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("DMC001"):
        PatientFactory(mrn="DMC-1", given_name="Amina", family_name="Okafor")
    with hospital_context("TH001"):
        ours = PatientFactory(mrn="TH-1", given_name="Amina", family_name="Okafur")
        found = patient_search(user=doctor, query="amina okafr").object_list
    assert [p.pk for p in found] == [ours.pk]
    with hospital_context("DMC001"):
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_the_home_page_shows_fuzzy_matches_on_postgresql(client, people, doctor):
    client.force_login(doctor)
    body = client.get(_home(), {"q": "okafr"}).content.decode()
    assert "No patient matches" not in body
    assert "P-AMINA" in body and "P-CHIDI" in body
