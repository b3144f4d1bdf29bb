"""NEWS2, eGFR and children's BMI centiles against worked examples."""

import datetime
from decimal import Decimal

import pytest

from hms.clinical.growth import bmi_centile
from hms.clinical.news2 import News2Input, News2NotApplicable, news2_score
from hms.clinical.renal import egfr


def observations(**changes):
    values = dict(
        respiratory_rate=Decimal(16),
        spo2=Decimal(97),
        on_oxygen=False,
        systolic=Decimal(125),
        pulse=Decimal(72),
        consciousness="A",
        temperature=Decimal("36.8"),
    )
    values.update(changes)
    return News2Input(**values)


def test_news2_of_a_septic_adult_is_7_high_risk():
    # RR 24 (2), SpO2 95 on air (1), air (0), SBP 105 (1), pulse 115 (2), alert (0), 38.5 C (1)
    score = news2_score(
        observations(
            respiratory_rate=Decimal(24),
            spo2=Decimal(95),
            systolic=Decimal(105),
            pulse=Decimal(115),
            temperature=Decimal("38.5"),
        ),
        age_years=67,
    )
    assert score.total == 7
    assert score.risk == "high"
    assert "critical-care" in score.response


def test_news2_of_a_well_adult_is_0():
    score = news2_score(observations(), age_years=30)
    assert (score.total, score.risk) == (0, "low")


def test_a_single_parameter_scoring_3_asks_for_a_medical_review():
    score = news2_score(observations(consciousness="C"), age_years=80)
    assert score.total == 3
    assert score.risk == "low-medium"
    assert "medical team" in score.response


def test_oxygen_adds_2_and_scale_2_spares_a_copd_patient_at_target():
    assert news2_score(observations(on_oxygen=True), age_years=50).total == 2
    copd = observations(spo2=Decimal(89), on_oxygen=True, spo2_scale_2=True)
    assert news2_score(copd, age_years=70).points["spo2"] == 0
    assert news2_score(observations(spo2=Decimal(89)), age_years=70).points["spo2"] == 3


def test_news2_is_not_given_for_a_child():
    with pytest.raises(News2NotApplicable):
        news2_score(observations(), age_years=12)


def test_egfr_ckd_epi_2021_for_adults():
    # A 50-year-old woman, creatinine 0.9 mg/dL, by hand: 142 x (0.9/0.7)^-1.200 x 0.9938^50 x 1.012
    # = 142 x 0.7396 x 0.7328 x 1.012 = 77.9
    result = egfr(creatinine_mg_dl=Decimal("0.9"), age_years=50, sex="female")
    assert result.value == 78 and result.equation == "CKD-EPI 2021"
    assert egfr(creatinine_mg_dl=Decimal("1.2"), age_years=60, sex="male").value == 69
    assert egfr(creatinine_mg_dl=Decimal("1.0"), age_years=40, sex="unknown").value is None


def test_egfr_bedside_schwartz_for_children():
    result = egfr(creatinine_mg_dl=Decimal("0.5"), age_years=8, sex="male", height_cm=Decimal(128))
    assert result.value == 106 and result.equation == "bedside Schwartz"
    assert egfr(creatinine_mg_dl=Decimal("0.5"), age_years=8, sex="male").value is None
    assert egfr(creatinine_mg_dl=Decimal("0.3"), age_years=0, sex="male", height_cm=Decimal(60)).value is None


def test_a_childs_bmi_of_15_is_a_normal_centile_not_adult_underweight():
    result = bmi_centile(
        bmi=Decimal(15),
        sex="male",
        birth_date=datetime.date(2018, 1, 1),
        on=datetime.date(2026, 1, 1),
        reference="who",
        age_years=8,
    )
    assert result.flag == "N" and 20 < result.centile < 40


def test_bmi_is_not_read_under_two_years():
    result = bmi_centile(
        bmi=Decimal(17),
        sex="female",
        birth_date=datetime.date(2025, 6, 1),
        on=datetime.date(2026, 12, 1),
        reference="uk-who",
        age_years=1,
    )
    assert result.centile is None and "under 2 years" in result.reason


def test_an_obese_child_is_flagged_on_every_reference():
    for reference in ("who", "uk-who", "cdc"):
        result = bmi_centile(
            bmi=Decimal(24),
            sex="female",
            birth_date=datetime.date(2016, 1, 1),
            on=datetime.date(2026, 1, 1),
            reference=reference,
            age_years=10,
        )
        assert result.flag == "H", reference
