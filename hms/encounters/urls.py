from django.urls import path

from hms.encounters import problem_views, views

app_name = "encounters"
urlpatterns = [
    path("patients/<id:patient_id>/", views.patient_encounters, name="patient"),
    path("patients/<id:patient_id>/start/", views.encounter_new, name="start"),
    path("patients/<id:patient_id>/allergies/", views.allergy_new, name="allergy-new"),
    path("patients/<id:patient_id>/no-known-allergies/", views.nka_new, name="nka-new"),
    path("patients/<id:patient_id>/problems/", problem_views.problem_list, name="problems"),
    path("problems/from-diagnosis/", problem_views.problem_from_diagnosis, name="problem-from-diagnosis"),
    path("problems/<id:problem_id>/status/", problem_views.problem_status, name="problem-status"),
    path("problems/<id:problem_id>/void/", problem_views.problem_void, name="problem-void"),
    path("no-known-allergies/<id:statement_id>/void/", views.nka_void, name="nka-void"),
    path("allergies/<id:allergy_id>/status/", views.allergy_status, name="allergy-status"),
    path("allergies/<id:allergy_id>/void/", views.allergy_void, name="allergy-void"),
    path("observations/<id:observation_id>/void/", views.observation_void, name="observation-void"),
    path("diagnoses/<id:diagnosis_id>/void/", views.diagnosis_void, name="diagnosis-void"),
    path("notes/<id:note_id>/", views.note_show, name="note"),
    path("notes/<id:note_id>/edit/", views.note_edit, name="note-edit"),
    path("notes/<id:note_id>/sign/", views.note_sign, name="note-sign"),
    path("notes/<id:note_id>/amend/", views.note_amend, name="note-amend"),
    path("notes/<id:note_id>/void/", views.note_void, name="note-void"),
    path("<id:encounter_id>/", views.encounter_show, name="detail"),
    path("<id:encounter_id>/finish/", views.encounter_finish, name="finish"),
    path("<id:encounter_id>/void/", views.encounter_void, name="void"),
    path("<id:encounter_id>/vitals/", views.vitals_new, name="vitals"),
    path("<id:encounter_id>/vitals/correct/", views.vitals_correct, name="vitals-correct"),
    path("<id:encounter_id>/diagnoses/", views.diagnosis_new, name="diagnosis-new"),
    path("<id:encounter_id>/notes/new/", views.note_new, name="note-new"),
]
