"""Patient pages, mounted at /h/<CODE>/patients/."""

from django.urls import include, path

from hms.patients import views

# Under <id:patient_id>/: one patient's registration record.
patient_patterns = [
    path("", views.patient_show, name="detail"),
    path("edit/", views.patient_edit, name="edit"),
    path("identifiers/", views.patient_identifier_new, name="identifier-new"),
    path("next-of-kin/", views.patient_next_of_kin_new, name="next-of-kin-new"),
    path("portal/", views.patient_portal_link_new, name="portal-link"),
    path("portal/unlink/", views.patient_portal_unlink_new, name="portal-unlink"),
    path("death/", views.patient_death_new, name="death-record"),
    path("death/undo/", views.patient_death_undo_new, name="death-undo"),
]

app_name = "patients"
urlpatterns = [
    path("new/", views.patient_new, name="new"),
    path("<id:patient_id>/", include(patient_patterns)),
]
