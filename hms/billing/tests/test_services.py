import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.billing import services
from hms.billing.models import BillingSettings, Invoice, InvoiceLine, Payment, PriceListItem
from hms.billing.tests.conftest import CODE
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.tenancy.context import hospital_context

DHAKA = zoneinfo.ZoneInfo("Asia/Dhaka")


def _draft(user, encounter, lines=()):
    invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
    for code, quantity in lines:
        services.invoice_line_add(
            acting_user=user, invoice_id=invoice.pk, item_code=code, quantity=Decimal(quantity)
        )
    return invoice


def _issued(user, encounter, lines=(("CONS", "1"),)):
    invoice = _draft(user, encounter, lines)
    return services.invoice_issue(acting_user=user, invoice_id=invoice.pk)


def _audit_count():
    return AuditEvent.objects.count()


# The price list


@pytest.mark.django_db
def test_admin_adds_a_price_item_rounded_half_up_and_audited(admin):
    with hospital_context(CODE):
        item = services.price_item_create(
            acting_user=admin,
            code=" xr-chest ",
            name=" Chest X-ray ",
            category="procedure",
            unit_price=Decimal("25.005"),
        )
        stored = PriceListItem.objects.get()
        event = AuditEvent.objects.get()
    assert (stored.code, stored.name, stored.unit_price, stored.is_active) == (
        "XR-CHEST",
        "Chest X-ray",
        Decimal("25.01"),
        True,
    )
    assert item.pk == stored.pk
    assert (event.action, event.actor_id, event.patient_id) == ("price_item.create", admin.pk, None)
    assert event.detail["price_item_id"] == stored.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"unit_price": Decimal("-1")}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),  # not a Decimal: parsing is the form's work
        ({"unit_price": Decimal("NaN")}, "unit_price"),
        ({"unit_price": Decimal("1e9999")}, "unit_price"),
        ({"unit_price": Decimal("10000000000")}, "unit_price"),
        ({"unit_price": 1.5}, "unit_price"),
        ({"category": "magic"}, "category"),
        ({"code": "bad code!"}, "code"),
        ({"code": ""}, "code"),
        ({"name": "  "}, "name"),
    ],
)
def test_a_bad_price_item_is_refused_with_the_field_named_and_nothing_written(admin, fields, bad):
    values = {"code": "XR", "name": "X-ray", "category": "procedure", "unit_price": Decimal("20"), **fields}
    with hospital_context(CODE):
        with pytest.raises(ApplicationError) as raised:
            services.price_item_create(acting_user=admin, **values)
        assert bad in raised.value.details
        assert not PriceListItem.objects.exists() and _audit_count() == 0


@pytest.mark.django_db
def test_a_price_code_is_unique_in_the_hospital(admin, prices):
    with hospital_context(CODE):
        with pytest.raises(ApplicationError, match="already has an item with code CONS"):
            services.price_item_create(
                acting_user=admin, code="cons", name="Again", category="other", unit_price=Decimal("1")
            )
        assert PriceListItem.objects.count() == len(prices)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "doctor", "nurse", "patient_user"])
def test_only_an_admin_changes_the_price_list(request, prices, role):
    user = request.getfixturevalue(role)
    with hospital_context(CODE):
        with pytest.raises(NotAllowed):
            services.price_item_create(
                acting_user=user, code="NEW", name="New", category="other", unit_price=Decimal("1")
            )
        with pytest.raises(NotAllowed):
            services.price_item_update(
                acting_user=user,
                item_id=prices["CONS"].pk,
                name="x",
                category="other",
                unit_price=Decimal("1"),
            )
        with pytest.raises(NotAllowed):
            services.price_item_deactivate(acting_user=user, item_id=prices["CONS"].pk)
        with pytest.raises(NotAllowed):
            services.billing_settings_update(acting_user=user, currency="EUR", invoice_prefix="X")
        assert PriceListItem.objects.get(code="CONS").unit_price == Decimal("50.00")


@pytest.mark.django_db
def test_a_new_price_does_not_change_lines_already_on_invoices(receptionist, admin, encounter, prices):
    with hospital_context(CODE):
        invoice = _draft(receptionist, encounter, [("CONS", "2")])
        services.price_item_update(
            acting_user=admin,
            item_id=prices["CONS"].pk,
            name="Specialist consultation",
            category="consultation",
            unit_price=Decimal("75"),
        )
        old_line = InvoiceLine.objects.get(invoice=invoice)
        new_line = services.invoice_line_add(
            acting_user=receptionist, invoice_id=invoice.pk, item_code="CONS", quantity=Decimal("1")
        )
        event = AuditEvent.objects.filter(action="price_item.update").get()
    assert (old_line.item_name, old_line.unit_price, old_line.line_total) == (
        "Consultation",
        Decimal("50.00"),
        Decimal("100.00"),
    )
    assert (new_line.item_name, new_line.unit_price) == ("Specialist consultation", Decimal("75.00"))
    assert event.detail["before"]["unit_price"] == "50.00" and event.detail["after"]["unit_price"] == "75.00"


@pytest.mark.django_db
def test_a_deactivated_item_cannot_be_added_until_reactivated(admin, receptionist, encounter, prices):
    with hospital_context(CODE):
        services.price_item_deactivate(acting_user=admin, item_id=prices["CBC"].pk)
        invoice = _draft(receptionist, encounter)
        with pytest.raises(ApplicationError) as raised:
            services.invoice_line_add(acting_user=receptionist, invoice_id=invoice.pk, item_code="CBC")
        assert "No active price list item has code CBC" in raised.value.details["item_code"][0]
        with pytest.raises(ApplicationError, match="already inactive"):
            services.price_item_deactivate(acting_user=admin, item_id=prices["CBC"].pk)
        services.price_item_reactivate(acting_user=admin, item_id=prices["CBC"].pk)
        services.invoice_line_add(acting_user=receptionist, invoice_id=invoice.pk, item_code="CBC")
        assert InvoiceLine.objects.filter(invoice=invoice).count() == 1
        with pytest.raises(NotFound):
            services.price_item_deactivate(acting_user=admin, item_id="abc")


@pytest.mark.django_db
def test_invoices_keep_the_currency_they_were_made_in(
    receptionist, admin, encounter, other_encounter, prices
):
    with hospital_context(CODE):
        # The migration's row says USD, but until the administrator saves the settings the
        # currency follows the hospital's time zone (Asia/Dhaka: BDT).
        assert BillingSettings.objects.get(pk=1).currency == "USD"
        assert services.billing_settings_get().currency == "BDT"
        first = _draft(receptionist, encounter)
        services.billing_settings_update(acting_user=admin, currency="eur", invoice_prefix="dmc")
        second = _draft(receptionist, other_encounter)
        first.refresh_from_db()
        with pytest.raises(ApplicationError) as raised:
            services.billing_settings_update(acting_user=admin, currency="TAKA", invoice_prefix="bad-prefix")
        assert set(raised.value.details) == {"currency", "invoice_prefix"}
        assert BillingSettings.objects.get(pk=1).currency == "EUR"
    assert (first.currency, second.currency) == ("BDT", "EUR")


# Invoices


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "admin"])
def test_reception_and_admin_open_a_draft_invoice_for_an_encounter(request, encounter, patient, role):
    user = request.getfixturevalue(role)
    with hospital_context(CODE):
        invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
        event = AuditEvent.objects.get()
        stored = Invoice.objects.get()
    assert (stored.pk, stored.status, stored.number, stored.patient_id) == (
        invoice.pk,
        "draft",
        None,
        patient.pk,
    )
    assert (stored.currency, stored.created_by_id) == ("BDT", user.pk)  # Asia/Dhaka's
    assert (event.action, event.patient_id) == ("invoice.create", patient.pk)
    assert event.detail == {"invoice_id": invoice.pk, "encounter_id": encounter.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse", "patient_user"])
def test_doctors_nurses_and_patients_may_not_write_billing_records(
    request, receptionist, encounter, other_encounter, prices, role
):
    user = request.getfixturevalue(role)
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter)
        draft = _draft(receptionist, other_encounter, [("CONS", "1")])
        payment = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("10"), method="cash"
        )
        before = _audit_count()
        attempts = [
            lambda: services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk),
            lambda: services.invoice_line_add(acting_user=user, invoice_id=draft.pk, item_code="CBC"),
            lambda: services.invoice_line_remove(
                acting_user=user, invoice_id=draft.pk, line_id=draft.lines.get().pk
            ),
            lambda: services.invoice_issue(acting_user=user, invoice_id=draft.pk),
            lambda: services.invoice_void(acting_user=user, invoice_id=draft.pk, reason="x"),
            lambda: services.payment_record(
                acting_user=user, invoice_id=invoice.pk, amount=Decimal("1"), method="cash"
            ),
            lambda: services.payment_void(acting_user=user, payment_id=payment.pk, reason="x"),
        ]
        for attempt in attempts:
            with pytest.raises(NotAllowed):
                attempt()
        assert _audit_count() == before
        assert Payment.objects.count() == 1 and InvoiceLine.objects.count() == 2


@pytest.mark.django_db
def test_a_user_of_another_hospital_is_refused(encounter, make_hospital, make_user):
    th = make_hospital("TH001")
    stranger = make_user("th_desk", role=Role.RECEPTIONIST, hospital=th)
    with hospital_context(CODE):
        with pytest.raises(NotAllowed):
            services.invoice_create_for_encounter(acting_user=stranger, encounter_id=encounter.pk)
        assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_voided_or_missing_encounter_cannot_be_invoiced(receptionist, encounter):
    with hospital_context(CODE):
        encounter.voided_at = timezone.now()
        encounter.void_reason = "wrong patient"
        encounter.save()
        with pytest.raises(ApplicationError, match="encounter was voided"):
            services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
        for junk in (999999, "abc", -1, None, "1e3"):
            with pytest.raises(NotFound):
                services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=junk)
        assert not Invoice.objects.exists() and _audit_count() == 0


@pytest.mark.django_db
def test_one_live_invoice_per_encounter_and_a_voided_one_can_be_replaced(receptionist, admin, encounter):
    with hospital_context(CODE):
        first = _draft(receptionist, encounter)
        with pytest.raises(ApplicationError, match="already has an invoice") as raised:
            _draft(admin, encounter)
        assert raised.value.details == {"invoice_id": first.pk}
        services.invoice_void(acting_user=admin, invoice_id=first.pk, reason="opened by mistake")
        second = _draft(receptionist, encounter)
        assert Invoice.objects.filter(encounter=encounter).count() == 2
        assert Invoice.objects.filter(encounter=encounter, voided_at__isnull=True).get() == second


@pytest.mark.django_db
def test_the_database_holds_one_live_invoice_per_encounter(receptionist, encounter, patient):
    from django.db import IntegrityError, transaction

    with hospital_context(CODE) as tenant:
        _draft(receptionist, encounter)
        with pytest.raises(IntegrityError), transaction.atomic(using=tenant.alias):
            Invoice.objects.create(encounter=encounter, patient=patient, currency="USD", created_by_id=1)


@pytest.mark.django_db
def test_lines_copy_the_price_and_round_half_up(receptionist, encounter, patient, prices):
    with hospital_context(CODE):
        invoice = _draft(receptionist, encounter)
        line = services.invoice_line_add(
            acting_user=receptionist, invoice_id=invoice.pk, item_code=" cbc ", quantity=Decimal("0.5")
        )
        para = services.invoice_line_add(
            acting_user=receptionist, invoice_id=invoice.pk, item_code="PARA", quantity=Decimal("3")
        )
        event = AuditEvent.objects.filter(action="invoice.line_add").first()
        total = services.invoice_total(invoice)
    # 0.5 x 12.35 = 6.175, rounded half-up (not to even) to 6.18
    assert (line.item_code, line.item_name, line.category) == ("CBC", "Full blood count", "lab")
    assert (line.quantity, line.unit_price, line.line_total) == (
        Decimal("0.50"),
        Decimal("12.35"),
        Decimal("6.18"),
    )
    assert para.line_total == Decimal("0.45")
    assert total == Decimal("6.63") and isinstance(total, Decimal)
    assert event.patient_id == patient.pk and event.detail["line_total"] == "6.18"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (Decimal("-1"), "more than zero"),
        (0, "more than zero"),
        ("abc", "must be a number"),  # not a Decimal: parsing is the form's work
        (Decimal("NaN"), "must be a number"),
        (Decimal("Infinity"), "must be a number"),
        (Decimal("1e9999"), "too large"),
        (Decimal("0.001"), "at most 2 decimals"),
        ("", "must be a number"),
        (2.5, "must be a number"),
    ],
)
def test_a_bad_quantity_is_refused_and_nothing_written(receptionist, encounter, prices, quantity, message):
    with hospital_context(CODE):
        invoice = _draft(receptionist, encounter)
        before = _audit_count()
        with pytest.raises(ApplicationError) as raised:
            services.invoice_line_add(
                acting_user=receptionist, invoice_id=invoice.pk, item_code="CONS", quantity=quantity
            )
        assert message in raised.value.details["quantity"][0]
        assert not InvoiceLine.objects.exists() and _audit_count() == before


@pytest.mark.django_db
def test_a_line_too_large_to_hold_is_refused(admin, receptionist, encounter, dmc):
    with hospital_context(CODE):
        services.price_item_create(
            acting_user=admin,
            code="GOLD",
            name="Gold",
            category="other",
            unit_price=Decimal("9999999999.99"),
        )
        invoice = _draft(receptionist, encounter)
        with pytest.raises(ApplicationError, match="more than one line can hold"):
            services.invoice_line_add(
                acting_user=receptionist,
                invoice_id=invoice.pk,
                item_code="GOLD",
                quantity=Decimal("2"),
            )
        assert not InvoiceLine.objects.exists()


@pytest.mark.django_db
def test_draft_lines_can_be_removed_and_the_audit_keeps_what_they_said(
    receptionist, encounter, patient, prices
):
    with hospital_context(CODE):
        invoice = _draft(receptionist, encounter, [("CONS", "1"), ("CBC", "2")])
        cbc = InvoiceLine.objects.get(item_code="CBC")
        services.invoice_line_remove(acting_user=receptionist, invoice_id=invoice.pk, line_id=cbc.pk)
        event = AuditEvent.objects.filter(action="invoice.line_remove").get()
        assert list(InvoiceLine.objects.values_list("item_code", flat=True)) == ["CONS"]
        with pytest.raises(NotFound):
            services.invoice_line_remove(acting_user=receptionist, invoice_id=invoice.pk, line_id=cbc.pk)
    assert event.patient_id == patient.pk
    assert event.detail | {"line_id": 0} == {
        "invoice_id": invoice.pk,
        "line_id": 0,
        "item_code": "CBC",
        "item_name": "Full blood count",
        "quantity": "2.00",
        "unit_price": "12.35",
        "line_total": "24.70",
    }


@pytest.mark.django_db
def test_a_line_of_another_invoice_is_not_found(receptionist, encounter, other_encounter, prices):
    with hospital_context(CODE):
        mine = _draft(receptionist, encounter, [("CONS", "1")])
        theirs = _draft(receptionist, other_encounter, [("CBC", "1")])
        with pytest.raises(NotFound):
            services.invoice_line_remove(
                acting_user=receptionist, invoice_id=mine.pk, line_id=theirs.lines.get().pk
            )
        assert InvoiceLine.objects.count() == 2


@pytest.mark.django_db
def test_issuing_numbers_the_invoice_and_fixes_its_lines(receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter, [("CONS", "1")])
        year = timezone.localtime(invoice.issued_at, DHAKA).year
        assert (invoice.status, invoice.number, invoice.issued_by_id) == (
            "issued",
            f"INV-{year}-000001",
            receptionist.pk,
        )
        event = AuditEvent.objects.filter(action="invoice.issue").get()
        assert event.detail == {"invoice_id": invoice.pk, "number": invoice.number, "total": "50.00"}
        line = invoice.lines.get()
        for attempt in (
            lambda: services.invoice_line_add(
                acting_user=receptionist, invoice_id=invoice.pk, item_code="CBC"
            ),
            lambda: services.invoice_line_remove(
                acting_user=receptionist, invoice_id=invoice.pk, line_id=line.pk
            ),
            lambda: services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk),
        ):
            with pytest.raises(
                ApplicationError, match=f"^Invoice {invoice.number} is issued: only a draft invoice can"
            ):
                attempt()
        assert invoice.lines.count() == 1


@pytest.mark.django_db
def test_an_invoice_without_lines_is_not_issued(receptionist, encounter):
    with hospital_context(CODE):
        invoice = _draft(receptionist, encounter)
        with pytest.raises(ApplicationError, match="no lines yet"):
            services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
        invoice.refresh_from_db()
        assert (invoice.status, invoice.number) == ("draft", None)


@pytest.mark.django_db
def test_numbers_follow_the_prefix_and_an_issued_invoice_with_nothing_to_pay_is_paid(
    admin, receptionist, encounter, other_encounter, prices
):
    with hospital_context(CODE):
        services.billing_settings_update(acting_user=admin, currency="USD", invoice_prefix="")
        free = _issued(receptionist, encounter, [("FREE", "1")])
        services.billing_settings_update(acting_user=admin, currency="USD", invoice_prefix="DMC")
        paid = _issued(receptionist, other_encounter, [("CONS", "1")])
    year = timezone.localtime(free.issued_at, DHAKA).year
    assert (free.number, free.status, free.paid_at) == (f"{year}-000001", "paid", free.issued_at)
    assert paid.number == f"DMC-{year}-000002"


@pytest.mark.django_db
def test_the_number_year_is_the_hospitals_local_year(dmc):
    import datetime

    # 20:00 UTC on 31 December is already 02:00 on 1 January in Dhaka (UTC+6).
    late = datetime.datetime(2030, 12, 31, 20, 0, tzinfo=datetime.UTC)
    from django.db import transaction

    with hospital_context(CODE) as tenant, transaction.atomic(using=tenant.alias):
        assert services.invoice_number_next(at=late) == "INV-2031-000001"
        assert services.invoice_number_next(at=late - datetime.timedelta(hours=12)) == "INV-2030-000001"
        assert services.invoice_number_next(at=late) == "INV-2031-000002"


# Payments and money


@pytest.mark.django_db
def test_payments_bring_the_balance_to_zero_and_the_invoice_to_paid(receptionist, encounter, patient, prices):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter, [("CONS", "1"), ("CBC", "0.5")])  # 56.18
        first = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("20.004"), method="cash"
        )
        invoice.refresh_from_db()
        assert (first.amount, invoice.status) == (Decimal("20.00"), "issued")
        assert services.invoice_paid(invoice) == Decimal("20.00")
        last = services.payment_record(
            acting_user=receptionist,
            invoice_id=invoice.pk,
            amount=Decimal("36.175"),  # rounded half-up to 36.18: exactly the balance
            method="card",
            reference="slip 991",
        )
        invoice.refresh_from_db()
        event = AuditEvent.objects.filter(action="payment.record").last()
    assert last.amount == Decimal("36.18") and last.reference == "slip 991"
    assert (invoice.status, invoice.paid_at is not None) == ("paid", True)
    assert (event.patient_id, event.detail["balance_after"]) == (patient.pk, "0.00")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [Decimal("56.19"), Decimal("100"), Decimal("9999999999.99")])
def test_overpayment_is_refused_with_the_balance_in_the_message(receptionist, encounter, prices, amount):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter, [("CONS", "1"), ("CBC", "0.5")])
        before = _audit_count()
        with pytest.raises(ApplicationError) as raised:
            services.payment_record(
                acting_user=receptionist, invoice_id=invoice.pk, amount=amount, method="cash"
            )
        assert "balance of invoice" in raised.value.message and "is 56.18 BDT" in raised.value.message
        assert "overpay" in raised.value.message
        assert raised.value.details == {"amount": ["At most 56.18."]}
        assert not Payment.objects.exists() and _audit_count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "method", "bad"),
    [
        ("abc", "cash", "amount"),  # not a Decimal: parsing is the form's work
        (Decimal("1e9999"), "cash", "amount"),
        (Decimal("NaN"), "cash", "amount"),
        (Decimal("-5"), "cash", "amount"),
        (0, "cash", "amount"),
        (Decimal("0.004"), "cash", "amount"),  # rounds to 0.00
        (Decimal("5"), "cheque", "method"),
    ],
)
def test_a_bad_payment_is_refused_and_nothing_written(receptionist, encounter, prices, amount, method, bad):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter)
        with pytest.raises(ApplicationError) as raised:
            services.payment_record(
                acting_user=receptionist, invoice_id=invoice.pk, amount=amount, method=method
            )
        assert bad in raised.value.details
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_payments_only_against_issued_invoices(receptionist, admin, encounter, other_encounter, prices):
    with hospital_context(CODE):
        draft = _draft(receptionist, encounter, [("CONS", "1")])
        with pytest.raises(ApplicationError, match="Draft invoice .* is not issued yet"):
            services.payment_record(
                acting_user=receptionist, invoice_id=draft.pk, amount=Decimal("1"), method="cash"
            )
        paid = _issued(receptionist, other_encounter, [("CONS", "1")])
        services.payment_record(
            acting_user=receptionist, invoice_id=paid.pk, amount=Decimal("50"), method="cash"
        )
        with pytest.raises(ApplicationError, match="already paid in full"):
            services.payment_record(
                acting_user=receptionist, invoice_id=paid.pk, amount=Decimal("1"), method="cash"
            )
        services.invoice_void(acting_user=admin, invoice_id=draft.pk, reason="duplicate")
        with pytest.raises(ApplicationError, match="is void"):
            services.payment_record(
                acting_user=receptionist, invoice_id=draft.pk, amount=Decimal("1"), method="cash"
            )
        assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_voiding_a_payment_reopens_the_balance(receptionist, admin, encounter, patient, prices):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter, [("CONS", "1")])
        cash = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("30"), method="cash"
        )
        services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("20"), method="card"
        )
        invoice.refresh_from_db()
        assert invoice.status == "paid"
        with pytest.raises(ApplicationError, match="reason"):
            services.payment_void(acting_user=admin, payment_id=cash.pk, reason="  ")
        with pytest.raises(NotAllowed):
            services.payment_void(acting_user=receptionist, payment_id=cash.pk, reason="bounced")
        services.payment_void(acting_user=admin, payment_id=cash.pk, reason="counterfeit note")
        invoice.refresh_from_db()
        cash.refresh_from_db()
        event = AuditEvent.objects.filter(action="payment.void").get()
        assert (invoice.status, invoice.paid_at) == ("issued", None)
        assert services.invoice_total(invoice) - services.invoice_paid(invoice) == Decimal("30.00")
        assert (cash.void_reason, cash.voided_by_id) == ("counterfeit note", admin.pk)
        assert event.detail["balance_after"] == "30.00" and event.patient_id == patient.pk
        with pytest.raises(ApplicationError, match="already void"):
            services.payment_void(acting_user=admin, payment_id=cash.pk, reason="again")
        # The reopened balance can be paid again, but not overpaid.
        with pytest.raises(ApplicationError, match="overpay"):
            services.payment_record(
                acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("30.01"), method="cash"
            )
        services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("30"), method="cash"
        )
        invoice.refresh_from_db()
        assert invoice.status == "paid"


@pytest.mark.django_db
def test_a_payment_of_another_invoice_is_not_found(receptionist, admin, encounter, other_encounter, prices):
    with hospital_context(CODE):
        mine = _issued(receptionist, encounter)
        theirs = _issued(receptionist, other_encounter)
        payment = services.payment_record(
            acting_user=receptionist, invoice_id=theirs.pk, amount=Decimal("5"), method="cash"
        )
        with pytest.raises(NotFound):
            services.payment_void(acting_user=admin, payment_id=payment.pk, invoice_id=mine.pk, reason="x")
        with pytest.raises(NotFound):
            services.payment_void(acting_user=admin, payment_id="abc", reason="x")
        assert not Payment.objects.filter(voided_at__isnull=False).exists()


@pytest.mark.django_db
def test_an_invoice_with_live_payments_cannot_be_voided(receptionist, admin, encounter, patient, prices):
    with hospital_context(CODE):
        invoice = _issued(receptionist, encounter)
        payment = services.payment_record(
            acting_user=receptionist,
            invoice_id=invoice.pk,
            amount=Decimal("10"),
            method="mobile_money",
        )
        with pytest.raises(ApplicationError, match="has payments of 10.00 BDT"):
            services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="wrong patient")
        with pytest.raises(NotAllowed):
            services.invoice_void(acting_user=receptionist, invoice_id=invoice.pk, reason="wrong patient")
        services.payment_void(acting_user=admin, payment_id=payment.pk, reason="refunded")
        voided = services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="wrong patient")
        event = AuditEvent.objects.filter(action="invoice.void").get()
        with pytest.raises(ApplicationError, match="already void"):
            services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="again")
    assert (voided.status, voided.number, voided.void_reason) == ("void", invoice.number, "wrong patient")
    assert event.detail["was"] == "issued" and event.patient_id == patient.pk


@pytest.mark.django_db
def test_voiding_needs_a_reason(receptionist, admin, encounter):
    with hospital_context(CODE):
        invoice = _draft(receptionist, encounter)
        for reason in ("", "   ", "x" * 256):
            with pytest.raises(ApplicationError) as raised:
                services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason=reason)
            assert "reason" in raised.value.details
        invoice.refresh_from_db()
        assert invoice.status == "draft"


@pytest.mark.django_db
def test_the_database_refuses_negative_money(receptionist, encounter, prices):
    from django.db import IntegrityError, transaction

    with hospital_context(CODE) as tenant:
        invoice = _issued(receptionist, encounter)
        with pytest.raises(IntegrityError), transaction.atomic(using=tenant.alias):
            Payment.objects.create(
                invoice=invoice,
                amount=Decimal("-1"),
                method="cash",
                received_by_id=1,
                received_at=timezone.now(),
            )
        with pytest.raises(IntegrityError), transaction.atomic(using=tenant.alias):
            PriceListItem.objects.create(code="NEG", name="n", category="other", unit_price=Decimal("-0.01"))
