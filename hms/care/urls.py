"""Care pages, mounted at /h/<CODE>/care/."""

from django.urls import path

from hms.care import views

app_name = "care"
urlpatterns = [
    path("patients/<id:patient_id>/emergency-access/", views.emergency_start, name="emergency-start"),
    path("patients/<id:patient_id>/assign/", views.assign, name="assign"),
    path("patients/<id:patient_id>/access-report/", views.access_report, name="access-report"),
    path("emergency-access/", views.emergency_list, name="emergency-list"),
    path("emergency-access/<id:access_id>/end/", views.emergency_end, name="emergency-end"),
    path("emergency-access/<id:access_id>/review/", views.emergency_review, name="emergency-review"),
]
