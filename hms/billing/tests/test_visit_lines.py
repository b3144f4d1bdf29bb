"""Invoice lines proposed from the visit: its lab orders and prescriptions matched to the price
list by code, unmatched ones shown with no price; nothing is added until the cashier accepts."""

from decimal import Decimal

import pytest
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.billing import selectors, services
from hms.billing.models import InvoiceLine
from hms.billing.tests.conftest import CODE
from hms.billing.tests.factories import PriceListItemFactory
from hms.core.exceptions import ApplicationError
from hms.orders.tests.factories import LabOrderFactory, PrescriptionFactory
from hms.tenancy.context import hospital_context


@pytest.fixture
def visit(receptionist, encounter, other_encounter, prices):
    """Amina's visit: a haemoglobin (priced under its LOINC code), a cancelled order, a
    prescription with a code on the price list and one without; and a draft invoice."""
    with hospital_context(CODE):
        PriceListItemFactory(code="718-7", name="Haemoglobin", category="lab", unit_price=Decimal("4.00"))
        haemoglobin = LabOrderFactory(encounter=encounter)
        LabOrderFactory(
            encounter=encounter,
            status="cancelled",
            cancelled_at=timezone.now(),
            cancelled_by_id=encounter.practitioner_user_id,
            cancel_reason="specimen lost",
        )
        priced = PrescriptionFactory(encounter=encounter, drug_code="para", quantity=Decimal("20"))
        unpriced = PrescriptionFactory(encounter=encounter, drug_name="Rare drug", drug_code="")
        LabOrderFactory(encounter=other_encounter)  # another visit's: never proposed here
        invoice = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
    return {"invoice": invoice, "haemoglobin": haemoglobin, "priced": priced, "unpriced": unpriced}


@pytest.mark.django_db
def test_the_visit_proposes_its_orders_and_prescriptions_and_adds_nothing_by_itself(receptionist, visit):
    with hospital_context(CODE):
        proposed = selectors.invoice_proposed_lines(user=receptionist, invoice=visit["invoice"])
        assert InvoiceLine.objects.count() == 0
    shown = [(p.source_kind, p.source_id, p.item.code if p.item else None, p.quantity) for p in proposed]
    assert shown == [
        ("lab_order", visit["haemoglobin"].pk, "718-7", Decimal(1)),
        ("prescription", visit["priced"].pk, "PARA", Decimal("20")),
        ("prescription", visit["unpriced"].pk, None, Decimal(1)),  # no price: the cashier picks one
    ]


@pytest.mark.django_db
def test_the_cashier_accepts_proposed_lines_picking_an_item_for_the_unpriced(receptionist, visit):
    invoice = visit["invoice"]
    with hospital_context(CODE):
        lines = services.invoice_lines_accept(
            acting_user=receptionist,
            invoice_id=invoice.pk,
            lines=[
                services.AcceptedLine("lab_order", visit["haemoglobin"].pk, "718-7", Decimal(1)),
                services.AcceptedLine("prescription", visit["unpriced"].pk, "cons", Decimal(1)),
            ],
        )
        left = selectors.invoice_proposed_lines(user=receptionist, invoice=invoice)
        events = list(AuditEvent.objects.filter(action="invoice.line_accept"))
        # The same order twice, or one of another visit, is refused with nothing added.
        with pytest.raises(ApplicationError, match="already on this invoice"):
            services.invoice_lines_accept(
                acting_user=receptionist,
                invoice_id=invoice.pk,
                lines=[services.AcceptedLine("lab_order", visit["haemoglobin"].pk, "718-7", Decimal(1))],
            )
        with pytest.raises(ApplicationError, match="not part of this visit"):
            services.invoice_lines_accept(
                acting_user=receptionist,
                invoice_id=invoice.pk,
                lines=[services.AcceptedLine("lab_order", 999999, "718-7", Decimal(1))],
            )
        assert InvoiceLine.objects.count() == 2
    assert [(line.item_code, line.line_total, line.source_kind) for line in lines] == [
        ("718-7", Decimal("4.00"), "lab_order"),
        ("CONS", Decimal("50.00"), "prescription"),
    ]
    assert [p.source_id for p in left] == [visit["priced"].pk]
    assert [e.detail["source_id"] for e in events] == [visit["haemoglobin"].pk, visit["unpriced"].pk]


@pytest.mark.django_db
def test_an_accepted_line_without_an_item_is_refused_and_nothing_is_added(receptionist, visit):
    with hospital_context(CODE):
        with pytest.raises(ApplicationError, match="Choose an item from the price list"):
            services.invoice_lines_accept(
                acting_user=receptionist,
                invoice_id=visit["invoice"].pk,
                lines=[
                    services.AcceptedLine("lab_order", visit["haemoglobin"].pk, "718-7", Decimal(1)),
                    services.AcceptedLine("prescription", visit["unpriced"].pk, "", Decimal(1)),
                ],
            )
        assert InvoiceLine.objects.count() == 0
