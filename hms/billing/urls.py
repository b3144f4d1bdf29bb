"""Billing pages, mounted at /h/<CODE>/billing/."""

from django.urls import include, path

from hms.billing import views

# Under prices/<id:item_id>/: one price list item.
price_item_patterns = [
    path("", views.price_item_edit, name="price-item"),
    path("deactivate/", views.price_item_active, {"active": False}, name="price-item-deactivate"),
    path("reactivate/", views.price_item_active, {"active": True}, name="price-item-reactivate"),
]

# Under invoices/<id:invoice_id>/: one invoice, its lines, payments and refunds.
invoice_patterns = [
    path("", views.invoice_page, name="invoice"),
    path("lines/", views.invoice_line_add, name="line-add"),
    path("lines/<id:line_id>/remove/", views.invoice_line_remove, name="line-remove"),
    path("lines/accept/", views.invoice_lines_accept, name="lines-accept"),
    path("lines/<id:line_id>/discount/", views.invoice_line_discount, name="line-discount"),
    path("discount/", views.invoice_discount, name="invoice-discount"),
    path("issue/", views.invoice_issue, name="issue"),
    path("void/", views.invoice_void, name="invoice-void"),
    path("payments/", views.payment_record, name="payment-record"),
    path("payments/<id:payment_id>/void/", views.payment_void, name="payment-void"),
    path("payments/<id:payment_id>/refund/", views.payment_refund, name="payment-refund"),
    path("refunds/<id:refund_id>/void/", views.refund_void, name="refund-void"),
    path("pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("print/", views.invoice_print, name="invoice-print"),
]

app_name = "billing"
urlpatterns = [
    path("", views.billing_home, name="home"),
    path("settings/", views.billing_settings, name="settings"),
    path("prices/", views.price_list, name="price-list"),
    path("prices/<id:item_id>/", include(price_item_patterns)),
    path("encounters/<id:encounter_id>/", views.encounter_invoice, name="encounter"),
    path("invoices/<id:invoice_id>/", include(invoice_patterns)),
    path("outstanding/", views.outstanding, name="outstanding"),
    path("patients/<id:patient_id>/", views.patient_invoices, name="patient-invoices"),
    path("takings/", views.takings, name="takings"),
]
