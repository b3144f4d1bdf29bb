"""Lab results: impossible values refused (plausibility limits, per unit); a CBC as one request."""

import pytest

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError
from hms.orders import services
from hms.orders.lab_catalogue import PANELS, TESTS
from hms.orders.models import LabOrder, LabResult
from hms.orders.tests.helpers import ordered, resulted
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
WBC, POTASSIUM, HB, PLT = "6690-2", "2823-3", "718-7", "777-3"


def test_every_numeric_test_has_plausibility_limits_around_its_critical_ones():
    for test in TESTS.values():
        if not test.is_numeric:
            continue
        assert test.plausible.high is not None, test.code
        for limit in (test.critical.high, test.reference_for("other").high):
            if limit is not None:
                assert limit < test.plausible.high, test.code


@pytest.mark.parametrize(
    ("code", "value", "unit", "shown"),
    [
        (WBC, "5000", "10*3/uL", "WBC of 5000 \u00d710\u00b3/\u00b5L is impossible"),
        (WBC, "5000", "10*9/L", "WBC of 5000 \u00d710\u2079/L is impossible"),
        (POTASSIUM, "55", "mmol/L", "K of 55 mmol/L is impossible"),
        (POTASSIUM, "55", "mEq/L", "K of 55 mEq/L = 55 mmol/L is impossible"),
        (WBC, "5000000", "/uL", "WBC of 5000000 /uL = 5000 \u00d710\u00b3/\u00b5L is impossible"),
    ],
)
def test_an_implausible_result_is_refused_and_nothing_written(
    doctor, nurse, encounter, code, value, unit, shown
):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError) as raised:
            resulted(doctor, nurse, encounter, value, code=code, unit=unit)
        assert not LabResult.objects.exists()
        assert LabOrder.objects.get().status == LabOrder.Status.COLLECTED
    assert shown in raised.value.message
    assert "Check the number and the unit" in raised.value.message
    assert "Possible values: between" in raised.value.details["value"][0]


def test_an_extreme_but_possible_result_is_recorded_as_critical(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        assert resulted(doctor, nurse, encounter, "250", code=WBC).flag == "HH"
        assert resulted(doctor, nurse, encounter, "8.9", code=POTASSIUM).flag == "HH"


def test_a_cbc_is_ordered_collected_and_resulted_as_one(doctor, nurse, encounter):
    cbc = PANELS["58410-2"]
    values = {
        HB: ("13.1", "g/dL"),
        "4544-3": ("40", "%"),
        WBC: ("7.2", "10*3/uL"),
        "789-8": ("4.6", "10*6/uL"),
        PLT: ("250", "10*3/uL"),
    }
    with hospital_context("DMC001"):
        first = ordered(doctor, encounter, "CBC")
        collected = services.lab_panel_collect(acting_user=nurse, order_id=first.pk)
        assert [o.test_code for o in collected] == list(cbc.members)
        assert set(LabOrder.objects.values_list("status", flat=True)) == {LabOrder.Status.COLLECTED}
        # One impossible value: nothing of the panel is recorded, and the test is named.
        with pytest.raises(ApplicationError) as raised:
            services.lab_panel_results_enter(
                acting_user=nurse, order_id=first.pk, values={**values, WBC: ("5000", "10*3/uL")}
            )
        assert not LabResult.objects.exists()
        results = services.lab_panel_results_enter(acting_user=nurse, order_id=first.pk, values=values)
        statuses = set(LabOrder.objects.values_list("status", flat=True))
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert raised.value.message == "Nothing was recorded; check WBC."
    assert "impossible" in raised.value.details[WBC][0]
    assert [r.display_value for r in results] == [
        "13.1 g/dL",
        "40 %",
        "7.2 ×10³/µL",
        "4.6 ×10⁶/µL",
        "250 ×10³/µL",
    ]
    assert statuses == {LabOrder.Status.RESULTED}
    assert actions.count("lab_order.collect") == 1 and actions.count("lab_result.enter") == 5


def test_a_panel_is_not_resulted_before_collection(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        first = ordered(doctor, encounter, "CBC")
        with pytest.raises(ApplicationError, match="not been marked collected"):
            services.lab_panel_results_enter(acting_user=nurse, order_id=first.pk, values={HB: ("13", "")})
        services.lab_panel_collect(acting_user=nurse, order_id=first.pk)
        with pytest.raises(ApplicationError, match="already collected"):
            services.lab_panel_collect(acting_user=nurse, order_id=first.pk)


def test_the_panel_page_collects_and_results_a_cbc_on_one_form(client, doctor, nurse, encounter):
    from django.urls import reverse

    with hospital_context("DMC001"):
        first = ordered(doctor, encounter, "CBC")
    client.force_login(nurse)
    url = reverse("orders:lab-panel", kwargs={"hospital_code": "DMC001", "order_id": first.pk})
    page = client.get(url).content.decode()
    assert "Specimen collected (the whole panel)" in page and page.count("<tr>") == 6
    assert client.post(url, {"collect": "1"}).status_code == 302
    typed = [(HB, "131", "g/L"), (WBC, "5000", "10*9/L"), (PLT, "250", "10*9/L")]
    posted = {f"value_{code}": value for code, value, _ in typed} | {f"unit_{c}": u for c, _, u in typed}
    refused = client.post(url, posted)
    assert refused.status_code == 400 and "WBC of 5000" in refused.content.decode()
    assert client.post(url, {**posted, f"value_{WBC}": "7.2"}).status_code == 302
    with hospital_context("DMC001"):
        assert LabResult.objects.count() == 3
        assert LabOrder.objects.filter(status=LabOrder.Status.COLLECTED).count() == 2
