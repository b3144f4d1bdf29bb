"""Reference ranges by age and sex: the cases a paediatrician and a physician would check first."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hms.clinical.ages import age_on
from hms.clinical.ranges import (
    ROWS,
    SOURCES,
    band_flag,
    clinical_sex,
    interval_text,
    ranges_markdown,
    reference_band,
)

TODAY = datetime.date(2026, 12, 5)


def born(years: int = 0, months: int = 0, days: int = 0) -> datetime.date:
    month_index = TODAY.year * 12 + TODAY.month - 1 - years * 12 - months
    return datetime.date(month_index // 12, month_index % 12 + 1, TODAY.day) - datetime.timedelta(days=days)


def flag(code: str, value: str, birth: datetime.date, sex: str = "female") -> str:
    band = reference_band(code, age_on(birth, TODAY), sex)
    assert band is not None
    return band_flag(Decimal(value), band)


def test_ages_count_completed_days_months_and_years():
    assert age_on(datetime.date(2025, 6, 5), TODAY).months == 18
    assert age_on(datetime.date(2025, 6, 6), TODAY).months == 17
    assert age_on(datetime.date(2024, 2, 29), datetime.date(2025, 2, 28)).years == 1
    assert str(age_on(TODAY - datetime.timedelta(days=12), TODAY)) == "12 days"
    with pytest.raises(ValueError):
        age_on(TODAY + datetime.timedelta(days=1), TODAY)


def test_an_18_month_olds_heart_rate_of_130_is_normal_and_190_critical():
    toddler = born(months=18)
    assert flag("8867-4", "130", toddler) == "N"
    assert flag("8867-4", "190", toddler) == "HH"


def test_an_adults_heart_rate_of_130_is_high_and_131_critical():
    adult = born(years=40)
    assert flag("8867-4", "130", adult) == "H"
    assert flag("8867-4", "131", adult) == "HH"
    assert flag("8867-4", "40", adult) == "LL"


def test_an_8_year_olds_120_over_80_is_flagged_high():
    child = born(years=8, months=3)
    assert flag("8480-6", "120", child) == "H"
    assert flag("8462-4", "80", child) == "H"
    assert flag("8480-6", "100", child) == "N"
    assert flag("8480-6", "120", born(years=30)) == "N"


def test_a_child_in_shock_is_critical_at_a_pressure_normal_for_an_adult():
    assert flag("8480-6", "80", born(years=6)) == "LL"  # below 70 + 2 x 6
    assert flag("8480-6", "80", born(years=0, months=6)) == "N"


def test_spo2_of_45_percent_is_critical_not_refused():
    assert flag("59408-5", "45", born(years=60)) == "LL"
    assert flag("59408-5", "91", born(years=5)) == "LL"
    assert flag("59408-5", "94", born(years=5)) == "L"


def test_fever_in_an_infant_under_3_months_is_critical():
    assert flag("8310-5", "38.0", born(days=40)) == "HH"
    assert flag("8310-5", "38.0", born(years=4)) == "H"
    assert flag("8310-5", "35.0", born(years=70)) == "LL"


def test_creatinine_of_0_9_is_high_at_two_and_normal_for_an_adult_woman():
    assert flag("2160-0", "0.9", born(years=2, months=1)) == "H"
    assert (
        reference_band("2160-0", age_on(born(years=45), TODAY), "female") is None
    )  # the catalogue's adult range


def test_alkaline_phosphatase_of_300_is_normal_at_ten():
    assert flag("6768-6", "300", born(years=10), "male") == "N"


def test_a_newborns_haemoglobin_has_no_adult_range():
    assert reference_band("718-7", age_on(born(days=10), TODAY), "male") is None
    assert flag("718-7", "10.0", born(years=1)) == "L"


def test_unknown_sex_applies_the_narrower_range_and_says_so():
    twelve = age_on(born(years=12, months=2), TODAY)
    band = reference_band("8480-6", twelve, "unknown")
    assert band is not None and band.high == Decimal("112")  # boys' 113 at or above, girls' 114
    assert "narrower" in band.sex_note
    assert band_flag(Decimal("113"), band) == "H"
    assert band_flag(Decimal("113"), reference_band("8480-6", twelve, "female")) == "N"


def test_every_row_cites_a_source_and_bands_do_not_overlap():
    assert all(row.source in SOURCES for row in ROWS)
    for code in {row.code for row in ROWS}:
        for sex in ("female", "male", "unknown"):
            for days in range(0, 366 * 19, 7):
                age = age_on(TODAY - datetime.timedelta(days=days), TODAY)
                band = reference_band(code, age, sex)
                if band is not None:
                    limits = [band.critical_low, band.low, band.high, band.critical_high]
                    present = [value for value in limits if value is not None]
                    assert present == sorted(present), (code, sex, days, limits)


def test_the_documentation_states_every_range_with_its_source():
    doc_path = Path(__file__).resolve().parents[3] / "docs" / "clinical" / "ranges.md"
    doc = doc_path.read_text(encoding="utf-8")
    assert ranges_markdown() in doc


def test_the_sex_for_clinical_use_wins_over_the_recorded_sex():
    assert clinical_sex("other", "female") == "female"
    assert clinical_sex("male") == "male"
    assert clinical_sex("unknown", "") == ""
    assert clinical_sex("female", "unknown") == "female"


def test_an_interval_reads_with_either_end_missing():
    assert interval_text(Decimal("3.5"), Decimal("5.1")) == "3.5\u20135.1"
    assert interval_text(Decimal(60), None) == "\u2265 60"
    assert interval_text(None, Decimal("5.7")) == "\u2264 5.7"
    assert interval_text(None, None) == ""
