"""Bad input on the billing pages and services: a 400 with the message naming the field,
nothing written; a NUL is a refusal on PostgreSQL as on SQLite, never a database error."""

from decimal import Decimal

import pytest

from hms.billing import services
from hms.billing.models import BillingSettings, Payment, PriceListItem
from hms.billing.tests.conftest import CODE, url
from hms.core.exceptions import ApplicationError
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
HUGE = ["1e999999999", "NaN", "Infinity", "-inf", "99999999999999999999"]


def _issued(user, encounter):
    with hospital_context(CODE):
        invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
        services.invoice_line_add(
            acting_user=user, invoice_id=invoice.pk, item_code="CONS", quantity=Decimal(1)
        )
        return services.invoice_issue(acting_user=user, invoice_id=invoice.pk)


@pytest.mark.parametrize("amount", HUGE)
def test_a_payment_that_is_no_amount_is_a_400_naming_it(client, receptionist, encounter, prices, amount):
    invoice = _issued(receptionist, encounter)
    client.force_login(receptionist)
    response = client.post(url("payment-record", invoice_id=invoice.pk), {"amount": amount, "method": "cash"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The amount must be a number" in body or "The amount is too large" in body
    with hospital_context(CODE):
        assert not Payment.objects.exists()


def test_a_payment_reference_with_a_nul_is_a_400(client, receptionist, encounter, prices):
    invoice = _issued(receptionist, encounter)
    client.force_login(receptionist)
    response = client.post(
        url("payment-record", invoice_id=invoice.pk),
        {"amount": "5", "method": "cash", "reference": "slip\x00"},
    )
    assert response.status_code == 400 and "Remove the control characters" in response.content.decode()
    with hospital_context(CODE):
        assert not Payment.objects.exists()


@pytest.mark.parametrize("price", HUGE)
def test_a_price_that_is_no_amount_is_a_400_naming_it(client, admin, prices, price):
    client.force_login(admin)
    response = client.post(
        url("price-list"), {"code": "X1", "name": "X-ray", "category": "procedure", "unit_price": price}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The unit price must be a number" in body or "The unit price is too large" in body
    with hospital_context(CODE):
        assert not PriceListItem.objects.filter(code="X1").exists()


def test_billing_services_refuse_nul_and_overflow_before_the_database(admin, receptionist, encounter, prices):
    invoice = _issued(receptionist, encounter)
    with hospital_context(CODE):
        with pytest.raises(ApplicationError) as raised:
            services.payment_record(
                acting_user=receptionist,
                invoice_id=invoice.pk,
                amount=Decimal(5),
                method="cash",
                reference="a\x00",
            )
        assert list(raised.value.details) == ["reference"]
        with pytest.raises(ApplicationError) as raised:
            services.payment_record(
                acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("1e999999999"), method="cash"
            )
        assert "too large" in raised.value.details["amount"][0]
        with pytest.raises(ApplicationError) as raised:
            services.price_item_create(
                acting_user=admin, code="XR", name="X-ray\x00", category="procedure", unit_price=Decimal(20)
            )
        assert list(raised.value.details) == ["name"]
        with pytest.raises(ApplicationError):
            services.billing_settings_update(
                acting_user=admin, currency="BDT", invoice_prefix="DMC", address="Road 1\x00"
            )
        assert not Payment.objects.exists() and not PriceListItem.objects.filter(code="XR").exists()
        assert not BillingSettings.objects.filter(address__contains="Road 1").exists()
