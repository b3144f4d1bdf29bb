from django.urls import path

from hms.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.day_list, name="day"),
    path("book/", views.appointment_book_form, name="book"),
    path("hours/", views.working_hours, name="hours"),
    path("patients/<str:patient_id>/", views.patient_appointment_list, name="patient"),
    path("<str:appointment_id>/status/", views.appointment_status, name="status"),
    path("<str:appointment_id>/cancel/", views.appointment_cancel_form, name="cancel"),
    path("<str:appointment_id>/reschedule/", views.appointment_reschedule_form, name="reschedule"),
]
