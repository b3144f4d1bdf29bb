"""Encounter pages, mounted at /h/<CODE>/encounters/."""

from django.urls import include, path

from hms.encounters import problem_views, views

# Under patients/<id:patient_id>/: one patient's encounters, allergies and problems.
patient_patterns = [
    path("", views.patient_encounters, name="patient"),
    path("start/", views.encounter_new, name="start"),
    path("allergies/", views.allergy_new, name="allergy-new"),
    path("no-known-allergies/", views.nka_new, name="nka-new"),
    path("problems/", problem_views.problem_list, name="problems"),
]

# Under notes/<id:note_id>/: one clinical note, from draft to signed, amended or voided.
note_patterns = [
    path("", views.note_show, name="note"),
    path("edit/", views.note_edit, name="note-edit"),
    path("sign/", views.note_sign, name="note-sign"),
    path("amend/", views.note_amend, name="note-amend"),
    path("void/", views.note_void, name="note-void"),
]

# Under <id:encounter_id>/: one encounter and what is recorded in it.
encounter_patterns = [
    path("", views.encounter_show, name="detail"),
    path("finish/", views.encounter_finish, name="finish"),
    path("void/", views.encounter_void, name="void"),
    path("vitals/", views.vitals_new, name="vitals"),
    path("vitals/correct/", views.vitals_correct, name="vitals-correct"),
    path("diagnoses/", views.diagnosis_new, name="diagnosis-new"),
    path("notes/new/", views.note_new, name="note-new"),
]

app_name = "encounters"
urlpatterns = [
    path("patients/<id:patient_id>/", include(patient_patterns)),
    path("problems/from-diagnosis/", problem_views.problem_from_diagnosis, name="problem-from-diagnosis"),
    path("problems/<id:problem_id>/status/", problem_views.problem_status, name="problem-status"),
    path("problems/<id:problem_id>/void/", problem_views.problem_void, name="problem-void"),
    path("no-known-allergies/<id:statement_id>/void/", views.nka_void, name="nka-void"),
    path("allergies/<id:allergy_id>/status/", views.allergy_status, name="allergy-status"),
    path("allergies/<id:allergy_id>/void/", views.allergy_void, name="allergy-void"),
    path("observations/<id:observation_id>/void/", views.observation_void, name="observation-void"),
    path("diagnoses/<id:diagnosis_id>/void/", views.diagnosis_void, name="diagnosis-void"),
    path("notes/<id:note_id>/", include(note_patterns)),
    path("<id:encounter_id>/", include(encounter_patterns)),
]
