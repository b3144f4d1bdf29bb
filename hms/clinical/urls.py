from django.urls import path

from hms.clinical import views

app_name = "clinical"
urlpatterns = [
    path("profile/", views.profile_page, name="profile"),
]
