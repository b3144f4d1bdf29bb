from django.urls import path

from hms.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.day_list, name="day"),
    path("book/", views.appointment_book_form, name="book"),
    path("book/patients/", views.patient_picker, name="patient-picker"),
    path("book/patients/<id:patient_id>/", views.appointment_book_for_patient, name="book-patient"),
    path("hours/", views.working_hours, name="hours"),
    path("rules/", views.booking_rules, name="rules"),
    path("my/book/", views.portal_book, name="portal-book"),
    path("calendar/day/", views.calendar_day, name="calendar-day"),
    path("calendar/week/", views.calendar_week, name="calendar-week"),
    path("calendar/department/", views.calendar_department, name="calendar-department"),
    path("patients/<id:patient_id>/", views.patient_appointment_list, name="patient"),
    path("<id:appointment_id>/status/", views.appointment_status, name="status"),
    path("<id:appointment_id>/cancel/", views.appointment_cancel_form, name="cancel"),
    path("<id:appointment_id>/reschedule/", views.appointment_reschedule_form, name="reschedule"),
]
