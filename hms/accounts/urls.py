from django.contrib.auth import views as auth_views
from django.urls import path

from hms.accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("account/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("account/two-step/setup/", views.mfa_setup, name="mfa-setup"),
    path("account/two-step/setup/qr.svg", views.mfa_setup_qr, name="mfa-setup-qr"),
    path("account/two-step/verify/", views.mfa_verify_page, name="mfa-verify"),
    path("account/two-step/recovery-codes/", views.mfa_recovery_codes, name="mfa-recovery-codes"),
    path("account/two-step/remove/", views.mfa_remove, name="mfa-remove"),
]
