from django.urls import path

from hms.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.staff_index, name="index"),
    path("departments/", views.department_new, name="department-new"),
    path("members/", views.member_new, name="member-new"),
    path("accounts/", views.account_new, name="account-new"),
    path("members/<id:member_id>/deactivate/", views.member_deactivate, name="member-deactivate"),
    path("members/<id:member_id>/reactivate/", views.member_reactivate, name="member-reactivate"),
    path("members/<id:member_id>/password-reset/", views.member_password_reset, name="member-password-reset"),
]
