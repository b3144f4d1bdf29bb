from decimal import Decimal
from pathlib import Path

import pytest

from hms.orders.lab_catalogue import (
    CONVERSION_SOURCE,
    PANELS,
    TEST_OF_CODE,
    TESTS,
    LabPanel,
    LabTest,
    catalogue_lookup,
    catalogue_markdown,
    catalogue_orderable,
    catalogue_tests,
    unit_normalise,
    value_here,
)

D = Decimal


def test_every_panel_member_is_a_test_and_every_range_is_ordered():
    for panel in PANELS.values():
        assert panel.members and all(code in TESTS for code in panel.members), panel.code
    for test in TESTS.values():
        if not test.is_numeric:
            assert test.answers
            continue
        assert test.unit
        for reference in (test.reference, test.reference_female, test.reference_male):
            if reference and reference.low is not None and reference.high is not None:
                assert reference.low < reference.high, test.code
            if reference and test.critical.low is not None and reference.low is not None:
                assert test.critical.low < reference.low, test.code
            if reference and test.critical.high is not None and reference.high is not None:
                assert test.critical.high > reference.high, test.code


def test_the_common_tests_carry_their_loinc_codes_and_units():
    expected = {
        "718-7": "g/dL",
        "6690-2": "10*3/uL",
        "777-3": "10*3/uL",
        "2345-7": "mg/dL",
        "2160-0": "mg/dL",
        "2951-2": "mmol/L",
        "2823-3": "mmol/L",
        "4548-4": "%",
        "2093-3": "mg/dL",
        "1742-6": "U/L",
    }
    assert {code: TESTS[code].unit for code in expected} == expected


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("13.0", "N"),
        ("12.0", "N"),  # reference limits are inclusive
        ("15.5", "N"),
        ("11.9", "L"),
        ("15.6", "H"),
        ("7.0", "L"),  # critical limits are strict: at the limit is not yet critical
        ("6.9", "LL"),
        ("20.1", "HH"),
    ],
)
def test_haemoglobin_flags_for_a_woman(value, flag):
    assert TESTS["718-7"].flag(D(value), "female") == flag


def test_reference_ranges_follow_sex_and_take_the_narrower_when_unknown():
    hb = TESTS["718-7"]
    assert hb.flag(D("13.0"), "male") == "L"
    assert hb.flag(D("13.0"), "female") == "N"
    assert hb.flag(D("17.0"), "female") == "H"
    assert hb.flag(D("17.0"), "male") == "N"
    # Sex for clinical use unknown: the narrower interval (the higher low, the lower high), so a
    # value abnormal for either sex is flagged
    assert (hb.reference_for("").low, hb.reference_for("").high) == (D("13.5"), D("15.5"))
    assert hb.flag(D("17.0"), "") == "H"
    assert hb.flag(D("13.0"), "") == "L"
    assert "narrower" in hb.adult_limits("").note


def test_one_sided_ranges():
    cholesterol = TESTS["2093-3"]
    assert cholesterol.flag(D("150"), "male") == "N"
    assert cholesterol.flag(D("240"), "male") == "H"
    hdl = TESTS["2085-9"]
    assert hdl.flag(D("35"), "female") == "L"
    assert hdl.flag(D("90"), "female") == "N"


@pytest.mark.parametrize(
    ("code", "value", "unit", "form_code", "stored", "stored_unit"),
    [
        ("718-7", "135", "g/L", "718-7", "135", "g/L"),
        ("718-7", "13.5", " G/DL ", "718-7", "13.5", "g/dL"),
        ("2345-7", "5.5", "mmol/L", "14749-6", "5.5", "mmol/L"),
        ("2160-0", "88.4", "µmol/L", "14682-9", "88.4", "umol/L"),
        ("2160-0", "88.4", "umol/l", "14682-9", "88.4", "umol/L"),
        ("4548-4", "48", "mmol/mol", "59261-8", "48", "mmol/mol"),
        ("6690-2", "7.2", "x10^9/L", "6690-2", "7.2", "10*9/L"),
        ("6690-2", "7200", "/uL", "6690-2", "7.2", "10*3/uL"),  # a scale of 10*3/uL, converted into it
        ("2823-3", "4.1", "mEq/L", "2823-3", "4.1", "mmol/L"),
        ("2093-3", "5.2", "mmol/L", "14647-2", "5.2", "mmol/L"),
        ("1742-6", "0.5", "ukat/L", "1742-6", "30", "U/L"),
        ("3094-0", "5", "mmol/L", "3094-0", "14", "mg/dL"),  # urea mmol/L read as BUN mg/dL
    ],
)
def test_a_value_is_read_into_the_form_of_its_unit_with_that_forms_loinc_code(
    code, value, unit, form_code, stored, stored_unit
):
    form, read = TESTS[code].reading(D(value), unit)
    assert (form.code, read, form.unit) == (form_code, D(stored), stored_unit)


@pytest.mark.parametrize(
    ("code", "value", "unit", "conventional"),
    [
        ("2345-7", "22", "mmol/L", "396.352"),  # the UK glucose: about 396 mg/dL
        ("2160-0", "88.4", "umol/L", "1"),
        ("4548-4", "48", "mmol/mol", "6.54304"),
        ("2093-3", "5.2", "mmol/L", "201.084"),
        ("17861-6", "2.5", "mmol/L", "10.020"),
        ("718-7", "135", "g/L", "13.5"),
    ],
)
def test_a_value_converts_exactly_into_the_ranges_unit(code, value, unit, conventional):
    form, read = TESTS[code].reading(D(value), unit)
    assert form.conventional.to_canonical(read) == D(conventional)


def test_units_that_cannot_be_converted_are_refused():
    assert TESTS["718-7"].reading(D("8"), "mmol/L") is None
    assert TESTS["2951-2"].reading(D("140"), "mg/dL") is None
    assert TESTS["2345-7"].reading(D("90"), "kg") is None
    assert TESTS["2345-7"].reading(D("90"), "") is None
    # urea in mg/dL could be urea or urea nitrogen: not taken
    assert TESTS["22664-7"].reading(D("30"), "mg/dL") is None


def test_si_forms_carry_their_own_loinc_codes_and_long_names():
    si = {test.code: test.form_for("SI") for test in TESTS.values()}
    expected = {
        "2345-7": ("14749-6", "Glucose [Moles/volume] in Serum or Plasma", "mmol/L"),
        "2160-0": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L"),
        "2093-3": ("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma", "mmol/L"),
        "2571-8": ("14927-8", "Triglyceride [Moles/volume] in Serum or Plasma", "mmol/L"),
        "2085-9": ("14646-4", "Cholesterol in HDL [Moles/volume] in Serum or Plasma", "mmol/L"),
        "13457-7": (
            "39469-2",
            "Cholesterol in LDL [Moles/volume] in Serum or Plasma by calculation",
            "mmol/L",
        ),
        "17861-6": ("2000-8", "Calcium [Moles/volume] in Serum or Plasma", "mmol/L"),
        "4548-4": ("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol", "mmol/mol"),
        "1975-2": ("14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma", "umol/L"),
        "718-7": ("718-7", TESTS["718-7"].name, "g/L"),  # the same property per litre: the same code
        "2823-3": ("2823-3", TESTS["2823-3"].name, "mmol/L"),
    }
    assert {code: (si[code].code, si[code].name, si[code].unit) for code in expected} == expected
    assert all(test.form_for("CONVENTIONAL").code == test.code for test in TESTS.values())
    # every code names one test, and a result's code finds it
    codes = [code for test in TESTS.values() for code in {form.code for form in test.forms}]
    assert len(codes) == len(set(codes))
    assert TEST_OF_CODE["14749-6"] is TESTS["2345-7"]
    assert catalogue_lookup("14749-6") is TESTS["2345-7"]


def test_every_conversion_has_its_basis():
    for test in TESTS.values():
        if test.si is not None:
            assert test.si.basis, test.code
    assert "Young DS" in CONVERSION_SOURCE and "0.09148" in CONVERSION_SOURCE


def test_urea_is_ordered_where_the_laboratory_reports_si_units_and_bun_where_conventional():
    bmp = PANELS["24321-2"]
    si = [t.code for t in catalogue_tests("BMP", lambda code: "SI")]
    conventional = [t.code for t in catalogue_tests("BMP", lambda code: "CONVENTIONAL")]
    assert "22664-7" in si and "3094-0" not in si
    assert "3094-0" in conventional and "22664-7" not in conventional
    assert len(si) == len(conventional) == len(bmp.members) - 1
    assert "22664-7" in [t.code for t in catalogue_orderable(lambda code: "SI")]
    assert "3094-0" not in [t.code for t in catalogue_orderable(lambda code: "SI")]
    urea = TESTS["22664-7"]
    assert (urea.name, urea.unit) == ("Urea [Moles/volume] in Serum or Plasma", "mmol/L")
    # BUN 100 mg/dL x 0.357 = urea 35.7 mmol/L: the same critical limit
    assert urea.critical.high == (TESTS["3094-0"].critical.high * D("0.357")).quantize(D("0.1"))


def test_a_limit_is_shown_in_the_forms_unit():
    glucose_si = TESTS["2345-7"].form_for("SI")
    assert [glucose_si.limit(D(v)) for v in ("70", "99", "400")] == [D("3.89"), D("5.5"), D("22.2")]
    assert TESTS["2345-7"].form_for("CONVENTIONAL").limit(D("70")) == D("70")
    assert glucose_si.limit(None) is None


def test_a_stored_value_is_shown_in_the_hospitals_unit_where_it_differs():
    assert value_here(D("22"), "14749-6", lambda code: "CONVENTIONAL") == (D("396"), "mg/dL")
    assert value_here(D("396"), "2345-7", lambda code: "SI") == (D("22.0"), "mmol/L")
    assert value_here(D("22"), "14749-6", lambda code: "SI") == (D("22"), "mmol/L")
    assert value_here(D("4.1"), "2823-3", lambda code: "SI") == (D("4.1"), "mmol/L")
    assert value_here(D("1"), "0000-0", lambda code: "SI") is None


def test_unit_normalise():
    assert unit_normalise(" x10^3/µL ") == "10*3/ul"
    assert unit_normalise("10*9/L") == "10*9/l"


def test_lookup_by_loinc_code_or_panel_abbreviation():
    assert isinstance(catalogue_lookup("718-7"), LabTest)
    assert isinstance(catalogue_lookup("58410-2"), LabPanel)
    assert catalogue_lookup("cbc") is catalogue_lookup("CBC") is PANELS["58410-2"]
    assert [t.code for t in catalogue_tests("BMP")] == list(PANELS["24321-2"].members)  # no units: all
    assert catalogue_tests("718-7") == [TESTS["718-7"]]
    for junk in ("", "nope", "<script>", "718-7; drop", "9" * 40):
        assert catalogue_lookup(junk) is None
        assert catalogue_tests(junk) == []


def test_text_tests_take_their_answers_and_flag_abnormal_ones():
    hbsag = TESTS["5196-1"]
    assert hbsag.answer_match(" negative ") == "Negative"
    assert hbsag.answer_match("maybe") is None
    assert hbsag.text_flag("Negative") == "N"
    assert hbsag.text_flag("Positive") == "A"
    assert TESTS["882-1"].text_flag("O Rh+") == ""


def test_the_documentation_states_the_catalogue_as_the_data_has_it():
    doc = (Path(__file__).resolve().parents[3] / "docs" / "clinical" / "orders.md").read_text(
        encoding="utf-8"
    )
    assert catalogue_markdown() in doc
