from django.urls import path

from hms.patients import views

app_name = "patients"
urlpatterns = [
    path("new/", views.patient_new, name="new"),
    path("<id:patient_id>/", views.patient_show, name="detail"),
    path("<id:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<id:patient_id>/identifiers/", views.patient_identifier_new, name="identifier-new"),
    path("<id:patient_id>/next-of-kin/", views.patient_next_of_kin_new, name="next-of-kin-new"),
    path("<id:patient_id>/portal/", views.patient_portal_link_new, name="portal-link"),
    path("<id:patient_id>/portal/unlink/", views.patient_portal_unlink_new, name="portal-unlink"),
    path("<id:patient_id>/death/", views.patient_death_new, name="death-record"),
    path("<id:patient_id>/death/undo/", views.patient_death_undo_new, name="death-undo"),
]
