"""Invoices and payments: a patient's invoices, one invoice with its lines, payments and balance,
open a draft for a visit, add the lines its orders and prescriptions propose (priced from the
price list), issue it (numbered, fixed) and record payments; through the billing pages' services
and selectors, so the desk and the administrator bill, and a patient reads their own issued
invoices. A visit already invoiced answers 409 naming its invoice."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.api.base import HospitalAPIView
from hms.api.conflicts import conflict_naming
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import InputSerializer, validated
from hms.billing.models import MONEY_DIGITS, MONEY_PLACES, QUANTITY_DIGITS, Invoice, InvoiceLine, Payment
from hms.billing.selectors import invoice_detail, invoice_proposed_lines, invoices_for_patient
from hms.billing.services import (
    AcceptedLine,
    invoice_create_for_encounter,
    invoice_issue,
    invoice_lines_accept,
    payment_record,
)
from hms.core.exceptions import ApplicationError
from hms.core.ids import MAX_ID
from hms.core.pages import page_of


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs)


# --- what the API answers ----------------------------------------------------------------


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "item_code",
            "item_name",
            "category",
            "quantity",
            "unit_price",
            "line_total",
            "discount_amount",
            "source_kind",
            "source_id",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    voided = serializers.BooleanField(source="is_voided")

    class Meta:
        model = Payment
        fields = ["id", "amount", "method", "reference", "received_at", "voided"]
        read_only_fields = fields


class InvoiceSummarySerializer(serializers.ModelSerializer):
    total = _money(source="total_amount", help_text="The lines less the invoice's discount.")
    paid = _money(source="paid_amount", help_text="Payments less refunds.")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "encounter",
            "patient",
            "status",
            "currency",
            "issued_at",
            "paid_at",
            "total",
            "paid",
        ]
        read_only_fields = fields


InvoicePageSerializer = page_serializer("InvoicePageSerializer", InvoiceSummarySerializer)


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="invoice.pk")
    number = serializers.CharField(source="invoice.number", allow_null=True, help_text="Given when issued.")
    encounter = serializers.IntegerField(source="invoice.encounter_id")
    patient = serializers.IntegerField(source="invoice.patient_id")
    status = serializers.ChoiceField(source="invoice.status", choices=Invoice.Status.choices)
    currency = serializers.CharField(source="invoice.currency")
    issued_at = serializers.DateTimeField(source="invoice.issued_at", allow_null=True)
    paid_at = serializers.DateTimeField(source="invoice.paid_at", allow_null=True)
    discount_amount = _money(source="invoice.discount_amount")
    lines = InvoiceLineSerializer(many=True)
    payments = PaymentSerializer(many=True)
    total = _money()
    paid = _money()
    balance = _money()


class ProposedLineSerializer(serializers.Serializer):
    source_kind = serializers.ChoiceField(choices=InvoiceLine.Source.choices)
    source_id = serializers.IntegerField()
    description = serializers.CharField()
    code = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=2)
    item_code = serializers.CharField(
        source="item.code", allow_null=True, default=None, help_text="The matching price; null: pick one."
    )
    unit_price = _money(source="item.unit_price", allow_null=True, default=None)


# --- what the API takes --------------------------------------------------------------------


class AcceptedLineInput(InputSerializer):
    source_kind = serializers.ChoiceField(choices=InvoiceLine.Source.choices)
    source_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    item_code = serializers.CharField(max_length=32, help_text="The price list item it is billed as.")
    quantity = serializers.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=2, min_value=0)


class LinesInput(InputSerializer):
    lines = AcceptedLineInput(many=True, help_text="Proposed lines accepted (GET .../proposed-lines).")


class PaymentInput(InputSerializer):
    amount = _money(help_text="At most the balance.")
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


# --- the endpoints -------------------------------------------------------------------------


class _InvoiceView(HospitalAPIView):
    def _invoice(self, invoice_id: int) -> Any:
        detail = invoice_detail(
            user=self.acting_user, invoice_id=invoice_id, client_address=self.client_address
        )
        return InvoiceSerializer(detail).data


class PatientInvoices(HospitalAPIView):
    @extend_schema(
        operation_id="invoices_list",
        parameters=[CURSOR],
        responses={200: InvoicePageSerializer},
        summary="A patient's invoices, newest first (a patient: their own issued ones)",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        _, invoices = invoices_for_patient(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        page = page_of(invoices, self.paginator.page_number(request))
        return self.paginator.response(page, InvoiceSummarySerializer(page.object_list, many=True).data)


class EncounterInvoices(_InvoiceView):
    @extend_schema(
        operation_id="invoices_create",
        request=None,
        responses={201: InvoiceSerializer},
        summary="Open a draft invoice for a visit (409 if it has one already)",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        try:
            invoice = invoice_create_for_encounter(
                acting_user=self.acting_user, encounter_id=encounter_id, client_address=self.client_address
            )
        except ApplicationError as error:
            raise conflict_naming(error, "invoice_id") from error
        return Response(self._invoice(invoice.pk), status=201)


class InvoiceRead(_InvoiceView):
    @extend_schema(
        operation_id="invoices_retrieve",
        responses={200: InvoiceSerializer},
        summary="One invoice with its lines, payments, total, paid and balance",
    )
    def get(self, request: Request, hospital_code: str, invoice_id: int) -> Response:
        return Response(self._invoice(invoice_id))


class InvoiceProposedLines(HospitalAPIView):
    @extend_schema(
        operation_id="invoices_proposed_lines",
        responses={200: ProposedLineSerializer(many=True)},
        summary="The lines a draft's visit proposes (its orders and prescriptions not billed yet)",
    )
    def get(self, request: Request, hospital_code: str, invoice_id: int) -> Response:
        detail = invoice_detail(
            user=self.acting_user, invoice_id=invoice_id, client_address=self.client_address
        )
        proposed = invoice_proposed_lines(user=self.acting_user, invoice=detail.invoice)
        return Response(ProposedLineSerializer(proposed, many=True).data)


class InvoiceLines(_InvoiceView):
    @extend_schema(
        operation_id="invoices_lines_add",
        request=LinesInput,
        responses={201: InvoiceSerializer},
        summary="Add proposed lines to a draft invoice, all or none",
    )
    def post(self, request: Request, hospital_code: str, invoice_id: int) -> Response:
        data = validated(LinesInput, request.data)
        invoice_lines_accept(
            acting_user=self.acting_user,
            invoice_id=invoice_id,
            lines=[AcceptedLine(**line) for line in data["lines"]],
            client_address=self.client_address,
        )
        return Response(self._invoice(invoice_id), status=201)


class InvoiceIssue(_InvoiceView):
    @extend_schema(
        operation_id="invoices_issue",
        request=None,
        responses={200: InvoiceSerializer},
        summary="Issue a draft invoice: numbered, its lines fixed (a zero total is paid at once)",
    )
    def post(self, request: Request, hospital_code: str, invoice_id: int) -> Response:
        invoice_issue(acting_user=self.acting_user, invoice_id=invoice_id, client_address=self.client_address)
        return Response(self._invoice(invoice_id))


class InvoicePayments(_InvoiceView):
    @extend_schema(
        operation_id="payments_create",
        request=PaymentInput,
        responses={201: InvoiceSerializer},
        summary="Record a payment against an issued invoice (at most its balance; the balance pays it)",
    )
    def post(self, request: Request, hospital_code: str, invoice_id: int) -> Response:
        data = validated(PaymentInput, request.data)
        payment_record(
            acting_user=self.acting_user, invoice_id=invoice_id, client_address=self.client_address, **data
        )
        return Response(self._invoice(invoice_id), status=201)


urlpatterns = [
    path("patients/<id:patient_id>/invoices", PatientInvoices.as_view(), name="patient-invoices"),
    path("encounters/<id:encounter_id>/invoices", EncounterInvoices.as_view(), name="encounter-invoices"),
    path("invoices/<id:invoice_id>", InvoiceRead.as_view(), name="invoice"),
    path(
        "invoices/<id:invoice_id>/proposed-lines",
        InvoiceProposedLines.as_view(),
        name="invoice-proposed-lines",
    ),
    path("invoices/<id:invoice_id>/lines", InvoiceLines.as_view(), name="invoice-lines"),
    path("invoices/<id:invoice_id>/issue", InvoiceIssue.as_view(), name="invoice-issue"),
    path("invoices/<id:invoice_id>/payments", InvoicePayments.as_view(), name="invoice-payments"),
]
