import datetime
import re

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hms.orders import services
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.orders.tests.factories import LabOrderFactory, LabResultFactory, PrescriptionFactory
from hms.orders.tests.helpers import PRESCRIPTION, ordered, prescribe, resulted
from hms.tenancy.context import hospital_context

# Only the junk-id test writes paths by hand: reverse() cannot make a URL the resolver refuses.
BASE = "/h/DMC001/orders"


def _url(name, **kwargs):
    return reverse(f"orders:{name}", kwargs={"hospital_code": "DMC001", **kwargs})


def _body(response):
    return response.content.decode()


# Prescribing


@pytest.mark.django_db
def test_the_prescribing_form_prescribes_and_goes_back_to_the_visit(client, doctor, encounter, patient):
    client.force_login(doctor)
    url = _url("prescription-new", encounter_id=encounter.pk)
    form = client.get(url)
    assert form.status_code == 200
    assert patient.mrn in _body(form) and 'name="drug_name"' in _body(form)
    assert "TDS: three times a day" in _body(form)

    response = client.post(url, PRESCRIPTION)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "encounters:detail", kwargs={"hospital_code": "DMC001", "encounter_id": encounter.pk}
    )
    with hospital_context("DMC001"):
        assert Prescription.objects.get().drug_name == "Paracetamol"
    visit = _body(client.get(response["Location"]))
    assert f"Prescribed Paracetamol for {patient.given_name} {patient.family_name}." in visit
    banner = visit.split('class="patient-banner"', 1)[1].split("</section>", 1)[0]
    assert "Paracetamol" in banner  # among the current medicines
    listed = client.get(_url("patient-prescriptions", patient_id=patient.pk))
    assert listed.status_code == 200
    assert "Paracetamol" in _body(listed) and "Active" in _body(listed)
    assert "Reason to stop" in _body(listed)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "junk", "message"),
    [
        ("dose", "lots", "must be a number"),
        ("duration_days", "", "how many days"),
        ("frequency", "whenever", "Choose a frequency"),
        ("dose_unit", "<script>alert(1)</script>", "Choose a dose unit"),
    ],
)
def test_bad_prescriptions_answer_400_with_the_message_and_keep_what_was_typed(
    client, doctor, encounter, field, junk, message
):
    client.force_login(doctor)
    response = client.post(
        _url("prescription-new", encounter_id=encounter.pk),
        {**PRESCRIPTION, field: junk, "drug_name": "Amoxi<b>cillin</b>"},
    )
    assert response.status_code == 400
    body = _body(response)
    assert message in body
    assert "Amoxi&lt;b&gt;cillin&lt;/b&gt;" in body
    assert "<script>alert" not in body
    with hospital_context("DMC001"):
        assert not Prescription.objects.exists()


@pytest.mark.django_db
def test_a_closed_encounter_shows_why_instead_of_the_form(client, colleague, earlier_encounter):
    now = timezone.now()
    with hospital_context("DMC001"):
        type(earlier_encounter).objects.filter(pk=earlier_encounter.pk).update(
            started_at=now - datetime.timedelta(days=3), ended_at=now - datetime.timedelta(days=2)
        )
    client.force_login(colleague)
    response = client.get(_url("prescription-new", encounter_id=earlier_encounter.pk))
    assert response.status_code == 200
    assert "more than 24 hours ago" in _body(response) and 'name="drug_name"' not in _body(response)
    refused = client.post(_url("prescription-new", encounter_id=earlier_encounter.pk), PRESCRIPTION)
    assert refused.status_code == 400 and "more than 24 hours ago" in _body(refused)


@pytest.mark.django_db
def test_stop_and_void_from_the_list(client, doctor, encounter, patient):
    with hospital_context("DMC001"):
        first = prescribe(doctor, encounter)
        second = prescribe(doctor, encounter, drug_name="Ibuprofen")
    client.force_login(doctor)
    list_url = _url("patient-prescriptions", patient_id=patient.pk)

    refused = client.post(
        _url("prescription-stop", prescription_id=first.pk), {"reason": " ", "back": list_url}
    )
    assert refused.status_code == 400
    assert "Give a reason for stopping" in _body(refused) and f'href="{list_url}"' in _body(refused)
    outside = client.post(
        _url("prescription-stop", prescription_id=first.pk), {"reason": "x", "back": "https://evil.example/"}
    )
    assert outside.status_code == 302  # stopped; the back link is only for refusals, and checked
    assert (
        client.post(
            _url("prescription-void", prescription_id=second.pk), {"reason": "wrong drug"}
        ).status_code
        == 302
    )
    assert client.get(_url("prescription-void", prescription_id=second.pk)).status_code == 405

    with hospital_context("DMC001"):
        assert Prescription.objects.get(pk=first.pk).status == "stopped"
        assert Prescription.objects.get(pk=second.pk).is_voided
    body = _body(client.get(list_url))
    assert "Paracetamol" in body and "Ibuprofen" not in body
    assert "Ibuprofen" in _body(client.get(list_url, {"voided": "1"}))


@pytest.mark.django_db
def test_refusal_back_links_only_point_inside_the_site(client, doctor, encounter):
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
    client.force_login(doctor)
    for back in ("https://evil.example/", "javascript:alert(1)", "//evil.example/"):
        response = client.post(
            _url("prescription-stop", prescription_id=prescription.pk), {"reason": "", "back": back}
        )
        assert response.status_code == 400
        assert "evil.example" not in _body(response) and "javascript:" not in _body(response)


@pytest.mark.django_db
def test_a_patient_sees_their_own_prescriptions_without_buttons(
    client, doctor, patient_user, encounter, patient, other_patient
):
    with hospital_context("DMC001"):
        prescribe(doctor, encounter)
    client.force_login(patient_user)
    response = client.get(_url("patient-prescriptions", patient_id=patient.pk))
    assert response.status_code == 200
    assert "Paracetamol" in _body(response)
    assert "Reason to stop" not in _body(response) and "Void" not in _body(response)
    assert client.get(_url("patient-prescriptions", patient_id=other_patient.pk)).status_code == 404


# Lab pages


@pytest.mark.django_db
def test_the_lab_order_form_offers_the_catalogue_and_orders_a_panel(client, doctor, encounter, patient):
    client.force_login(doctor)
    url = _url("lab-order-new", encounter_id=encounter.pk)
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="58410-2"' in _body(form) and "CBC: Complete blood count" in _body(form)
    assert "LOINC 718-7" in _body(form)

    response = client.post(url, {"test_code": "CBC", "priority": "stat", "clinical_note": "pale"})

    assert response.status_code == 302
    assert response["Location"] == _url("patient-lab-results", patient_id=patient.pk)
    with hospital_context("DMC001"):
        assert LabOrder.objects.filter(priority="stat", panel_code="58410-2").count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["NOPE", "", "<script>alert(1)</script>", "718-7' OR 1=1 --"])
def test_an_unknown_test_code_answers_400(client, doctor, encounter, code):
    client.force_login(doctor)
    response = client.post(_url("lab-order-new", encounter_id=encounter.pk), {"test_code": code})
    assert response.status_code == 400
    assert "catalogue" in _body(response)
    assert "<script>alert" not in _body(response)
    with hospital_context("DMC001"):
        assert not LabOrder.objects.exists()


@pytest.mark.django_db
def test_collect_enter_and_verify_through_the_pages(client, doctor, nurse, encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter, "2823-3")
    order_url = _url("lab-order", order_id=order.pk)
    client.force_login(nurse)
    page = client.get(order_url)
    assert page.status_code == 200 and "Specimen collected" in _body(page)
    assert client.post(_url("lab-order-collect", order_id=order.pk)).status_code == 302
    entry = client.get(order_url)
    assert 'name="value"' in _body(entry) and 'value="mmol/L"' in _body(entry)

    bad = client.post(_url("lab-result-enter", order_id=order.pk), {"value": "four", "unit": "mmol/L"})
    assert bad.status_code == 400
    assert "takes a number" in _body(bad) and 'value="four"' in _body(bad)
    wrong_unit = client.post(_url("lab-result-enter", order_id=order.pk), {"value": "4", "unit": "mg/dL"})
    assert wrong_unit.status_code == 400 and "cannot be given in" in _body(wrong_unit)
    assert (
        client.post(
            _url("lab-result-enter", order_id=order.pk), {"value": "6.8", "unit": "mEq/L"}
        ).status_code
        == 302
    )

    with hospital_context("DMC001"):
        result = LabResult.objects.get()
    assert result.flag == "HH"
    assert (
        client.post(_url("lab-result-verify", result_id=result.pk)).status_code == 403
    )  # nurses do not verify

    client.force_login(doctor)
    shown = client.get(order_url)
    assert "Verify result" in _body(shown) and 'class="flag-HH"' in _body(shown)
    assert client.post(_url("lab-result-verify", result_id=result.pk)).status_code == 302
    with hospital_context("DMC001"):
        assert LabOrder.objects.get().status == "verified"


@pytest.mark.django_db
def test_verifying_your_own_entry_answers_400_with_the_rule(client, doctor, encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        services.lab_order_collect(acting_user=doctor, order_id=order.pk)
        result = services.lab_result_enter(acting_user=doctor, order_id=order.pk, value="13", unit="g/dL")
    client.force_login(doctor)
    response = client.post(
        _url("lab-result-verify", result_id=result.pk), {"back": _url("lab-order", order_id=order.pk)}
    )
    assert response.status_code == 400
    assert "four-eyes" in _body(response)
    page = _body(client.get(_url("lab-order", order_id=order.pk)))
    assert "Verify result" not in page and "another doctor must verify it" in page


@pytest.mark.django_db
def test_a_bad_correction_is_shown_on_the_order_page(client, doctor, nurse, encounter):
    with hospital_context("DMC001"):
        result = resulted(doctor, nurse, encounter, "13")
        services.lab_result_verify(acting_user=doctor, result_id=result.pk)
    client.force_login(nurse)
    url = _url("lab-result-correct", result_id=result.pk)
    response = client.post(url, {"value": "12", "reason": "", "order_id": result.order_id})
    assert response.status_code == 400 and "Give a reason" in _body(response)
    response = client.post(url, {"value": "abc", "reason": "typo", "order_id": "junk"})
    assert response.status_code == 404
    assert (
        client.post(
            url, {"value": "12.5", "unit": "g/dL", "reason": "typo", "order_id": result.order_id}
        ).status_code
        == 302
    )
    with hospital_context("DMC001"):
        assert LabResult.objects.count() == 2


@pytest.mark.django_db
def test_the_patients_results_page_highlights_flags_and_shows_a_patient_only_verified_results(
    client, doctor, nurse, patient_user, encounter, patient, other_patient
):
    with hospital_context("DMC001"):
        critical = resulted(doctor, nurse, encounter, "2.1", code="2823-3")
        services.lab_result_verify(acting_user=doctor, result_id=critical.pk)
        high = resulted(doctor, nurse, encounter, "16.4")
        services.lab_result_verify(acting_user=doctor, result_id=high.pk)
        resulted(doctor, nurse, encounter, "177", code="2345-7")  # not verified
    url = _url("patient-lab-results", patient_id=patient.pk)

    client.force_login(nurse)
    staff_view = _body(client.get(url))
    assert 'class="flag-LL"' in staff_view and 'class="flag-H"' in staff_view
    assert "177 mg/dL" in staff_view and "awaiting verification" in staff_view

    client.force_login(patient_user)
    response = client.get(url)
    assert response.status_code == 200
    own_view = _body(response)
    assert "2.1 mmol/L" in own_view and 'class="flag-LL"' in own_view
    assert "16.4 g/dL" in own_view
    assert "177" not in own_view and "Result not yet available" in own_view
    # tests by the names people use, not LOINC's long names or codes
    assert "<td>Potassium<br>" in own_view and "Glucose" in own_view
    assert "Potassium [Moles/volume]" not in own_view and "LOINC" not in own_view
    assert client.get(_url("patient-lab-results", patient_id=other_patient.pk)).status_code == 404


@pytest.mark.django_db
def test_pages_show_times_in_the_hospitals_time_zone(client, doctor, nurse, encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        LabOrder.objects.filter(pk=order.pk).update(
            ordered_at=datetime.datetime(2025, 3, 1, 20, 30, tzinfo=datetime.UTC)
        )
    client.force_login(nurse)
    body = _body(client.get(_url("lab-order", order_id=order.pk)))
    assert "2025-03-02 02:30" in body  # Asia/Dhaka is UTC+6


@pytest.mark.django_db
def test_the_worklist_page(client, doctor, nurse, encounter):
    with hospital_context("DMC001"):
        resulted(doctor, nurse, encounter, "25", code="2345-7")
        ordered(doctor, encounter, "2951-2", priority="stat")
    client.force_login(nurse)
    response = client.get(_url("lab-worklist"))
    assert response.status_code == 200
    body = _body(response)
    assert body.index("Glucose") < body.index("Sodium")  # the critical result first
    assert 'class="flag-LL"' in body
    assert client.get(_url("lab-worklist"), {"page": "abc"}).status_code == 200
    junk_stage = client.get(_url("lab-worklist"), {"stage": "<b>all</b>"})
    assert junk_stage.status_code == 400 and "Unknown worklist stage" in _body(junk_stage)
    only_collect = _body(client.get(_url("lab-worklist"), {"stage": "collect"}))
    assert "Sodium" in only_collect and "Glucose" not in only_collect


# Refusals and junk: never a 500


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["receptionist", "admin", "patient_user"])
def test_roles_without_rights_get_403_on_staff_pages(client, request, encounter, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url("prescription-new", encounter_id=encounter.pk)).status_code == 403
    assert client.get(_url("lab-order-new", encounter_id=encounter.pk)).status_code == 403
    assert client.get(_url("lab-worklist")).status_code == 403


@pytest.mark.django_db
def test_a_doctor_not_in_care_gets_404(client, doctor, nurse, outsider, encounter, patient):
    with hospital_context("DMC001"):
        prescription = prescribe(doctor, encounter)
        result = resulted(doctor, nurse, encounter, "13")
    client.force_login(outsider)
    for url in (
        _url("prescription-new", encounter_id=encounter.pk),
        _url("lab-order-new", encounter_id=encounter.pk),
        _url("patient-prescriptions", patient_id=patient.pk),
        _url("patient-lab-results", patient_id=patient.pk),
        _url("lab-order", order_id=result.order_id),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        _url("prescription-stop", prescription_id=prescription.pk),
        _url("lab-order-cancel", order_id=result.order_id),
        _url("lab-result-verify", result_id=result.pk),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404, url


JUNK_IDS = ["abc", "0", "-1", "1.5", "99999999999999999999999", "%27%20OR%201%3D1", "%00"]


@pytest.mark.django_db
@pytest.mark.parametrize("junk", JUNK_IDS)
def test_junk_ids_answer_404_never_500(client, doctor, junk):
    client.force_login(doctor)
    gets = [
        f"encounters/{junk}/prescriptions/new/",
        f"encounters/{junk}/lab-orders/new/",
        f"patients/{junk}/prescriptions/",
        f"patients/{junk}/lab/",
        f"lab/orders/{junk}/",
    ]
    posts = [
        f"encounters/{junk}/prescriptions/new/",
        f"encounters/{junk}/lab-orders/new/",
        f"prescriptions/{junk}/stop/",
        f"prescriptions/{junk}/complete/",
        f"prescriptions/{junk}/void/",
        f"lab/orders/{junk}/collect/",
        f"lab/orders/{junk}/result/",
        f"lab/orders/{junk}/cancel/",
        f"lab/orders/{junk}/void/",
        f"lab/results/{junk}/verify/",
        f"lab/results/{junk}/correct/",
    ]
    for path in gets:
        assert client.get(f"{BASE}/{path}").status_code == 404, path
    for path in posts:
        response = client.post(f"{BASE}/{path}", {"reason": "x", "value": "1", "test_code": "718-7"})
        assert response.status_code == 404, path


@pytest.mark.django_db
def test_junk_form_values_answer_400_never_500(client, doctor, nurse, encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        prescription = prescribe(doctor, encounter)
    client.force_login(doctor)
    long_text = "9" * 5000
    prescribing = _url("prescription-new", encounter_id=encounter.pk)
    ordering = _url("lab-order-new", encounter_id=encounter.pk)
    result = _url("lab-result-enter", order_id=order.pk)
    cases = [
        (prescribing, {"dose": long_text}),
        (prescribing, {**PRESCRIPTION, "duration_days": long_text}),
        (prescribing, {**PRESCRIPTION, "quantity": "1e400"}),
        (ordering, {"test_code": long_text}),
        (ordering, {"test_code": "718-7", "priority": long_text}),
        (result, {"value": long_text}),
        (result, {"value": "Infinity"}),
        (result, {"value": "1", "unit": long_text}),
        (_url("prescription-stop", prescription_id=prescription.pk), {"reason": long_text}),
        (_url("lab-order-cancel", order_id=order.pk), {"reason": ""}),
    ]
    for url, data in cases:
        response = client.post(url, data)
        assert response.status_code == 400, (url, response.status_code)
    with hospital_context("DMC001"):
        assert Prescription.objects.count() == 1 and LabOrder.objects.count() == 1
        assert not LabResult.objects.exists()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(_url("lab-worklist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_order_page_shows_only_what_each_role_may_do(client, doctor, nurse, patient_user, encounter):
    with hospital_context("DMC001"):
        result = resulted(doctor, nurse, encounter, "13")
    url = _url("lab-order", order_id=result.order_id)
    client.force_login(nurse)
    nurse_view = _body(client.get(url))
    assert "Verify result" not in nurse_view and "Void order" not in nurse_view
    assert "Correct the result" in nurse_view
    client.force_login(patient_user)
    patient_view = _body(client.get(url))
    assert "Correct the result" not in patient_view and "13 g/dL" not in patient_view
    assert re.search(r"No result yet", patient_view)


# Query counts: a list page costs the same whatever the number of rows it shows


def _page_queries(client, url, alias):
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as shared,
        CaptureQueriesContext(connections[alias]) as hospital,
    ):
        response = client.get(url)
    assert response.status_code == 200
    assert len(hospital) > 0
    return len(shared), len(hospital)


def _orders_of_every_kind(encounter, doctor, nurse, n):
    """n prescriptions, n resulted lab orders and n awaiting collection, for the patient in care."""
    for _ in range(n):
        PrescriptionFactory(encounter=encounter, prescriber_id=doctor.pk)
        LabResultFactory(order__encounter=encounter, order__ordered_by_id=doctor.pk, entered_by_id=nurse.pk)
        LabOrderFactory(encounter=encounter, ordered_by_id=doctor.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["patient-prescriptions", "patient-lab-results", "lab-worklist"])
def test_list_pages_cost_the_same_queries_for_n_rows_or_3n(client, doctor, nurse, patient, encounter, page):
    url = _url(page) if page == "lab-worklist" else _url(page, patient_id=patient.pk)
    client.force_login(doctor)
    with hospital_context("DMC001") as tenant:
        _orders_of_every_kind(encounter, doctor, nurse, 2)
    few = _page_queries(client, url, tenant.alias)
    with hospital_context("DMC001"):
        _orders_of_every_kind(encounter, doctor, nurse, 4)
        assert LabOrder.objects.count() == 12 and Prescription.objects.count() == 6
    assert _page_queries(client, url, tenant.alias) == few


@pytest.mark.django_db
def test_a_result_corrected_before_verification_no_longer_reads_awaiting_verification(
    client, doctor, nurse, encounter
):
    with hospital_context("DMC001"):
        first = resulted(doctor, nurse, encounter, "13")
        services.lab_result_correct(
            acting_user=nurse, result_id=first.pk, value="12.5", unit="g/dL", reason="typo"
        )
    client.force_login(nurse)
    page = _body(client.get(_url("lab-order", order_id=first.order_id)))
    assert page.count("<em>awaiting verification</em>") == 1  # the correction, not the value it replaced
    assert "not verified (superseded by a correction)" in page
