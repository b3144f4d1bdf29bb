from django.urls import path

from hms.encounters import views

app_name = "encounters"
urlpatterns = [
    path("patients/<str:patient_id>/", views.patient_encounters, name="patient"),
    path("patients/<str:patient_id>/start/", views.encounter_new, name="start"),
    path("patients/<str:patient_id>/allergies/", views.allergy_new, name="allergy-new"),
    path("allergies/<str:allergy_id>/status/", views.allergy_status, name="allergy-status"),
    path("allergies/<str:allergy_id>/void/", views.allergy_void, name="allergy-void"),
    path("observations/<str:observation_id>/void/", views.observation_void, name="observation-void"),
    path("diagnoses/<str:diagnosis_id>/void/", views.diagnosis_void, name="diagnosis-void"),
    path("notes/<str:note_id>/", views.note_show, name="note"),
    path("notes/<str:note_id>/edit/", views.note_edit, name="note-edit"),
    path("notes/<str:note_id>/sign/", views.note_sign, name="note-sign"),
    path("notes/<str:note_id>/amend/", views.note_amend, name="note-amend"),
    path("notes/<str:note_id>/void/", views.note_void, name="note-void"),
    path("<str:encounter_id>/", views.encounter_show, name="detail"),
    path("<str:encounter_id>/finish/", views.encounter_finish, name="finish"),
    path("<str:encounter_id>/void/", views.encounter_void, name="void"),
    path("<str:encounter_id>/vitals/", views.vitals_new, name="vitals"),
    path("<str:encounter_id>/diagnoses/", views.diagnosis_new, name="diagnosis-new"),
    path("<str:encounter_id>/notes/new/", views.note_new, name="note-new"),
]
