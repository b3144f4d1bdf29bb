import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.audit.models import AuditEvent
from hms.billing import selectors, services
from hms.billing.models import Invoice, Payment
from hms.billing.tests.conftest import CODE
from hms.billing.tests.factories import EncounterFactory
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context


def _issued(user, encounter, lines=(("CONS", "1"),)):
    invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
    for code, quantity in lines:
        services.invoice_line_add(
            acting_user=user, invoice_id=invoice.pk, item_code=code, quantity=Decimal(quantity)
        )
    return services.invoice_issue(acting_user=user, invoice_id=invoice.pk)


@pytest.mark.django_db
def test_invoice_detail_has_lines_payments_and_money_and_is_audited(
    receptionist, admin, encounter, patient, prices
):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter, [("CONS", "1"), ("PARA", "3")])  # 50.45
        services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("20"), method="cash"
        )
        bounced = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("5"), method="card"
        )
        services.payment_void(acting_user=admin, payment_id=bounced.pk, reason="declined")
        before = AuditEvent.objects.count()
        detail = selectors.invoice_detail(
            user=receptionist, invoice_id=str(invoice.pk), client_address="10.0.0.9"
        )
        with_voided = selectors.invoice_detail(user=receptionist, invoice_id=invoice.pk, include_voided=True)
        event = AuditEvent.objects.order_by("id")[before]
    assert [line.item_code for line in detail.lines] == ["CONS", "PARA"]
    assert (detail.total, detail.paid, detail.balance) == (
        Decimal("50.45"),
        Decimal("20.00"),
        Decimal("30.45"),
    )
    assert [p.amount for p in detail.payments] == [Decimal("20.00")]
    assert [p.amount for p in with_voided.payments] == [Decimal("20.00"), Decimal("5.00")]
    assert with_voided.paid == Decimal("20.00") and len(with_voided.live_payments) == 1
    assert detail.patient == patient
    assert detail.people[receptionist.pk] == "desk"
    assert (event.action, event.patient_id, event.client_address) == (
        "invoice.view",
        patient.pk,
        "10.0.0.9",
    )
    assert event.detail == {"invoice_id": invoice.pk, "number": invoice.number}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse"])
def test_doctors_and_nurses_see_no_invoices(request, receptionist, encounter, patient, prices, role):
    user = request.getfixturevalue(role)
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter)
        with pytest.raises(NotAllowed):
            selectors.invoice_detail(user=user, invoice_id=invoice.pk)
        with pytest.raises(NotAllowed):
            selectors.invoices_for_patient(user=user, patient_id=patient.pk)
        with pytest.raises(NotAllowed):
            selectors.outstanding_invoices(user=user)
        with pytest.raises(NotAllowed):
            selectors.invoice_for_encounter(user=user, encounter_id=encounter.pk)


@pytest.mark.django_db
def test_a_patient_sees_their_own_issued_invoices_only(
    patient_user, receptionist, doctor, admin, encounter, other_encounter, patient, other_patient, prices
):
    me = patient_user
    with hospital_context(CODE):
        mine = _issued(receptionist, encounter)
        theirs = _issued(receptionist, other_encounter)
        second_visit = EncounterFactory(patient=patient, practitioner_user_id=doctor.pk, finished=True)
        draft = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=second_visit.pk)

        assert selectors.invoice_detail(user=me, invoice_id=mine.pk).invoice == mine
        with pytest.raises(NotFound) as other:
            selectors.invoice_detail(user=me, invoice_id=theirs.pk)
        with pytest.raises(NotFound) as missing:
            selectors.invoice_detail(user=me, invoice_id=999999)
        with pytest.raises(NotFound):
            selectors.invoice_detail(user=me, invoice_id=draft.pk)  # a draft may still change
        assert other.value.message == missing.value.message

        found, listed = selectors.invoices_for_patient(user=me, patient_id=patient.pk)
        assert found == patient and [i.pk for i in listed] == [mine.pk]
        with pytest.raises(NotFound):
            selectors.invoices_for_patient(user=me, patient_id=other_patient.pk)
        page = selectors.outstanding_invoices(user=me)
        assert [i.pk for i in page.object_list] == [mine.pk]
        assert selectors.own_patient_id(user=me) == patient.pk
        _, staff_view = selectors.invoices_for_patient(user=receptionist, patient_id=patient.pk)
        assert {i.pk for i in staff_view} == {mine.pk, draft.pk}
        # A draft voided before it was issued was never owed: still not shown to the patient.
        services.invoice_void(acting_user=admin, invoice_id=draft.pk, reason="opened by mistake")
        with pytest.raises(NotFound):
            selectors.invoice_detail(user=me, invoice_id=draft.pk)
        _, with_void = selectors.invoices_for_patient(user=me, patient_id=patient.pk, include_voided=True)
        assert [i.pk for i in with_void] == [mine.pk]


@pytest.mark.django_db
def test_invoices_for_patient_carry_money_and_leave_void_ones_out_unless_asked(
    receptionist, admin, doctor, encounter, patient, prices
):
    with hospital_context(CODE):
        paid = _issued(receptionist, encounter, [("CONS", "2")])
        services.payment_record(
            acting_user=receptionist, invoice_id=paid.pk, amount=Decimal("40"), method="cash"
        )
        services.invoice_void(
            acting_user=admin,
            invoice_id=services.invoice_create_for_encounter(
                acting_user=receptionist,
                encounter_id=EncounterFactory(
                    patient=patient, practitioner_user_id=doctor.pk, finished=True
                ).pk,
            ).pk,
            reason="opened by mistake",
        )
        _, live = selectors.invoices_for_patient(user=admin, patient_id=patient.pk)
        _, everything = selectors.invoices_for_patient(user=admin, patient_id=patient.pk, include_voided=True)
        event = AuditEvent.objects.filter(action="invoice.list_for_patient").first()
    assert [(i.pk, i.total_amount, i.paid_amount, i.balance_amount) for i in live] == [
        (paid.pk, Decimal("100.00"), Decimal("40.00"), Decimal("60.00"))
    ]
    assert len(everything) == 2 and everything[0].status == "void"
    assert event.patient_id == patient.pk and event.detail["invoice_ids"] == [paid.pk]


@pytest.mark.django_db
def test_outstanding_is_unpaid_issued_oldest_first_25_a_page_in_a_fixed_number_of_queries(
    doctor, receptionist, encounter, prices
):
    with hospital_context(CODE) as tenant:
        patients = PatientFactory.create_batch(30)
        invoices = []
        for patient in patients:
            visit = EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)
            invoices.append(_issued(receptionist, visit, [("CBC", "1")]))
        services.payment_record(
            acting_user=receptionist, invoice_id=invoices[0].pk, amount=Decimal("12.35"), method="cash"
        )  # paid: not outstanding
        services.payment_record(
            acting_user=receptionist, invoice_id=invoices[1].pk, amount=Decimal("2.35"), method="cash"
        )  # part-paid: still outstanding
        services.invoice_create_for_encounter(
            acting_user=receptionist, encounter_id=encounter.pk
        )  # a draft: not outstanding
        # Make the issue order differ from the id order.
        Invoice.objects.filter(pk=invoices[-1].pk).update(
            issued_at=invoices[1].issued_at - datetime.timedelta(days=1)
        )
        with CaptureQueriesContext(connections[tenant.alias]) as queries:
            first = selectors.outstanding_invoices(user=receptionist, page_number=1)
            rows = [(i.number, i.patient.mrn, i.balance_amount) for i in first.object_list]
        second = selectors.outstanding_invoices(user=receptionist, page_number="2")
        junk = selectors.outstanding_invoices(user=receptionist, page_number="abc")
        event = AuditEvent.objects.filter(action="invoice.list_outstanding").first()
    expected = [invoices[-1], *invoices[1:-1]]
    assert first.paginator.count == 29
    assert [i.pk for i in first.object_list] == [i.pk for i in expected[:25]]
    assert [i.pk for i in second.object_list] == [i.pk for i in expected[25:]]
    assert [i.pk for i in junk.object_list] == [i.pk for i in expected[:25]]
    assert rows[1][2] == Decimal("10.00") and rows[0][2] == Decimal("12.35")
    # count, page, and the audit row's lock, insert and head update (no query per invoice),
    # and on SQLite its BEGIN
    assert len(queries.captured_queries) <= 7, [q["sql"] for q in queries.captured_queries]
    assert event.detail["invoice_ids"] == [i.pk for i in expected[:25]]


@pytest.mark.django_db
def test_takings_add_up_the_hospitals_local_day_by_method(
    receptionist, admin, patient_user, encounter, other_encounter, prices
):
    with hospital_context(CODE):
        a = _issued(receptionist, encounter, [("CONS", "2")])
        b = _issued(receptionist, other_encounter, [("CONS", "2")])
        cash1 = services.payment_record(
            acting_user=receptionist, invoice_id=a.pk, amount=Decimal("10.10"), method="cash"
        )
        services.payment_record(
            acting_user=receptionist, invoice_id=b.pk, amount=Decimal("20.20"), method="cash"
        )
        card = services.payment_record(
            acting_user=receptionist, invoice_id=a.pk, amount=Decimal("30"), method="card"
        )
        late = services.payment_record(
            acting_user=receptionist, invoice_id=b.pk, amount=Decimal("1"), method="card"
        )
        void = services.payment_record(
            acting_user=receptionist, invoice_id=b.pk, amount=Decimal("7"), method="cash"
        )
        services.payment_void(acting_user=admin, payment_id=void.pk, reason="typo")
        # Dhaka is UTC+6: 2025-03-10 local runs from 2025-03-09 18:00 to 2025-03-10 18:00 UTC.
        day_start = datetime.datetime(2025, 3, 9, 18, 0, tzinfo=datetime.UTC)
        Payment.objects.exclude(pk=late.pk).update(received_at=day_start)
        Payment.objects.filter(pk=card.pk).update(
            received_at=day_start + datetime.timedelta(hours=23, minutes=59)
        )
        Payment.objects.filter(pk=late.pk).update(received_at=day_start + datetime.timedelta(hours=24))
        takings = selectors.takings_for_day(user=admin, day=datetime.date(2025, 3, 10))
        next_day = selectors.takings_for_day(user=admin, day=datetime.date(2025, 3, 11))
        event = AuditEvent.objects.filter(action="payment.takings").first()
        with pytest.raises(NotAllowed):
            selectors.takings_for_day(user=receptionist, day=datetime.date(2025, 3, 10))
        with pytest.raises(NotAllowed):
            selectors.takings_for_day(user=patient_user, day=datetime.date(2025, 3, 10))
        with pytest.raises(ApplicationError):
            selectors.takings_for_day(user=admin, day=datetime.date(1, 1, 1))
    assert [(r.method, r.count, r.amount, r.currency) for r in takings.by_method] == [
        ("cash", 2, Decimal("30.30"), "BDT"),
        ("card", 1, Decimal("30.00"), "BDT"),
    ]
    assert takings.totals == {"BDT": Decimal("60.30")}
    assert (takings.voided_count, takings.voided_amount) == (1, {"BDT": Decimal("7.00")})
    assert [(r.method, r.amount) for r in next_day.by_method] == [("card", Decimal("1.00"))]
    assert event.detail == {"day": "2025-03-10", "payments": 4}
    assert cash1.pk


@pytest.mark.django_db
def test_abilities_follow_the_permission_matrix(admin, receptionist, doctor, patient_user):
    with hospital_context(CODE):
        boss = selectors.billing_abilities(user=admin)
        desk = selectors.billing_abilities(user=receptionist)
        clinician = selectors.billing_abilities(user=doctor)
        portal = selectors.billing_abilities(user=patient_user)
    assert boss.edit_prices and boss.void_payment and boss.see_takings
    assert desk.create_invoice and desk.record_payment and not desk.void_payment and not desk.see_takings
    assert not any(vars(clinician).values())
    assert portal.view_invoices and not portal.see_outstanding and not portal.record_payment


@pytest.mark.django_db
def test_the_price_list_leaves_inactive_items_out_unless_asked(admin, receptionist, doctor, prices):
    with hospital_context(CODE):
        services.price_item_deactivate(acting_user=admin, item_id=prices["BED"].pk)
        active = [i.code for i in selectors.price_list(user=receptionist)]
        everything = [i.code for i in selectors.price_list(user=admin, include_inactive=True)]
        with pytest.raises(NotAllowed):
            selectors.price_list(user=doctor)
    assert "BED" not in active and "BED" in everything and len(everything) == 5
