"""A hospital's own account pages, under /h/<CODE>/accounts/ (its administrator's)."""

from django.urls import path

from hms.accounts import views

app_name = "accounts"
urlpatterns = [
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/clear/", views.lockout_clear_page, name="lockout-clear"),
]
