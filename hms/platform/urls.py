"""The platform console. Actions name their hospital in the form (`code`), not the address."""

from django.urls import path

from hms.platform import views

app_name = "platform"

urlpatterns = [
    path("", views.console, name="console"),
    path("hospital/", views.hospital, name="hospital"),
    path("hospitals/new/", views.hospital_new, name="hospital-new"),
    path("suspend/", views.suspend, name="suspend"),
    path("reactivate/", views.reactivate, name="reactivate"),
    path("backup/", views.backup, name="backup"),
    path("check/", views.check, name="check"),
    path("archive/", views.archive, name="archive"),
    path("remove-database/", views.remove_database, name="remove-database"),
]
