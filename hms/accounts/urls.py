from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from hms.accounts import views

# Under account/password-reset/: the forgotten-password link, asked for, sent and used.
password_reset_patterns = [
    path("", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path("<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]

# Under account/two-step/: the second sign-in step (an authenticator app) and its recovery codes.
two_step_patterns = [
    path("setup/", views.mfa_setup, name="mfa-setup"),
    path("setup/qr.svg", views.mfa_setup_qr, name="mfa-setup-qr"),
    path("verify/", views.mfa_verify_page, name="mfa-verify"),
    path("recovery-codes/", views.mfa_recovery_codes, name="mfa-recovery-codes"),
    path("remove/", views.mfa_remove, name="mfa-remove"),
]

# Under account/: a person's own account: details, password and second sign-in step.
account_patterns: list[URLPattern | URLResolver] = [
    path("", views.account, name="account"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("password-reset/", include(password_reset_patterns)),
    path("two-step/", include(two_step_patterns)),
]

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include(account_patterns)),
]
