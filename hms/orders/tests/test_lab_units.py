"""Lab results in every hospital's units and for every age: explicit units stored with the LOINC
code that matches them, flags in the ranges' unit, children's intervals, eGFR, urea for SI
laboratories (issue 14)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.core.exceptions import ApplicationError
from hms.encounters.tests.factories import EncounterFactory, ObservationFactory
from hms.encounters.vitals import HEIGHT
from hms.orders import services
from hms.orders.models import LabOrder, LabResult
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
D = Decimal
GLUCOSE, CHOLESTEROL, POTASSIUM, CREATININE, HB = "2345-7", "2093-3", "2823-3", "2160-0", "718-7"
ZONES = {"UK001": "Europe/London", "US001": "America/New_York", "BD001": "Asia/Dhaka"}


class Ward:
    """A hospital with a doctor and a nurse; `patient` admits someone of a given age and sex."""

    def __init__(self, make_hospital, code):
        self.code = code
        hospital = make_hospital(code, time_zone=ZONES[code])
        self.doctor = UserFactory(username=f"dr_{code}", role=Role.DOCTOR, hospital=hospital)
        self.nurse = UserFactory(username=f"rn_{code}", role=Role.NURSE, hospital=hospital)

    def encounter(self, *, years=45, sex=Patient.Sex.FEMALE, clinical=""):
        today = timezone.localdate()
        born = today.replace(year=today.year - years) - datetime.timedelta(days=1)
        with hospital_context(self.code):
            patient = PatientFactory(birth_date=born, sex=sex, sex_for_clinical_use=clinical)
            return EncounterFactory(patient=patient, practitioner_user_id=self.doctor.pk)

    def collected(self, code, **who):
        encounter = self.encounter(**who)
        with hospital_context(self.code):
            order = services.lab_order_create(
                acting_user=self.doctor, encounter_id=encounter.pk, test_code=code
            )[0]
            services.lab_order_collect(acting_user=self.nurse, order_id=order.pk)
        return order

    def result(self, code, value, unit, **who):
        order = self.collected(code, **who)
        with hospital_context(self.code):
            entered = services.lab_result_enter(
                acting_user=self.nurse, order_id=order.pk, value=value, unit=unit
            )
            return LabResult.objects.get(pk=entered.pk)


@pytest.fixture
def uk(make_hospital):
    return Ward(make_hospital, "UK001")


@pytest.fixture
def us(make_hospital):
    return Ward(make_hospital, "US001")


def test_a_uk_glucose_of_22_mmol_is_stored_in_mmol_with_its_own_code_and_flagged_high(uk):
    result = uk.result(GLUCOSE, "22", "mmol/L")
    # 22 mmol/L = 396 mg/dL: high, not yet beyond the catalogue's critical 400 mg/dL (22.2 mmol/L)
    assert (result.value_numeric, result.unit, result.loinc_code) == (D("22"), "mmol/L", "14749-6")
    assert result.flag == "H"
    assert (result.reference_low, result.reference_high) == (D("3.89"), D("5.5"))
    assert (result.critical_low, result.critical_high) == (D("2.78"), D("22.2"))
    assert uk.result(GLUCOSE, "25", "mmol/L").flag == "HH"  # 450 mg/dL
    assert uk.result(GLUCOSE, "2.5", "mmol/L").flag == "LL"  # 45 mg/dL
    # the same value in mg/dL is the mass code, in its unit
    mass = uk.result(GLUCOSE, "396", "mg/dL")
    assert (mass.value_numeric, mass.unit, mass.loinc_code, mass.flag) == (D("396"), "mg/dL", "2345-7", "H")


def test_a_cholesterol_of_5_2_mmol_is_above_the_catalogues_limit(uk):
    # The catalogue's limit is 199 mg/dL (desirable below 200): 5.146 mmol/L; 5.2 mmol/L = 201 mg/dL.
    result = uk.result(CHOLESTEROL, "5.2", "mmol/L")
    assert (result.loinc_code, result.flag, result.reference_high) == ("14647-2", "H", D("5.146"))
    assert uk.result(CHOLESTEROL, "5.1", "mmol/L").flag == "N"  # 197 mg/dL


def test_potassium_55_is_refused_as_impossible_and_nothing_is_written(uk):
    order = uk.collected(POTASSIUM)
    with hospital_context(uk.code):
        with pytest.raises(ApplicationError, match="K of 55 mmol/L is impossible"):
            services.lab_result_enter(acting_user=uk.nurse, order_id=order.pk, value="55", unit="mmol/L")
        assert not LabResult.objects.exists()
        assert LabOrder.objects.get().status == LabOrder.Status.COLLECTED


@pytest.mark.parametrize("unit", ["", "  "])
def test_a_number_without_its_unit_is_refused_in_every_hospital(uk, us, unit):
    for ward, here in ((uk, "mmol/L"), (us, "mg/dL")):
        order = ward.collected(GLUCOSE)
        with hospital_context(ward.code):
            with pytest.raises(ApplicationError) as raised:
                services.lab_result_enter(acting_user=ward.nurse, order_id=order.pk, value="22", unit=unit)
            assert not LabResult.objects.exists()
        assert f"this laboratory reports it in {here}" in raised.value.message
        assert "unit" in raised.value.details


def test_creatinine_0_9_is_high_at_two_years_and_normal_for_an_adult_woman(uk):
    child = uk.result(CREATININE, "0.9", "mg/dL", years=2)
    woman = uk.result(CREATININE, "0.9", "mg/dL", years=45)
    assert (child.flag, child.reference_low, child.reference_high) == ("H", D("0.3"), D("0.7"))
    assert "1 year to under 12 years" in child.reference_note and "Harriet Lane" in child.reference_note
    assert (woman.flag, woman.reference_low, woman.reference_high) == ("N", D("0.59"), D("1.04"))
    assert woman.reference_note == ""
    # the same in umol/L (80 umol/L = 0.90 mg/dL), stored with the SI code, limits shown in umol/L
    si = uk.result(CREATININE, "80", "umol/L", years=2)
    assert (si.loinc_code, si.flag, si.reference_high) == ("14682-9", "H", D("61.9"))


def test_a_child_without_a_childrens_interval_gets_no_adult_one_but_critical_limits(uk):
    normal = uk.result(POTASSIUM, "5.4", "mmol/L", years=5)  # above the adult 5.1
    critical = uk.result(POTASSIUM, "7.0", "mmol/L", years=5)
    assert (normal.flag, normal.reference_low, normal.reference_high, normal.reference_text) == (
        "N",
        None,
        None,
        "",
    )
    assert "No reference interval for a child of 5 years" in normal.reference_note
    assert (critical.flag, critical.critical_high) == ("HH", D("6.2"))


def test_a_childs_haemoglobin_and_alp_are_read_against_their_age(uk):
    assert uk.result(HB, "105", "g/L", years=3).flag == "L"  # WHO: below 11.0 g/dL at 2-4 years
    assert uk.result("6768-6", "300", "U/L", years=10).flag == "N"  # adult range ends at 147
    assert uk.result("6768-6", "300", "U/L", years=40).flag == "H"
    assert uk.result(HB, "12.5", "g/dL", years=16, sex=Patient.Sex.MALE).flag == "L"  # WHO: 13.0 from 15


def test_sex_not_recorded_takes_the_narrower_interval_and_says_so(uk):
    result = uk.result(HB, "16.0", "g/dL", sex=Patient.Sex.UNKNOWN)  # above the woman's 15.5
    assert (result.flag, result.reference_low, result.reference_high) == ("H", D("13.5"), D("15.5"))
    assert "narrower" in result.reference_note
    # a sex for clinical use recorded picks its interval
    female = uk.result(HB, "16.0", "g/dL", sex=Patient.Sex.OTHER, clinical="female")
    male = uk.result(HB, "16.0", "g/dL", sex=Patient.Sex.OTHER, clinical="male")
    assert (female.flag, female.reference_note, male.flag) == ("H", "", "N")


def test_an_adult_creatinine_carries_its_egfr_and_a_childs_needs_a_height(uk):
    woman = uk.result(CREATININE, "0.9", "mg/dL", years=45)
    assert (woman.egfr, woman.egfr_note) == (80, "CKD-EPI 2021 (LOINC 98979-8)")
    unknown = uk.result(CREATININE, "80", "umol/L", years=45, sex=Patient.Sex.OTHER)
    assert unknown.egfr is None and "needs the sex for clinical use" in unknown.egfr_note
    no_height = uk.result(CREATININE, "0.5", "mg/dL", years=8)
    assert no_height.egfr is None and "needs the child's height" in no_height.egfr_note
    encounter = uk.encounter(years=8)
    with hospital_context(uk.code):
        ObservationFactory(encounter=encounter, loinc_code=HEIGHT, value=D("128"), unit="cm")
        order = services.lab_order_create(
            acting_user=uk.doctor, encounter_id=encounter.pk, test_code=CREATININE
        )[0]
        services.lab_order_collect(acting_user=uk.nurse, order_id=order.pk)
        child = services.lab_result_enter(acting_user=uk.nurse, order_id=order.pk, value="0.5", unit="mg/dL")
    # bedside Schwartz: 0.413 x 128 / 0.5 = 106
    assert child.egfr == 106 and child.egfr_note.startswith(
        "bedside Schwartz (LOINC 50210-4), from the height"
    )
    assert uk.result(GLUCOSE, "5", "mmol/L").egfr is None  # only with a creatinine


def test_si_laboratories_order_urea_and_conventional_ones_bun(uk, us):
    for ward, urea, absent in ((uk, "22664-7", "3094-0"), (us, "3094-0", "22664-7")):
        encounter = ward.encounter()
        with hospital_context(ward.code):
            codes = [
                o.test_code
                for o in services.lab_order_create(
                    acting_user=ward.doctor, encounter_id=encounter.pk, test_code="BMP"
                )
            ]
        assert urea in codes and absent not in codes and len(codes) == 8
    result = uk.result("22664-7", "9.0", "mmol/L")
    assert (result.loinc_code, result.unit, result.flag, result.reference_text) == (
        "22664-7",
        "mmol/L",
        "H",
        "2.5\u20137.8 mmol/L",
    )


def test_the_result_form_preselects_the_unit_the_hospital_reports_in(client, uk, us):
    for ward, selected in ((uk, "mmol/L"), (us, "mg/dL")):
        order = ward.collected(GLUCOSE)
        client.force_login(ward.nurse)
        url = reverse("orders:lab-order", kwargs={"hospital_code": ward.code, "order_id": order.pk})
        page = client.get(url).content.decode()
        assert f'<option value="{selected}" selected>' in page
        assert f"this laboratory reports in {selected}" in page
        # a blank unit posted (a crafted form) is refused, with the reason on the page
        enter = reverse("orders:lab-result-enter", kwargs={"hospital_code": ward.code, "order_id": order.pk})
        refused = client.post(enter, {"value": "22", "unit": ""})
        assert (
            refused.status_code == 400
            and "a number without its unit is not recorded" in refused.content.decode()
        )


def test_a_result_stored_in_another_unit_is_shown_in_the_hospitals_too(client, uk):
    result = uk.result(GLUCOSE, "396", "mg/dL")
    client.force_login(uk.doctor)
    url = reverse("orders:lab-order", kwargs={"hospital_code": uk.code, "order_id": result.order_id})
    page = client.get(url).content.decode()
    assert "396 mg/dL" in page and "= 22 mmol/L" in page
