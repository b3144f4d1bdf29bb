from django.urls import path

from hms.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("h/<str:hospital_code>/", views.hospital_home, name="hospital-home"),
]
