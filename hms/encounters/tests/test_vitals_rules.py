"""Vital signs read for the patient and the hospital (issue 14): bands by age and sex, critical
values recorded and flagged, confirmation of unusual values, explicit units in the hospital's
own, the time taken, the blood pressure panel, NEWS2 for adults and a child's BMI centile."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role
from hms.care.assignments import care_assign
from hms.core.exceptions import ApplicationError
from hms.encounters.display import early_warning
from hms.encounters.forms import VitalsForm
from hms.encounters.models import Observation
from hms.encounters.services import encounter_start, observation_record_vitals, observation_void
from hms.encounters.services.observations import VitalsQualifiers
from hms.encounters.vitals import (
    BMI,
    BP_PANEL,
    CAPILLARY_REFILL,
    CONSCIOUSNESS,
    DIASTOLIC,
    FIO2,
    GCS_EYE,
    GCS_MOTOR,
    GCS_TOTAL,
    GCS_VERBAL,
    HEART_RATE,
    HEIGHT,
    NEBULISERS,
    OXYGEN_FLOW,
    PEWS_BEHAVIOUR,
    RESPIRATORY_RATE,
    SKIN_COLOUR,
    SPO2,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
    WORK_OF_BREATHING,
)
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

D = Decimal


def _born(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


@pytest.fixture
def visit_of(staff, in_hospital):
    """An encounter in progress of a new patient born `days_ago` days ago."""

    def start(days_ago: int, sex: str = Patient.Sex.FEMALE):
        patient = PatientFactory(birth_date=_born(days_ago), sex=sex)
        care_assign(
            acting_user=staff.receptionist,
            patient_id=patient.pk,
            clinician_user_id=staff.doctor.pk,
            reason="Walk-in",
        )
        return encounter_start(acting_user=staff.doctor, patient=patient)

    return start


def _record(staff, encounter, values, **qualifiers):
    return {
        row.loinc_code: row
        for row in observation_record_vitals(
            acting_user=staff.nurse,
            encounter=encounter,
            values=values,
            qualifiers=VitalsQualifiers(**qualifiers),
        )
    }


def test_an_18_month_olds_heart_rate_is_read_against_a_toddlers_band(staff, visit_of):
    encounter = visit_of(560)  # 18 months
    assert _record(staff, encounter, {HEART_RATE: ("130", "/min")})[HEART_RATE].abnormal_flag == ""
    assert _record(staff, encounter, {HEART_RATE: ("190", "/min")})[HEART_RATE].abnormal_flag == "HH"


def test_an_8_year_olds_120_over_80_is_flagged_high(staff, visit_of):
    rows = _record(
        staff, visit_of(8 * 365 + 100, Patient.Sex.MALE), {SYSTOLIC: (120, "mmHg"), DIASTOLIC: (80, "mmHg")}
    )
    assert (rows[SYSTOLIC].abnormal_flag, rows[DIASTOLIC].abnormal_flag) == ("H", "H")


def test_a_critical_spo2_is_recorded_and_flagged_not_refused(staff, encounter_of_adult):
    row = _record(staff, encounter_of_adult, {SPO2: ("45", "%")})[SPO2]
    row.refresh_from_db()
    assert (row.value, row.abnormal_flag) == (D("45"), "LL")


@pytest.fixture
def encounter_of_adult(staff, chart, in_hospital):
    return encounter_start(acting_user=staff.doctor, patient=chart.patient)


def test_a_blank_unit_is_refused_by_the_service_and_nothing_is_recorded(staff, encounter_of_adult):
    with pytest.raises(ApplicationError, match="Nothing was recorded") as refused:
        _record(staff, encounter_of_adult, {WEIGHT: ("154", ""), HEART_RATE: ("72", "/min")})
    assert "Choose the unit" in refused.value.details[WEIGHT][0]
    assert not Observation.objects.exists()


def test_an_unusual_temperature_is_recorded_only_when_confirmed(staff, encounter_of_adult):
    with pytest.raises(ApplicationError) as refused:
        _record(staff, encounter_of_adult, {TEMPERATURE: ("28.0", "Cel")})
    assert set(refused.value.details) == {TEMPERATURE, "confirm"}
    assert not Observation.objects.exists()
    row = _record(staff, encounter_of_adult, {TEMPERATURE: ("28.0", "Cel")}, confirmed=True)[TEMPERATURE]
    assert (row.value, row.abnormal_flag) == (D("28.0"), "LL")
    with pytest.raises(ApplicationError, match="Nothing was recorded"):
        _record(staff, encounter_of_adult, {TEMPERATURE: ("9", "Cel")}, confirmed=True)


@pytest.mark.parametrize(
    ("code", "zone", "units"),
    [
        ("USA001", "America/New_York", ("[lb_av]", "[in_i]", "[degF]")),
        ("GBR001", "Europe/London", ("kg", "cm", "Cel")),
    ],
)
def test_the_form_starts_on_the_hospitals_units_and_a_us_nurse_weighs_in_pounds(
    make_hospital, make_user, code, zone, units
):
    hospital = make_hospital(code, time_zone=zone)
    doctor = make_user(f"doc_{code}", role=Role.DOCTOR, hospital=hospital)
    nurse = make_user(f"nurse_{code}", role=Role.NURSE, hospital=hospital)
    with hospital_context(code):
        form = VitalsForm()
        for vital, unit in zip((WEIGHT, HEIGHT, TEMPERATURE), units, strict=True):
            field = form.fields[f"unit_{vital}"]
            assert field.initial == unit and field.choices[0][0] == unit
        assert f'<option value="{units[0]}" selected>' in str(form[f"unit_{WEIGHT}"])
        patient = PatientFactory(birth_date=datetime.date(1970, 1, 1))
        AppointmentFactory(patient=patient, practitioner_user_id=doctor.pk)
        encounter = encounter_start(acting_user=doctor, patient=patient)
        posted = VitalsForm({f"value_{WEIGHT}": "154", f"unit_{WEIGHT}": units[0]})
        assert posted.is_valid(), posted.errors
        (weight,) = observation_record_vitals(acting_user=nurse, encounter=encounter, values=posted.values())
    assert weight.value == (D("69.85") if units[0] == "[lb_av]" else D("154.00"))
    assert weight.entered_unit == units[0]


def test_the_time_taken_is_kept_and_may_not_be_in_the_future(staff, encounter_of_adult):
    earlier = timezone.now() - datetime.timedelta(minutes=40)
    row = _record(staff, encounter_of_adult, {HEART_RATE: ("72", "/min")}, taken_at=earlier)[HEART_RATE]
    assert row.effective_at == earlier and row.recorded_at > earlier
    with pytest.raises(ApplicationError, match="Nothing was recorded") as refused:
        _record(
            staff,
            encounter_of_adult,
            {HEART_RATE: ("72", "/min")},
            taken_at=timezone.now() + datetime.timedelta(hours=1),
        )
    assert "future" in refused.value.details["taken_at"][0]
    with pytest.raises(ApplicationError, match="more than a day before"):
        _record(
            staff,
            encounter_of_adult,
            {HEART_RATE: ("72", "/min")},
            taken_at=timezone.now() - datetime.timedelta(days=3),
        )


def test_the_position_and_the_temperature_site_are_kept_with_their_values(staff, encounter_of_adult):
    rows = _record(
        staff,
        encounter_of_adult,
        {SYSTOLIC: (128, "mmHg"), DIASTOLIC: (82, "mmHg"), TEMPERATURE: ("37.1", "Cel")},
        body_position="standing",
        temperature_site="tympanic",
    )
    assert rows[BP_PANEL].body_position == "standing" and rows[TEMPERATURE].body_site == "tympanic"
    with pytest.raises(ApplicationError) as refused:
        _record(staff, encounter_of_adult, {HEART_RATE: ("72", "/min")}, body_position="upside down")
    assert set(refused.value.details) == {"body_position"}


def test_voiding_a_blood_pressure_voids_the_panel_and_both_pressures(staff, encounter_of_adult):
    first = _record(staff, encounter_of_adult, {SYSTOLIC: (150, "mmHg"), DIASTOLIC: (95, "mmHg")})
    second = _record(staff, encounter_of_adult, {SYSTOLIC: (130, "mmHg"), DIASTOLIC: (85, "mmHg")})

    observation_void(acting_user=staff.nurse, observation=first[BP_PANEL].pk, reason="Wrong cuff size")
    voided = observation_void(
        acting_user=staff.nurse, observation=second[DIASTOLIC].pk, reason="Wrong patient"
    )

    assert voided.pk == second[DIASTOLIC].pk and voided.voided_at is not None
    assert not Observation.objects.live().exists()  # no pressure is left without its pair


def test_the_gcs_total_is_computed_from_its_three_components(staff, encounter_of_adult):
    components = {GCS_EYE: ("3", ""), GCS_VERBAL: ("4", ""), GCS_MOTOR: ("6", "")}
    rows = _record(staff, encounter_of_adult, components)
    total = rows[GCS_TOTAL]
    assert total.value == D(13) and total.entered_value is None
    assert set(total.derived_from.values_list("loinc_code", flat=True)) == set(components)
    with pytest.raises(ApplicationError) as refused:
        _record(staff, encounter_of_adult, {**components, GCS_TOTAL: ("14", "")})
    assert "is 13, not 14" in refused.value.details[GCS_TOTAL][0]
    assert _record(staff, encounter_of_adult, {GCS_TOTAL: ("9", "")})[GCS_TOTAL].entered_value == D(9)

    observation_void(
        acting_user=staff.nurse, observation=rows[GCS_EYE].pk, reason="Eyes swollen shut: not testable"
    )
    total.refresh_from_db()
    assert total.voided_at is not None


def _news2_set(staff, encounter, **overrides):
    values = {
        RESPIRATORY_RATE: ("24", "/min"),
        SPO2: ("95", "%"),
        OXYGEN_FLOW: ("0", "L/min"),  # on air
        SYSTOLIC: ("105", "mmHg"),
        DIASTOLIC: ("70", "mmHg"),
        HEART_RATE: ("115", "/min"),
        CONSCIOUSNESS: ("A", None),
        TEMPERATURE: ("38.5", "Cel"),
        **overrides,
    }
    return _record(staff, encounter, values)


def test_news2_of_a_complete_adult_set_with_the_rcp_response(staff, chart, encounter_of_adult):
    rows = _news2_set(staff, encounter_of_adult)
    warning = early_warning(rows.values(), chart.patient.birth_date)
    assert warning is not None and warning.score is not None
    assert (warning.score.total, warning.score.risk) == (7, "high")
    assert "emergency assessment" in warning.score.response

    on_oxygen = _news2_set(staff, encounter_of_adult, **{OXYGEN_FLOW: ("2", "L/min"), FIO2: ("28", "%")})
    warning = early_warning([*rows.values(), *on_oxygen.values()], chart.patient.birth_date)
    assert warning.score.total == 9  # the newest set, on oxygen: +2

    del rows[CONSCIOUSNESS]  # an incomplete set: no score
    assert early_warning(rows.values(), chart.patient.birth_date) is None


def _pews_set(staff, encounter, **overrides):
    values = {
        PEWS_BEHAVIOUR: ("irritable", None),
        SKIN_COLOUR: ("pale", None),
        CAPILLARY_REFILL: ("3", "s"),
        HEART_RATE: ("100", "/min"),
        RESPIRATORY_RATE: ("24", "/min"),
        WORK_OF_BREATHING: ("accessory", None),
        OXYGEN_FLOW: ("0", "L/min"),
        **overrides,
    }
    return _record(staff, encounter, values)


def test_a_child_gets_the_brighton_pews_not_news2(staff, visit_of):
    encounter = visit_of(5 * 365 + 100)  # 5 years: heart rate 81-117, respiratory rate 20-27
    news2_only = _news2_set(staff, encounter, **{SYSTOLIC: ("100", "mmHg"), DIASTOLIC: ("60", "mmHg")})
    assert early_warning(news2_only.values(), encounter.patient.birth_date, "female") is None

    rows = _pews_set(staff, encounter)
    warning = early_warning(rows.values(), encounter.patient.birth_date, "female")
    assert warning is not None and warning.score is None and warning.pews is not None
    assert (warning.pews.total, warning.pews.level) == (4, "medical review")  # 2 + 1 + 1
    assert "set locally" in warning.pews.local

    tachycardic = _pews_set(staff, encounter, **{HEART_RATE: ("150", "/min"), NEBULISERS: ("yes", None)})
    warning = early_warning([*rows.values(), *tachycardic.values()], encounter.patient.birth_date, "female")
    assert warning.pews.points["cardiovascular"] == 3 and warning.pews.total == 8
    assert warning.pews.level == "urgent review"

    del rows[CAPILLARY_REFILL]  # an incomplete set: no score
    assert early_warning(rows.values(), encounter.patient.birth_date, "female") is None


def test_bmi_under_2_years_is_not_flagged(staff, visit_of):
    rows = _record(staff, visit_of(400), {WEIGHT: ("7", "kg"), HEIGHT: ("75", "cm")})
    assert (rows[BMI].value, rows[BMI].abnormal_flag, rows[BMI].centile) == (D("12.4"), "", None)


def test_a_childs_bmi_is_a_centile_of_the_hospitals_growth_charts(staff, visit_of):
    rows = _record(
        staff, visit_of(8 * 365 + 100, Patient.Sex.FEMALE), {WEIGHT: ("26", "kg"), HEIGHT: ("128", "cm")}
    )
    bmi = rows[BMI]
    assert bmi.value == D("15.9") and bmi.abnormal_flag == "" and bmi.centile is not None
    assert D(40) < bmi.centile < D(80)
    thin = _record(
        staff, visit_of(8 * 365 + 100, Patient.Sex.FEMALE), {WEIGHT: ("18", "kg"), HEIGHT: ("130", "cm")}
    )
    assert thin[BMI].abnormal_flag == "L"  # 10.7 kg/m2: adult cut-offs would say L too, for another reason


def test_an_adults_bmi_reads_the_adult_cut_offs(staff, encounter_of_adult):
    rows = _record(staff, encounter_of_adult, {WEIGHT: ("95", "kg"), HEIGHT: ("170", "cm")})
    assert (rows[BMI].abnormal_flag, rows[BMI].centile) == ("H", None)


# The pages


def _page(name, encounter):
    return reverse(f"encounters:{name}", kwargs={"hospital_code": "DMC001", "encounter_id": encounter.pk})


def test_the_vitals_page_asks_to_confirm_an_unusual_value_and_shows_news2(
    client, staff, chart, encounter_of_adult
):
    client.force_login(staff.nurse)
    form = client.get(_page("vitals", encounter_of_adult)).content.decode()
    assert '<option value="kg" selected>' in form and '<option value="Cel" selected>' in form  # Bangladesh
    cold = {f"value_{TEMPERATURE}": "28.0", f"unit_{TEMPERATURE}": "Cel", "temperature_site": "rectal"}

    refused = client.post(_page("vitals", encounter_of_adult), cold)
    assert refused.status_code == 400 and "very unusual" in refused.content.decode()
    assert client.post(_page("vitals", encounter_of_adult), {**cold, "confirm": "on"}).status_code == 302
    row = Observation.objects.get(loinc_code=TEMPERATURE)
    assert (row.value, row.abnormal_flag, row.body_site) == (D("28.0"), "LL", "rectal")

    _news2_set(staff, encounter_of_adult)
    page = client.get(_page("detail", encounter_of_adult)).content.decode()
    assert "<strong>NEWS2 7</strong>" in page and "high clinical risk" in page
    assert "critically low" in client.get(_page("vitals-correct", encounter_of_adult)).content.decode()


def test_the_encounter_page_shows_pews_for_a_child_and_not_for_an_adult(
    client, staff, visit_of, encounter_of_adult
):
    client.force_login(staff.nurse)
    child = visit_of(5 * 365 + 100)
    form = client.get(_page("vitals", child)).content.decode()
    assert "Capillary refill time" in form and "Grey and mottled" in form
    posted = {
        f"value_{PEWS_BEHAVIOUR}": "irritable",
        f"value_{SKIN_COLOUR}": "pale",
        f"value_{CAPILLARY_REFILL}": "3",
        f"unit_{CAPILLARY_REFILL}": "s",
        f"value_{HEART_RATE}": "100",
        f"unit_{HEART_RATE}": "/min",
        f"value_{RESPIRATORY_RATE}": "24",
        f"unit_{RESPIRATORY_RATE}": "/min",
        f"value_{WORK_OF_BREATHING}": "accessory",
        f"value_{OXYGEN_FLOW}": "0",
        f"unit_{OXYGEN_FLOW}": "L/min",
    }
    assert client.post(_page("vitals", child), posted).status_code == 302
    page = client.get(_page("detail", child)).content.decode()
    assert "<strong>PEWS 4</strong>" in page and "medical review" in page and "set locally" in page

    _pews_set(staff, encounter_of_adult)
    _news2_set(staff, encounter_of_adult)
    page = client.get(_page("detail", encounter_of_adult)).content.decode()
    assert "<strong>NEWS2 7</strong>" in page and "PEWS" not in page.split("early-warning-heading")[1]


def test_the_pews_answers_on_the_form_are_the_ones_the_score_reads():
    from hms.clinical import pews
    from hms.encounters import vitals

    assert [a.code for a in vitals.PEWS_BEHAVIOUR_ANSWERS] == list(pews.BEHAVIOURS)
    assert [a.code for a in vitals.SKIN_COLOUR_ANSWERS] == list(pews.SKIN_COLOURS)
    assert [a.code for a in vitals.WORK_OF_BREATHING_ANSWERS] == list(pews.WORK_OF_BREATHING)
