"""Alert pages, mounted at /h/<CODE>/alerts/."""

from django.urls import path

from hms.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<id:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("settings/", views.alert_settings_page, name="settings"),
]
