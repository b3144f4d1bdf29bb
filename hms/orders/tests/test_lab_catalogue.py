from decimal import Decimal

import pytest

from hms.orders.lab_catalogue import (
    PANELS,
    TESTS,
    LabPanel,
    LabTest,
    catalogue_lookup,
    catalogue_tests,
    unit_normalise,
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


def test_reference_ranges_follow_sex_and_span_both_when_unknown():
    hb = TESTS["718-7"]
    assert hb.flag(D("13.0"), "male") == "L"
    assert hb.flag(D("13.0"), "female") == "N"
    assert hb.flag(D("17.0"), "female") == "H"
    assert hb.flag(D("17.0"), "male") == "N"
    # Other/unknown: no sex-specific flag, the range covering both
    assert (hb.reference_for("unknown").low, hb.reference_for("other").high) == (D("12.0"), D("17.5"))
    assert hb.flag(D("17.0"), "unknown") == "N"


def test_one_sided_ranges():
    cholesterol = TESTS["2093-3"]
    assert cholesterol.flag(D("150"), "male") == "N"
    assert cholesterol.flag(D("240"), "male") == "H"
    hdl = TESTS["2085-9"]
    assert hdl.flag(D("35"), "female") == "L"
    assert hdl.flag(D("90"), "female") == "N"


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected"),
    [
        ("718-7", "135", "g/L", "13.5"),
        ("2345-7", "5.5", "mmol/L", "99"),
        ("2160-0", "88.4", "µmol/L", "1.00"),
        ("2160-0", "88.4", "umol/l", "1.00"),
        ("4548-4", "48", "mmol/mol", "6.5"),
        ("6690-2", "7.2", "x10^9/L", "7.2"),
        ("6690-2", "7200", "/uL", "7.2"),
        ("2823-3", "4.1", "mEq/L", "4.1"),
        ("2093-3", "5.2", "mmol/L", "201"),
        ("1742-6", "0.5", "ukat/L", "30"),
    ],
)
def test_values_in_other_units_are_converted_and_rounded_to_the_reported_precision(
    code, value, unit, expected
):
    assert TESTS[code].to_canonical(D(value), unit) == D(expected)


def test_the_tests_own_unit_or_none_keeps_the_value_as_entered():
    hb = TESTS["718-7"]
    assert hb.to_canonical(D("13.25"), "g/dL") == D("13.25")
    assert hb.to_canonical(D("13.25"), " G/DL ") == D("13.25")
    assert hb.to_canonical(D("13.25"), "") == D("13.25")


def test_units_that_cannot_be_converted_are_refused():
    assert TESTS["718-7"].to_canonical(D("8"), "mmol/L") is None
    assert TESTS["2951-2"].to_canonical(D("140"), "mg/dL") is None
    assert TESTS["2345-7"].to_canonical(D("90"), "kg") is None


def test_unit_normalise():
    assert unit_normalise(" x10^3/µL ") == "10*3/ul"
    assert unit_normalise("10*9/L") == "10*9/l"


def test_lookup_by_loinc_code_or_panel_abbreviation():
    assert isinstance(catalogue_lookup("718-7"), LabTest)
    assert isinstance(catalogue_lookup("58410-2"), LabPanel)
    assert catalogue_lookup("cbc") is catalogue_lookup("CBC") is PANELS["58410-2"]
    assert [t.code for t in catalogue_tests("BMP")] == list(PANELS["24321-2"].members)
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
