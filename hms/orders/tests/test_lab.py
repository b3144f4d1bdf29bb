from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.orders import selectors, services
from hms.orders.lab_catalogue import PANELS
from hms.orders.models import LabOrder, LabResult
from hms.orders.tests.helpers import ordered, prescribe, resulted
from hms.tenancy.context import hospital_context

D = Decimal


def _nothing_ordered():
    return not LabOrder.objects.exists() and not AuditEvent.objects.exists()


# Ordering


@pytest.mark.django_db
def test_a_doctor_orders_a_test_in_an_encounter_and_it_is_audited(doctor, encounter, patient):
    with hospital_context("DMC001"):
        [order] = services.lab_order_create(
            acting_user=doctor,
            encounter_id=encounter.pk,
            test_code=" 2823-3 ",
            priority="urgent",
            clinical_note="on furosemide",
            client_address="10.1.1.1",
        )
        stored = LabOrder.objects.get()
        event = AuditEvent.objects.get()
    assert stored.pk == order.pk
    assert (stored.test_code, stored.panel_code, stored.priority, stored.status) == (
        "2823-3",
        "",
        "urgent",
        "ordered",
    )
    assert stored.test_name.startswith("Potassium")
    assert (stored.patient_id, stored.ordered_by_id, stored.clinical_note) == (
        patient.pk,
        doctor.pk,
        "on furosemide",
    )
    assert (event.action, event.patient_id, event.client_address) == (
        "lab_order.create",
        patient.pk,
        "10.1.1.1",
    )
    assert event.detail["order_ids"] == [order.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["58410-2", "CBC", "cbc"])
def test_a_panel_makes_one_order_per_member_test(doctor, encounter, code):
    with hospital_context("DMC001"):
        orders = services.lab_order_create(acting_user=doctor, encounter_id=encounter.pk, test_code=code)
        stored = list(LabOrder.objects.order_by("id"))
        event = AuditEvent.objects.get()
    members = list(PANELS["58410-2"].members)
    assert [o.test_code for o in stored] == members
    assert {o.panel_code for o in stored} == {"58410-2"}
    assert event.detail["order_ids"] == [o.pk for o in orders] and len(orders) == len(members)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "priority", "field"),
    [
        ("", "routine", "test_code"),
        ("NOPE", "routine", "test_code"),
        ("<b>x</b>", "routine", "test_code"),
        ("718-7", "whenever", "priority"),
    ],
)
def test_unknown_tests_and_priorities_are_refused(doctor, encounter, code, priority, field):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError) as raised:
            services.lab_order_create(
                acting_user=doctor, encounter_id=encounter.pk, test_code=code, priority=priority
            )
        assert field in raised.value.details
        assert _nothing_ordered()


@pytest.mark.django_db
def test_who_may_order_tests(nurse, receptionist, patient_user, admin, outsider, doctor, encounter):
    with hospital_context("DMC001"):
        for who in (nurse, receptionist, patient_user, admin):
            with pytest.raises(NotAllowed):
                ordered(who, encounter)
        with pytest.raises(NotFound):
            ordered(outsider, encounter)
        with pytest.raises(NotFound):
            services.lab_order_create(acting_user=doctor, encounter_id="x", test_code="718-7")
        assert _nothing_ordered()


# Collecting and entering results


@pytest.mark.django_db
def test_collect_then_result_then_verify(doctor, nurse, encounter, patient):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        with pytest.raises(ApplicationError, match="mark it collected first"):
            services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="13", unit="g/dL")
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        order.refresh_from_db()
        assert (order.status, order.collected_by_id) == ("collected", nurse.pk)
        with pytest.raises(ApplicationError, match="already specimen collected"):
            services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        result = services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="13.2", unit="g/dL")
        order.refresh_from_db()
        assert order.status == "resulted"
        stored = LabResult.objects.get()
        assert (stored.value_numeric, stored.unit, stored.flag) == (D("13.2"), "g/dL", "N")
        assert (stored.reference_low, stored.reference_high) == (
            D("12.0"),
            D("15.5"),
        )  # the patient is female
        assert (stored.critical_low, stored.critical_high) == (D("7.0"), D("20.0"))
        assert stored.reference_text == "12.0\u201315.5 g/dL"
        assert (stored.entered_by_id, stored.verified_at) == (nurse.pk, None)
        with pytest.raises(ApplicationError, match="already has a result"):
            services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="13.0", unit="g/dL")
        services.lab_result_verify(acting_user=doctor, result_id=result.pk)
        order.refresh_from_db()
        stored.refresh_from_db()
        assert order.status == "verified"
        assert stored.verified_by_id == doctor.pk and stored.verified_at is not None
        actions = list(AuditEvent.objects.order_by("id").values_list("action", "patient_id"))
    assert actions == [
        ("lab_order.create", patient.pk),
        ("lab_order.collect", patient.pk),
        ("lab_result.enter", patient.pk),
        ("lab_result.verify", patient.pk),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "flag"),
    [("4.0", "N"), ("3.5", "N"), ("3.2", "L"), ("5.6", "H"), ("2.7", "LL"), ("6.5", "HH")],
)
def test_the_flag_comes_from_the_reference_and_critical_ranges(doctor, nurse, encounter, value, flag):
    with hospital_context("DMC001"):
        result = resulted(doctor, nurse, encounter, value, code="2823-3")
        assert LabResult.objects.get(pk=result.pk).flag == flag


@pytest.mark.django_db
def test_sex_specific_ranges_use_the_patients_sex(outsider, nurse, other_encounter):
    with hospital_context("DMC001"):
        order = ordered(outsider, other_encounter)  # `other` is male
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        result = services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="13.0", unit="g/dL")
    assert result.flag == "L"
    assert (result.reference_low, result.reference_high) == (D("13.5"), D("17.5"))


@pytest.mark.django_db
def test_a_value_is_stored_in_its_unit_with_that_units_loinc_code_and_flagged_in_the_ranges_unit(
    doctor, nurse, encounter
):
    with hospital_context("DMC001"):
        si = resulted(doctor, nurse, encounter, "6.1", code="2345-7", unit="mmol/L")
        mass = resulted(doctor, nurse, encounter, "110", code="2345-7", unit="mg/dL")
        spelled = resulted(doctor, nurse, encounter, "7200", code="6690-2", unit="/uL")
    # 6.1 mmol/L = 109.9 mg/dL, above the fasting 99 mg/dL: the limits are shown in mmol/L
    assert (si.value_numeric, si.unit, si.loinc_code, si.flag) == (D("6.1"), "mmol/L", "14749-6", "H")
    assert (si.reference_low, si.reference_high, si.critical_high) == (D("3.89"), D("5.5"), D("22.2"))
    assert si.reference_text == "3.89\u20135.5 mmol/L"
    assert (si.entered_value, si.entered_unit) == ("6.1", "mmol/L")
    assert (mass.value_numeric, mass.unit, mass.loinc_code, mass.flag) == (D("110"), "mg/dL", "2345-7", "H")
    # another spelling or scale of a unit is stored in that unit, as the same code
    assert (spelled.value_numeric, spelled.unit, spelled.loinc_code) == (D("7.2"), "10*3/uL", "6690-2")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "unit", "field", "message"),
    [
        ("high", "", "value", "takes a number"),
        ("13,5", "", "value", "takes a number"),
        ("", "", "value", "Enter the result"),
        ("   ", "", "value", "Enter the result"),
        ("-1", "", "value", "cannot be negative"),
        ("NaN", "", "value", "takes a number"),
        ("13.12345", "", "value", "at most 4 decimals"),
        ("9" * 20, "", "value", "too large"),
        ("9" * 100_000, "", "value", "must be a number"),
        ("8", "mmol/L", "unit", "cannot be given in"),
        ("8", "furlongs", "unit", "cannot be given in"),
        ("13.5", "", "unit", "Give the unit of the Hb result: this laboratory reports it in g/L"),
        ("13.5", "   ", "unit", "a number without its unit is not recorded"),
    ],
)
def test_bad_values_and_units_are_refused_and_nothing_is_written(
    doctor, nurse, encounter, value, unit, field, message
):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        events = AuditEvent.objects.count()
        with pytest.raises(ApplicationError, match=message) as raised:
            services.lab_result_enter(acting_user=nurse, order_id=order.pk, value=value, unit=unit)
        assert field in raised.value.details
        assert not LabResult.objects.exists()
        assert LabOrder.objects.get().status == "collected"
        assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_text_tests_take_one_of_their_answers(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        negative = resulted(doctor, nurse, encounter, "negative", code="5196-1")
        positive = resulted(doctor, nurse, encounter, "POSITIVE", code="5196-1")
        assert (negative.value_text, negative.flag, negative.value_numeric) == ("Negative", "N", None)
        assert (positive.value_text, positive.flag) == ("Positive", "A")
        order = ordered(doctor, encounter, "882-1")
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        with pytest.raises(ApplicationError, match="one of") as raised:
            services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="purple")
        assert "value" in raised.value.details
        with pytest.raises(ApplicationError, match="no unit"):
            services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="O Rh+", unit="mg")
        group = services.lab_result_enter(acting_user=nurse, order_id=order.pk, value="o rh+")
        assert (group.value_text, group.flag) == ("O Rh+", "")


@pytest.mark.django_db
def test_who_may_collect_and_enter_results(
    doctor, receptionist, patient_user, admin, outsider, nurse, encounter
):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        for who in (receptionist, patient_user, admin):
            with pytest.raises(NotAllowed):
                services.lab_order_collect(acting_user=who, order_id=order.pk)
        with pytest.raises(NotFound):
            services.lab_order_collect(acting_user=outsider, order_id=order.pk)
        for junk in ("abc", 0, -3, None, "9" * 30):
            with pytest.raises(NotFound):
                services.lab_order_collect(acting_user=nurse, order_id=junk)
        # A doctor caring for the patient may collect and enter results too.
        services.lab_order_collect(acting_user=doctor, order_id=order.pk)
        with pytest.raises(NotFound):
            services.lab_result_enter(acting_user=outsider, order_id=order.pk, value="13", unit="g/dL")
        services.lab_result_enter(acting_user=doctor, order_id=order.pk, value="13", unit="g/dL")


# Verification


@pytest.mark.django_db
def test_the_same_person_cannot_verify_their_own_entry(doctor, colleague, encounter, earlier_encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        services.lab_order_collect(acting_user=doctor, order_id=order.pk)
        result = services.lab_result_enter(acting_user=doctor, order_id=order.pk, value="13", unit="g/dL")
        with pytest.raises(ApplicationError, match="four-eyes"):
            services.lab_result_verify(acting_user=doctor, result_id=result.pk)
        assert LabResult.objects.get().verified_at is None
        services.lab_result_verify(acting_user=colleague, result_id=result.pk)
        assert LabResult.objects.get().verified_by_id == colleague.pk


@pytest.mark.django_db
def test_the_database_holds_the_four_eyes_rule_too(doctor, nurse, encounter):
    with hospital_context("DMC001") as tenant:
        result = resulted(doctor, nurse, encounter, "13")
        with pytest.raises(IntegrityError), transaction.atomic(using=tenant.alias):
            LabResult.objects.filter(pk=result.pk).update(
                verified_by_id=nurse.pk, verified_at=result.entered_at
            )


@pytest.mark.django_db
def test_who_may_verify(
    doctor, nurse, receptionist, patient_user, admin, outsider, colleague, encounter, earlier_encounter
):
    with hospital_context("DMC001"):
        result = resulted(doctor, nurse, encounter, "13")
        for who in (nurse, receptionist, patient_user, admin):
            with pytest.raises(NotAllowed):
                services.lab_result_verify(acting_user=who, result_id=result.pk)
        with pytest.raises(NotFound):
            services.lab_result_verify(acting_user=outsider, result_id=result.pk)
        with pytest.raises(NotFound):
            services.lab_result_verify(acting_user=doctor, result_id="1 or 1=1")
        services.lab_result_verify(acting_user=doctor, result_id=result.pk)
        with pytest.raises(ApplicationError, match="already verified"):
            services.lab_result_verify(acting_user=colleague, result_id=result.pk)


# Immutability and corrections


@pytest.mark.django_db
def test_a_verified_result_cannot_be_changed_or_deleted_in_the_database(
    doctor, nurse, colleague, encounter, earlier_encounter
):
    with hospital_context("DMC001") as tenant:
        result = resulted(doctor, nurse, encounter, "13")
        # Before verification the database does not freeze it (the services never change values anyway).
        LabResult.objects.filter(pk=result.pk).update(comment="haemolysed?")
        services.lab_result_verify(acting_user=doctor, result_id=result.pk)
        for change in (
            {"value_numeric": D("9.9")},
            {"flag": "L"},
            {"unit": "g/L"},
            {"loinc_code": "14749-6"},
            {"reference_note": "changed"},
            {"egfr": 90},
            {"egfr_note": "changed"},
            {"verified_by_id": colleague.pk},
            {"comment": "changed"},
        ):
            with pytest.raises(DatabaseError), transaction.atomic(using=tenant.alias):
                LabResult.objects.filter(pk=result.pk).update(**change)
        with pytest.raises(DatabaseError), transaction.atomic(using=tenant.alias):
            LabResult.objects.filter(pk=result.pk).delete()
        stored = LabResult.objects.get(pk=result.pk)
    assert (stored.value_numeric, stored.flag, stored.comment) == (D("13"), "N", "haemolysed?")


@pytest.mark.django_db
def test_a_correction_supersedes_the_verified_result_and_keeps_it(
    doctor, nurse, colleague, patient_user, encounter, patient, earlier_encounter
):
    with hospital_context("DMC001"):
        first = resulted(doctor, nurse, encounter, "13")
        services.lab_result_verify(acting_user=doctor, result_id=first.pk)
        with pytest.raises(ApplicationError, match="reason"):
            services.lab_result_correct(
                acting_user=nurse, result_id=first.pk, value="6.5", unit="g/dL", reason=" "
            )
        correction = services.lab_result_correct(
            acting_user=nurse, result_id=first.pk, value="6.5", reason="sample mix-up", unit="g/dL"
        )
        old = LabResult.objects.get(pk=first.pk)
        new = LabResult.objects.get(pk=correction.pk)
        order = LabOrder.objects.get()
        assert (old.value_numeric, old.flag, old.verified_by_id) == (D("13"), "N", doctor.pk)
        assert old.superseded_at is not None and not old.is_current
        assert (new.value_numeric, new.flag, new.supersedes_id, new.correction_reason) == (
            D("6.5"),
            "LL",
            old.pk,
            "sample mix-up",
        )
        assert new.verified_at is None and order.status == "resulted"
        event = AuditEvent.objects.filter(action="lab_result.correct").get()
        assert event.detail["supersedes_id"] == old.pk and event.patient_id == patient.pk
        # The old one is history now: neither verified again nor corrected again.
        with pytest.raises(ApplicationError, match="corrected"):
            services.lab_result_correct(
                acting_user=nurse, result_id=old.pk, value="7", unit="g/dL", reason="x"
            )
        with pytest.raises(ApplicationError, match="corrected"):
            services.lab_result_verify(acting_user=colleague, result_id=old.pk)
        # Until the correction is verified, the patient sees no result at all.
        as_patient = selectors.lab_orders_for_patient(user=patient_user, patient_id=patient.pk)
        assert as_patient.page.object_list[0].visible_results == []
        services.lab_result_verify(acting_user=doctor, result_id=new.pk)
        as_patient = selectors.lab_orders_for_patient(user=patient_user, patient_id=patient.pk)
        assert [r.pk for r in as_patient.page.object_list[0].visible_results] == [new.pk]
        as_staff = selectors.lab_orders_for_patient(user=nurse, patient_id=patient.pk)
        assert [r.pk for r in as_staff.page.object_list[0].visible_results] == [new.pk, old.pk]


@pytest.mark.django_db
def test_the_person_who_corrected_cannot_verify_the_correction(
    doctor, nurse, colleague, encounter, earlier_encounter
):
    with hospital_context("DMC001"):
        first = resulted(doctor, nurse, encounter, "13")
        correction = services.lab_result_correct(
            acting_user=doctor, result_id=first.pk, value="12", unit="g/dL", reason="typo"
        )
        with pytest.raises(ApplicationError, match="four-eyes"):
            services.lab_result_verify(acting_user=doctor, result_id=correction.pk)
        services.lab_result_verify(acting_user=colleague, result_id=correction.pk)


# Cancelling and voiding


@pytest.mark.django_db
def test_an_order_without_a_result_is_cancelled_with_a_reason(doctor, nurse, encounter):
    with hospital_context("DMC001"):
        order = ordered(doctor, encounter)
        with pytest.raises(NotAllowed):
            services.lab_order_cancel(acting_user=nurse, order_id=order.pk, reason="x")
        with pytest.raises(ApplicationError, match="reason"):
            services.lab_order_cancel(acting_user=doctor, order_id=order.pk, reason="")
        services.lab_order_cancel(acting_user=doctor, order_id=order.pk, reason="duplicate")
        stored = LabOrder.objects.get()
        assert (stored.status, stored.cancel_reason, stored.cancelled_by_id) == (
            "cancelled",
            "duplicate",
            doctor.pk,
        )
        with pytest.raises(ApplicationError, match="cancelled"):
            services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        resulted_order = resulted(doctor, nurse, encounter, "13").order
        with pytest.raises(ApplicationError, match="already has a result"):
            services.lab_order_cancel(acting_user=doctor, order_id=resulted_order.pk, reason="x")


@pytest.mark.django_db
def test_a_voided_order_keeps_its_rows_leaves_every_list_and_takes_no_work(
    doctor, nurse, colleague, patient_user, encounter, patient, earlier_encounter
):
    with hospital_context("DMC001"):
        result = resulted(doctor, nurse, encounter, "13")
        order_id = result.order_id
        with pytest.raises(NotAllowed):
            services.lab_order_void(acting_user=nurse, order_id=order_id, reason="x")
        with pytest.raises(ApplicationError, match="reason"):
            services.lab_order_void(acting_user=doctor, order_id=order_id, reason=" ")
        services.lab_order_void(acting_user=doctor, order_id=order_id, reason="wrong patient")
        order = LabOrder.objects.get()
        assert (order.void_reason, order.voided_by_id, order.status) == (
            "wrong patient",
            doctor.pk,
            "resulted",
        )
        assert LabResult.objects.count() == 1
        with pytest.raises(ApplicationError, match="already voided"):
            services.lab_order_void(acting_user=doctor, order_id=order_id, reason="x")
        with pytest.raises(ApplicationError, match="voided"):
            services.lab_result_verify(acting_user=colleague, result_id=result.pk)
        with pytest.raises(ApplicationError, match="voided"):
            services.lab_result_correct(
                acting_user=nurse, result_id=result.pk, value="1", unit="g/dL", reason="x"
            )
        assert list(selectors.lab_worklist(user=nurse).object_list) == []
        listed = selectors.lab_orders_for_patient(user=doctor, patient_id=patient.pk)
        assert list(listed.page.object_list) == []
        with_voided = selectors.lab_orders_for_patient(
            user=doctor, patient_id=patient.pk, include_voided=True
        )
        assert [o.pk for o in with_voided.page.object_list] == [order_id]
        with pytest.raises(NotFound):
            selectors.lab_order_detail(user=patient_user, order_id=order_id)
        assert selectors.lab_order_detail(user=doctor, order_id=order_id).is_voided


# Selectors


@pytest.mark.django_db
def test_a_patient_sees_their_orders_but_only_verified_results(
    doctor, nurse, patient_user, other_patient_user, outsider, receptionist, encounter, patient
):
    with hospital_context("DMC001"):
        verified = resulted(doctor, nurse, encounter, "13")
        services.lab_result_verify(acting_user=doctor, result_id=verified.pk)
        pending = resulted(doctor, nurse, encounter, "5.9", code="2823-3")
        own = selectors.lab_orders_for_patient(user=patient_user, patient_id=patient.pk)
        by_order = {o.pk: [r.pk for r in o.visible_results] for o in own.page.object_list}
        assert by_order == {verified.order_id: [verified.pk], pending.order_id: []}
        detail = selectors.lab_order_detail(user=patient_user, order_id=pending.order_id)
        assert detail.visible_results == []
        staff = selectors.lab_orders_for_patient(user=nurse, patient_id=patient.pk)
        assert {o.pk: [r.pk for r in o.visible_results] for o in staff.page.object_list}[
            pending.order_id
        ] == [pending.pk]
        with pytest.raises(NotFound):
            selectors.lab_orders_for_patient(user=other_patient_user, patient_id=patient.pk)
        with pytest.raises(NotFound):
            selectors.lab_order_detail(user=other_patient_user, order_id=verified.order_id)
        with pytest.raises(NotFound):
            selectors.lab_orders_for_patient(user=outsider, patient_id=patient.pk)
        with pytest.raises(NotAllowed):
            selectors.lab_orders_for_patient(user=receptionist, patient_id=patient.pk)
        event = AuditEvent.objects.filter(action="lab_order.list", actor_id=patient_user.pk).get()
        assert event.patient_id == patient.pk
        assert event.detail["result_ids"] == [verified.pk]


@pytest.mark.django_db
def test_the_worklist_puts_abnormal_results_awaiting_verification_first(doctor, nurse, encounter, patient):
    with hospital_context("DMC001"):
        routine = ordered(doctor, encounter, "2951-2")
        stat = ordered(doctor, encounter, "2951-2", priority="stat")
        urgent_collected = ordered(doctor, encounter, "2951-2", priority="urgent")
        services.lab_order_collect(acting_user=nurse, order_id=urgent_collected.pk)
        normal = resulted(doctor, nurse, encounter, "4.0", code="2823-3")
        high = resulted(doctor, nurse, encounter, "5.5", code="2823-3")
        critical = resulted(doctor, nurse, encounter, "7.0", code="2823-3")
        done = resulted(doctor, nurse, encounter, "4.0", code="2823-3")
        services.lab_result_verify(acting_user=doctor, result_id=done.pk)
        cancelled = ordered(doctor, encounter)
        services.lab_order_cancel(acting_user=doctor, order_id=cancelled.pk, reason="x")
        page = selectors.lab_worklist(user=nurse, client_address="10.0.0.1")
        ids = [o.pk for o in page.object_list]
        assert ids == [
            critical.order_id,
            high.order_id,
            normal.order_id,
            stat.pk,
            urgent_collected.pk,
            routine.pk,
        ]
        assert page.object_list[0].current_results[0].flag == "HH"
        event = AuditEvent.objects.filter(action="lab_order.worklist").get()
        assert event.detail["order_ids"] == ids and event.detail["patient_ids"] == [patient.pk]
        assert event.patient_id is None
        to_verify = selectors.lab_worklist(user=doctor, stage="verify")
        assert [o.pk for o in to_verify.object_list] == [critical.order_id, high.order_id, normal.order_id]
        to_collect = selectors.lab_worklist(user=nurse, stage="collect")
        assert [o.pk for o in to_collect.object_list] == [stat.pk, routine.pk]
        with pytest.raises(ApplicationError, match="stage"):
            selectors.lab_worklist(user=nurse, stage="everything")


@pytest.mark.django_db
def test_the_worklist_is_for_nurses_and_doctors_and_a_doctor_sees_their_patients(
    doctor, outsider, nurse, receptionist, patient_user, admin, encounter, other_encounter
):
    with hospital_context("DMC001"):
        mine = ordered(doctor, encounter)
        theirs = ordered(outsider, other_encounter)
        assert [o.pk for o in selectors.lab_worklist(user=doctor).object_list] == [mine.pk]
        assert [o.pk for o in selectors.lab_worklist(user=outsider).object_list] == [theirs.pk]
        assert {o.pk for o in selectors.lab_worklist(user=nurse).object_list} == {mine.pk, theirs.pk}
        for who in (receptionist, patient_user, admin):
            with pytest.raises(NotAllowed, match="nurses and doctors"):
                selectors.lab_worklist(user=who)


def _queries(alias, read):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections[alias]) as captured:
        read()
    return len(captured)


@pytest.mark.django_db
def test_list_pages_cost_the_same_number_of_queries_for_one_order_or_many(doctor, nurse, encounter, patient):
    with hospital_context("DMC001") as tenant:
        resulted(doctor, nurse, encounter, "13")
        prescribe(doctor, encounter)

        def worklist():
            return list(selectors.lab_worklist(user=doctor).object_list)

        def patient_orders():
            return selectors.lab_orders_for_patient(user=doctor, patient_id=patient.pk)

        def prescriptions():
            return selectors.prescriptions_for_patient(user=doctor, patient_id=patient.pk)

        before = [_queries(tenant.alias, read) for read in (worklist, patient_orders, prescriptions)]
        for value in ("4.0", "5.9", "2.0"):
            resulted(doctor, nurse, encounter, value, code="2823-3")
        services.lab_order_create(acting_user=doctor, encounter_id=encounter.pk, test_code="CBC")
        for _ in range(3):
            prescribe(doctor, encounter, override_reason="Test: the same drug again")
        after = [_queries(tenant.alias, read) for read in (worklist, patient_orders, prescriptions)]
    assert after == before
