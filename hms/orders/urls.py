"""Pages of the orders app, mounted at /h/<CODE>/orders/. Ids are `<id:>`: junk answers 404."""

from django.urls import include, path

from hms.orders import views

# Under lab/orders/<id:order_id>/: one lab order, from collection to its results.
lab_order_patterns = [
    path("", views.lab_order, name="lab-order"),
    path("collect/", views.lab_order_collect, name="lab-order-collect"),
    path("panel/", views.lab_panel, name="lab-panel"),
    path("result/", views.lab_result_enter, name="lab-result-enter"),
    path("cancel/", views.lab_order_cancel, name="lab-order-cancel"),
    path("void/", views.lab_order_void, name="lab-order-void"),
]

app_name = "orders"
urlpatterns = [
    path("encounters/<id:encounter_id>/prescriptions/new/", views.prescription_new, name="prescription-new"),
    path("formulary/search/", views.formulary_search, name="formulary-search"),
    path(
        "patients/<id:patient_id>/prescriptions/", views.patient_prescriptions, name="patient-prescriptions"
    ),
    path("prescriptions/<id:prescription_id>/stop/", views.prescription_stop, name="prescription-stop"),
    path(
        "prescriptions/<id:prescription_id>/complete/",
        views.prescription_complete,
        name="prescription-complete",
    ),
    path("prescriptions/<id:prescription_id>/void/", views.prescription_void, name="prescription-void"),
    path("encounters/<id:encounter_id>/lab-orders/new/", views.lab_order_new, name="lab-order-new"),
    path("patients/<id:patient_id>/lab/", views.patient_lab_results, name="patient-lab-results"),
    path("lab/worklist/", views.lab_worklist, name="lab-worklist"),
    path("lab/orders/<id:order_id>/", include(lab_order_patterns)),
    path("lab/results/<id:result_id>/verify/", views.lab_result_verify, name="lab-result-verify"),
    path("lab/results/<id:result_id>/correct/", views.lab_result_correct, name="lab-result-correct"),
]
