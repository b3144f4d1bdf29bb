from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.clinical.ages import Age
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.encounters.models import Observation
from hms.encounters.services import (
    encounter_finish,
    encounter_start,
    observation_record_vitals,
    observation_void,
)
from hms.encounters.vitals import (
    BMI,
    BP_PANEL,
    CONSCIOUSNESS,
    DIASTOLIC,
    FIO2,
    GCS_TOTAL,
    HEART_RATE,
    HEIGHT,
    LIMIT_SOURCES,
    OXYGEN_FLOW,
    PAIN,
    RESPIRATORY_RATE,
    SPO2,
    SYSTOLIC,
    TEMPERATURE,
    VITALS,
    WEIGHT,
    Subject,
    VitalError,
    VitalUnconfirmed,
    bmi_measure,
    vital_measure,
)

D = Decimal


# The table and its conversions (no database)

ADULT = Subject(Age(days=15000, months=492, years=41), "male")


def test_the_table_has_the_common_vitals_with_their_loinc_codes_and_ucum_units():
    assert {code: vital.unit for code, vital in VITALS.items()} == {
        "8867-4": "/min",
        "8480-6": "mm[Hg]",
        "8462-4": "mm[Hg]",
        "8310-5": "Cel",
        "9279-1": "/min",
        "59408-5": "%",
        "3151-8": "L/min",
        "3150-0": "%",
        "67775-7": "",
        "pews-behaviour": "",
        "pews-colour": "",
        "44963-7": "s",
        "pews-breathing": "",
        "pews-nebulisers": "",
        "pews-vomiting": "",
        "9267-6": "{score}",
        "9270-0": "{score}",
        "9268-4": "{score}",
        "9269-2": "{score}",
        "72514-3": "{score}",
        "29463-7": "kg",
        "8302-2": "cm",
        "39156-5": "kg/m2",
    }
    assert all(vital.limits_source in LIMIT_SOURCES for vital in VITALS.values())
    # LOINC has no code for the Brighton PEWS's own observations: they are ours, and say so.
    assert {code for code, vital in VITALS.items() if vital.code_system != "http://loinc.org"} == {
        "pews-behaviour",
        "pews-colour",
        "pews-breathing",
        "pews-nebulisers",
        "pews-vomiting",
    }


@pytest.mark.parametrize(
    ("code", "value", "unit", "stored"),
    [
        (TEMPERATURE, "98.6", "[degF]", D("37.0")),
        (TEMPERATURE, "101.3", "degF", D("38.5")),
        (TEMPERATURE, 37.25, "Cel", D("37.3")),
        (TEMPERATURE, "36,6", "°C", D("36.6")),
        (WEIGHT, "154", "[lb_av]", D("69.85")),
        (WEIGHT, "3250", "g", D("3.25")),
        (WEIGHT, 70, "kg", D("70.00")),
        (HEIGHT, "70", "[in_i]", D("177.8")),
        (HEIGHT, "1.72", "m", D("172.0")),
        (HEART_RATE, "72", "bpm", D("72")),
        (HEART_RATE, D("71.5"), "/min", D("72")),
        (SYSTOLIC, "120", "mmHg", D("120")),
        (OXYGEN_FLOW, "2", "l/min", D("2.0")),
    ],
)
def test_values_are_converted_to_the_stored_unit_and_rounded(code, value, unit, stored):
    measurement = vital_measure(code, value, unit, subject=ADULT)
    assert measurement.value == stored
    assert str(measurement.value) == str(stored)
    assert measurement.entered_unit == (VITALS[code].unit_find(unit).ucum)


@pytest.mark.parametrize("code", [WEIGHT, HEIGHT, TEMPERATURE, HEART_RATE, SPO2])
@pytest.mark.parametrize("unit", ["", "  ", None])
def test_a_blank_unit_is_refused_never_taken_as_a_default(code, unit):
    with pytest.raises(VitalError, match="Choose the unit"):
        vital_measure(code, "70", unit, subject=ADULT)


@pytest.mark.parametrize(
    ("code", "low", "high", "unit"),
    [
        (HEART_RATE, "0", "350", "/min"),
        (SYSTOLIC, "20", "400", "mm[Hg]"),
        (DIASTOLIC, "10", "350", "mm[Hg]"),
        (TEMPERATURE, "10", "47", "Cel"),
        (SPO2, "0", "100", "%"),
        (RESPIRATORY_RATE, "0", "150", "/min"),
        (OXYGEN_FLOW, "0", "80", "L/min"),
        (FIO2, "21", "100", "%"),
        (PAIN, "0", "10", ""),
        (GCS_TOTAL, "3", "15", ""),
        (WEIGHT, "0.2", "500", "kg"),
        (HEIGHT, "20", "272", "cm"),
    ],
)
def test_the_plausibility_limits_are_inclusive_and_beyond_them_is_impossible(code, low, high, unit):
    vital_measure(code, low, unit, subject=ADULT, confirmed=True)
    vital_measure(code, high, unit, subject=ADULT, confirmed=True)
    step = D("0.1") if "." in low or code in (TEMPERATURE, HEIGHT, OXYGEN_FLOW) else D(1)
    for outside in (D(low) - step, D(high) + step):
        with pytest.raises(VitalError, match="is impossible"):
            vital_measure(code, outside, unit, subject=ADULT, confirmed=True)


@pytest.mark.parametrize(
    ("code", "unusual", "usual", "unit"),
    [
        (TEMPERATURE, "29.9", "30", "Cel"),
        (TEMPERATURE, "43.1", "43", "Cel"),
        (TEMPERATURE, "80", "86", "[degF]"),  # 26.7 °C; 30.0 °C
        (SPO2, "39", "40", "%"),
        (HEART_RATE, "251", "250", "/min"),
        (HEART_RATE, "0", "20", "/min"),
        (RESPIRATORY_RATE, "3", "4", "/min"),
        (SYSTOLIC, "39", "40", "mm[Hg]"),
        (OXYGEN_FLOW, "61", "60", "L/min"),
    ],
)
def test_a_possible_but_very_unusual_value_needs_confirming(code, unusual, usual, unit):
    vital_measure(code, usual, unit, subject=ADULT)
    with pytest.raises(VitalUnconfirmed, match="very unusual.*confirm"):
        vital_measure(code, unusual, unit, subject=ADULT)
    assert vital_measure(code, unusual, unit, subject=ADULT, confirmed=True).value is not None


def test_a_confirmation_never_lets_an_impossible_value_in():
    with pytest.raises(VitalError, match="impossible"):
        vital_measure(TEMPERATURE, "9.9", "Cel", subject=ADULT, confirmed=True)
    with pytest.raises(VitalError, match=r"118 °F = 47\.8 °C is impossible"):
        vital_measure(TEMPERATURE, "118", "[degF]", subject=ADULT, confirmed=True)


def test_plausibility_is_checked_after_conversion():
    with pytest.raises(VitalError, match="is impossible"):
        vital_measure(WEIGHT, "1200", "[lb_av]", subject=ADULT)  # 544 kg
    with pytest.raises(VitalError, match=r"7 in = 17\.8 cm is impossible"):
        vital_measure(HEIGHT, "7", "[in_i]", subject=ADULT)
    with pytest.raises(VitalError, match="cannot be given in 'Cel'"):
        vital_measure(HEIGHT, "37", "Cel", subject=ADULT)
    vital_measure(WEIGHT, "1000", "[lb_av]", subject=ADULT)  # 453.6 kg: rare, possible


def _age(years=0, months=None, days=None):
    months = years * 12 if months is None else months
    return Age(days=months * 30 if days is None else days, months=months, years=months // 12)


@pytest.mark.parametrize(
    ("code", "value", "subject", "flag"),
    [
        (HEART_RATE, "130", Subject(_age(months=18), "female"), ""),  # adult bands would say H
        (HEART_RATE, "190", Subject(_age(months=18), "female"), "HH"),
        (HEART_RATE, "90", Subject(_age(months=18), "male"), "L"),
        (HEART_RATE, "60", ADULT, ""),
        (HEART_RATE, "101", ADULT, "H"),
        (HEART_RATE, "135", ADULT, "HH"),
        (SYSTOLIC, "120", Subject(_age(8), "male"), "H"),
        (DIASTOLIC, "80", Subject(_age(8), "male"), "H"),
        (SYSTOLIC, "120", ADULT, ""),
        (SYSTOLIC, "140", ADULT, "H"),
        (DIASTOLIC, "95", ADULT, "H"),
        (SPO2, "45", ADULT, "LL"),
        (SPO2, "45", Subject(_age(3), ""), "LL"),
        (SPO2, "94", ADULT, "L"),
        (TEMPERATURE, "38.2", ADULT, "H"),
        (TEMPERATURE, "38.0", Subject(_age(months=2, days=60), "male"), "HH"),  # fever under 3 months
        (TEMPERATURE, "34.0", ADULT, "LL"),
        (RESPIRATORY_RATE, "24", ADULT, "H"),
        (RESPIRATORY_RATE, "40", Subject(_age(months=4), "female"), ""),
        (WEIGHT, "150", ADULT, ""),  # no band
        (DIASTOLIC, "20", Subject(_age(days=100, months=3), "male"), ""),  # no band under 1 year
    ],
)
def test_values_are_flagged_against_the_band_for_the_patients_age_and_sex(code, value, subject, flag):
    unit = VITALS[code].input_units[0].ucum
    assert vital_measure(code, value, unit, subject=subject, confirmed=True).flag == flag


def test_coded_and_score_observations():
    alert = vital_measure(CONSCIOUSNESS, "a", None, subject=ADULT)
    assert (alert.value, alert.value_code, alert.flag) == (None, "A", "")
    assert vital_measure(CONSCIOUSNESS, "Responds to voice", "", subject=ADULT).value_code == "V"
    with pytest.raises(VitalError, match="one of: A"):
        vital_measure(CONSCIOUSNESS, "sleepy", "", subject=ADULT)
    assert vital_measure(PAIN, "7", "", subject=ADULT).value == D(7)
    with pytest.raises(VitalError, match="whole number"):
        vital_measure(PAIN, "7.5", "", subject=ADULT)
    with pytest.raises(VitalError, match="no unit"):
        vital_measure(GCS_TOTAL, "14", "kg", subject=ADULT)


@pytest.mark.parametrize(
    ("code", "value", "unit", "message"),
    [
        (HEART_RATE, "abc", "/min", "must be a number"),
        (HEART_RATE, "", "/min", "Enter a number"),
        (HEART_RATE, None, "/min", "Enter a number"),
        (HEART_RATE, True, "/min", "Enter a number"),
        (HEART_RATE, "NaN", "/min", "must be a number"),
        (HEART_RATE, "Infinity", "/min", "must be a number"),
        (HEART_RATE, "1e999999", "/min", "must be a number"),
        (HEART_RATE, D("1e999999999"), "/min", "too large"),
        (HEART_RATE, "9" * 9, "/min", "too large"),
        (HEART_RATE, "72", "kg", "cannot be given in 'kg'"),
        ("1234-5", "72", "/min", "not a vital sign"),
        (BMI, "22", "kg/m2", "calculated from weight and height"),
    ],
)
def test_bad_values_units_and_codes_are_refused_with_a_reason(code, value, unit, message):
    with pytest.raises(VitalError, match=message):
        vital_measure(code, value, unit, subject=ADULT)


def test_bmi_is_weight_over_height_squared_and_flagged():
    bmi = bmi_measure(weight_kg=D("70"), height_cm=D("175"))
    assert (bmi.value, bmi.flag, bmi.vital.unit) == (D("22.9"), "", "kg/m2")
    assert bmi_measure(weight_kg=D("95"), height_cm=D("170")).flag == "H"
    with pytest.raises(VitalError, match="impossible"):
        bmi_measure(weight_kg=D("400"), height_cm=D("40"))


def test_values_are_shown_in_the_hospitals_units():
    assert VITALS[TEMPERATURE].text(D("37.0"), "[degF]") == "98.6 °F"
    assert VITALS[WEIGHT].text(D("69.85"), "[lb_av]") == "154.0 lb"
    assert VITALS[HEIGHT].text(D("177.8"), "[in_i]") == "70.0 in"
    assert VITALS[TEMPERATURE].text(D("37.0"), "Cel") == VITALS[TEMPERATURE].text(D("37.0")) == "37.0 °C"


# Recording them


@pytest.fixture
def encounter(staff, chart, in_hospital):
    return encounter_start(acting_user=staff.doctor, patient=chart.patient)


def test_a_nurse_records_several_vitals_in_one_go(staff, chart, encounter):
    recorded = observation_record_vitals(
        acting_user=staff.nurse,
        encounter=encounter.pk,
        values={
            HEART_RATE: ("112", "/min"),
            TEMPERATURE: ("101.3", "[degF]"),
            SYSTOLIC: (118, "mm[Hg]"),
            DIASTOLIC: (76, "mm[Hg]"),
        },
        client_address="10.1.1.1",
    )

    stored = {o.loinc_code: o for o in Observation.objects.all()}
    assert set(stored) == {HEART_RATE, TEMPERATURE, SYSTOLIC, DIASTOLIC, BP_PANEL}
    assert {o.pk for o in recorded} == {o.pk for o in stored.values()}
    panel = stored[BP_PANEL]
    assert (panel.value, panel.unit) == (None, "")
    assert {row.loinc_code for row in panel.components.all()} == {SYSTOLIC, DIASTOLIC}
    temperature = stored[TEMPERATURE]
    assert (temperature.value, temperature.unit, temperature.abnormal_flag) == (D("38.5"), "Cel", "H")
    assert (temperature.entered_value, temperature.entered_unit) == (D("101.3"), "[degF]")
    assert stored[HEART_RATE].abnormal_flag == "H" and stored[SYSTOLIC].abnormal_flag == ""
    assert event_flags() == {HEART_RATE: "H", TEMPERATURE: "H"}
    for observation in stored.values():
        assert observation.patient_id == chart.patient.pk and observation.encounter_id == encounter.pk
        assert observation.recorded_by_id == staff.nurse.pk
    event = AuditEvent.objects.get(action="observation.record")
    assert (event.action, event.patient_id, event.client_address) == (
        "observation.record",
        chart.patient.pk,
        "10.1.1.1",
    )
    assert sorted(event.detail["observation_ids"]) == sorted(o.pk for o in recorded)


def event_flags():
    return AuditEvent.objects.get(action="observation.record").detail["flags"]


def test_one_impossible_value_records_nothing_and_names_each_problem(staff, encounter):
    with pytest.raises(ApplicationError, match="Nothing was recorded") as refused:
        observation_record_vitals(
            acting_user=staff.nurse,
            encounter=encounter,
            values={
                HEART_RATE: ("72", "/min"),
                TEMPERATURE: ("370", "Cel"),
                SPO2: ("ninety", "%"),
                WEIGHT: ("70", "stone"),
            },
        )
    assert set(refused.value.details) == {TEMPERATURE, SPO2, WEIGHT}
    assert "Body temperature" in refused.value.message
    assert "impossible" in refused.value.details[TEMPERATURE][0]
    assert not Observation.objects.exists()
    assert not AuditEvent.objects.filter(action="observation.record").exists()


def test_diastolic_must_be_below_systolic(staff, encounter):
    with pytest.raises(ApplicationError) as refused:
        observation_record_vitals(
            acting_user=staff.doctor,
            encounter=encounter,
            values={SYSTOLIC: (80, "mmHg"), DIASTOLIC: (90, "mmHg")},
        )
    assert set(refused.value.details) == {DIASTOLIC}
    assert not Observation.objects.exists()


def test_an_empty_or_malformed_mapping_is_refused(staff, encounter):
    with pytest.raises(ApplicationError, match="at least one"):
        observation_record_vitals(acting_user=staff.nurse, encounter=encounter, values={})
    with pytest.raises(ApplicationError) as refused:
        observation_record_vitals(acting_user=staff.nurse, encounter=encounter, values={HEART_RATE: "72"})
    assert refused.value.details == {HEART_RATE: ["Give a value and a unit."]}


def test_bmi_is_computed_from_weight_and_height_recorded_together_or_earlier(staff, encounter):
    observation_record_vitals(acting_user=staff.nurse, encounter=encounter, values={HEIGHT: ("175", "cm")})
    assert not Observation.objects.filter(loinc_code=BMI).exists()

    recorded = observation_record_vitals(
        acting_user=staff.nurse, encounter=encounter, values={WEIGHT: ("70", "kg")}
    )

    bmi = Observation.objects.get(loinc_code=BMI)
    assert (bmi.value, bmi.unit, bmi.abnormal_flag, bmi.entered_value) == (D("22.9"), "kg/m2", "", None)
    assert bmi in recorded
    assert set(bmi.derived_from.values_list("loinc_code", flat=True)) == {WEIGHT, HEIGHT}


def test_a_weight_and_height_that_cannot_be_one_persons_are_refused(staff, encounter):
    with pytest.raises(ApplicationError, match="cannot both be right") as refused:
        observation_record_vitals(
            acting_user=staff.nurse, encounter=encounter, values={WEIGHT: ("300", "kg"), HEIGHT: ("50", "cm")}
        )
    assert set(refused.value.details) == {BMI}
    assert not Observation.objects.exists()


def test_voiding_a_weight_voids_the_bmi_computed_from_it(staff, encounter):
    observation_record_vitals(
        acting_user=staff.nurse, encounter=encounter, values={WEIGHT: ("70", "kg"), HEIGHT: ("175", "cm")}
    )
    weight = Observation.objects.get(loinc_code=WEIGHT)
    with pytest.raises(ApplicationError, match="reason"):
        observation_void(acting_user=staff.nurse, observation=weight, reason=" ")

    observation_void(acting_user=staff.nurse, observation=weight.pk, reason="Weighed with shoes on")

    voided = dict(
        Observation.objects.filter(voided_at__isnull=False).values_list("loinc_code", "void_reason")
    )
    assert voided == {
        WEIGHT: "Weighed with shoes on",
        BMI: f"Computed from observation {weight.pk}, voided: Weighed with shoes on",
    }
    assert Observation.objects.get(loinc_code=HEIGHT).voided_at is None
    event = AuditEvent.objects.get(action="observation.void")
    assert len(event.detail["observation_ids"]) == 2 and event.patient_id == weight.patient_id
    with pytest.raises(ApplicationError, match="already voided"):
        observation_void(acting_user=staff.nurse, observation=weight.pk, reason="again")


def test_who_may_record_vitals(staff, chart, encounter):
    values = {HEART_RATE: ("72", "/min")}
    observation_record_vitals(acting_user=staff.doctor, encounter=encounter, values=values)
    observation_record_vitals(acting_user=staff.nurse, encounter=encounter, values=values)
    with pytest.raises(NotFound):
        observation_record_vitals(acting_user=staff.other_doctor, encounter=encounter, values=values)
    for who in (staff.receptionist, staff.admin, staff.patient_user):
        with pytest.raises(NotAllowed):
            observation_record_vitals(acting_user=who, encounter=encounter, values=values)
    with pytest.raises(NotFound):
        observation_record_vitals(acting_user=staff.nurse, encounter=999999, values=values)
    assert Observation.objects.count() == 2


def test_vitals_are_recorded_during_the_encounter_only(staff, encounter):
    encounter_finish(acting_user=staff.doctor, encounter=encounter)
    with pytest.raises(ApplicationError, match="finished"):
        observation_record_vitals(
            acting_user=staff.nurse, encounter=encounter, values={HEART_RATE: ("72", "/min")}
        )
    assert not Observation.objects.exists()
