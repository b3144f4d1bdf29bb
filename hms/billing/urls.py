"""Billing pages, mounted at /h/<CODE>/billing/."""

from django.urls import path

from hms.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.billing_home, name="home"),
    path("settings/", views.billing_settings, name="settings"),
    path("prices/", views.price_list, name="price-list"),
    path("prices/<id:item_id>/", views.price_item_edit, name="price-item"),
    path(
        "prices/<id:item_id>/deactivate/",
        views.price_item_active,
        {"active": False},
        name="price-item-deactivate",
    ),
    path(
        "prices/<id:item_id>/reactivate/",
        views.price_item_active,
        {"active": True},
        name="price-item-reactivate",
    ),
    path("encounters/<id:encounter_id>/", views.encounter_invoice, name="encounter"),
    path("invoices/<id:invoice_id>/", views.invoice_page, name="invoice"),
    path("invoices/<id:invoice_id>/lines/", views.invoice_line_add, name="line-add"),
    path(
        "invoices/<id:invoice_id>/lines/<id:line_id>/remove/", views.invoice_line_remove, name="line-remove"
    ),
    path("invoices/<id:invoice_id>/lines/accept/", views.invoice_lines_accept, name="lines-accept"),
    path(
        "invoices/<id:invoice_id>/lines/<id:line_id>/discount/",
        views.invoice_line_discount,
        name="line-discount",
    ),
    path("invoices/<id:invoice_id>/discount/", views.invoice_discount, name="invoice-discount"),
    path("invoices/<id:invoice_id>/issue/", views.invoice_issue, name="issue"),
    path("invoices/<id:invoice_id>/void/", views.invoice_void, name="invoice-void"),
    path("invoices/<id:invoice_id>/payments/", views.payment_record, name="payment-record"),
    path(
        "invoices/<id:invoice_id>/payments/<id:payment_id>/void/",
        views.payment_void,
        name="payment-void",
    ),
    path(
        "invoices/<id:invoice_id>/payments/<id:payment_id>/refund/",
        views.payment_refund,
        name="payment-refund",
    ),
    path(
        "invoices/<id:invoice_id>/refunds/<id:refund_id>/void/",
        views.refund_void,
        name="refund-void",
    ),
    path("invoices/<id:invoice_id>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("invoices/<id:invoice_id>/print/", views.invoice_print, name="invoice-print"),
    path("outstanding/", views.outstanding, name="outstanding"),
    path("patients/<id:patient_id>/", views.patient_invoices, name="patient-invoices"),
    path("takings/", views.takings, name="takings"),
]
