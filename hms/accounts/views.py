"""Sign-in pages: password change and reset, the second factor, and the hospital's lockouts."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hms.accounts.forms import ResetRequestForm, TokenForm
from hms.accounts.lockout import lockout_clear, lockout_list
from hms.accounts.mfa import (
    mfa_enabled,
    mfa_enrol,
    mfa_pending_device,
    mfa_qr_svg,
    mfa_recovery_codes_renew,
    mfa_required,
    mfa_reset,
    mfa_secret,
    mfa_verify,
    next_url,
    session_verified,
)
from hms.accounts.models import Role, User
from hms.accounts.permissions import MATRIX, Action, Resource
from hms.core.exceptions import ApplicationError
from hms.core.ids import record_id
from hms.core.pages import form_error_show, hospital_page
from hms.security.log import Kind, security_record
from hms.tenancy.http import HospitalRequest


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required let only signed-in users in
    return user


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    may_unlock = MATRIX.get(Role(user.role), {}).get((Resource.LOCKOUT, Action.VIEW)) is not None
    return render(
        request,
        "accounts/account.html",
        {
            "mfa_enabled": mfa_enabled(user),
            "mfa_required": mfa_required(user),
            "may_unlock": may_unlock and user.hospital is not None,
        },
    )


class _PasswordSetRecorded:
    """A password set by one of Django's forms is written to the security log as `recorded`."""

    recorded: Kind
    request: HttpRequest

    def form_valid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_valid(form)  # type: ignore[misc]
        security_record(self.recorded, user=form.user, request=self.request)
        return response


class PasswordChangeView(_PasswordSetRecorded, auth_views.PasswordChangeView):
    """Django's page: the old password, then the new one twice. The session's key is rotated
    (update_session_auth_hash); every other session of the user ends at its next request."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password_change_done")
    recorded = Kind.PASSWORD_CHANGED


class PasswordResetView(auth_views.PasswordResetView):
    """The same page, the same answer and the same mail-sending path whether or not an
    account has that address; the link works once (it is bound to the password's hash)."""

    form_class = ResetRequestForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "timeout_minutes": _reset_minutes()}

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"timeout_minutes": _reset_minutes()}
        return super().form_valid(form)


def _reset_minutes() -> int:
    return int(settings.PASSWORD_RESET_TIMEOUT) // 60


class PasswordResetConfirmView(_PasswordSetRecorded, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    recorded = Kind.PASSWORD_RESET


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: scan the code (or type the key), then type a code it shows."""
    user = _user(request)
    if mfa_enabled(user) and not session_verified(user):
        return redirect("mfa-verify")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa_enrol(request=request, user=user, token=form.cleaned_data["token"])
        except ApplicationError as error:
            form_error_show(form, error)
        else:
            return render(
                request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": next_url(request)}
            )
    device = mfa_pending_device(user=user)
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "secret": mfa_secret(device),
            "config_url": device.config_url,
            "next": request.GET.get("next", ""),
            "already": mfa_enabled(user),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def mfa_setup_qr(request: HttpRequest) -> HttpResponse:
    """The pending authenticator's QR code, an SVG image (the page has no inline images)."""
    user = _user(request)
    if mfa_enabled(user) and not session_verified(user):
        return HttpResponse(status=404)
    return HttpResponse(mfa_qr_svg(mfa_pending_device(user=user)), content_type="image/svg+xml")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_verify_page(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator, or a recovery code."""
    user = _user(request)
    if session_verified(user) or not mfa_enabled(user):
        return redirect(next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa_verify(request=request, user=user, token=form.cleaned_data["token"]):
            return redirect(next_url(request))
        form.add_error("token", "That code is not right, or was used already. Try the newest code.")
    return render(
        request,
        "accounts/mfa_verify.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not mfa_enabled(user):
        return redirect("account")
    codes = mfa_recovery_codes_renew(request=request, user=user)
    return render(
        request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": reverse_lazy("account")}
    )


@login_required
@require_POST
def mfa_remove(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    mfa_reset(user=user, request=request)
    if mfa_required(user):
        messages.info(request, "Your role needs a second factor: set up your new authenticator now.")
        return redirect("mfa-setup")
    messages.info(request, "Two-step sign-in is off. Your password alone signs you in now.")
    return redirect("account")


@hospital_page()
def lockouts(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """Accounts of this hospital with recent failed sign-ins, and which are locked."""
    return render(request, "accounts/lockouts.html", {"lockouts": lockout_list(user=request.user)})


@hospital_page("POST")
def lockout_clear_page(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    account_id = record_id(request.POST.get("account", ""))
    if account_id is None:
        return HttpResponse("Choose an account.", status=400, content_type="text/plain")
    account = lockout_clear(acting_user=request.user, account_id=account_id, request=request)
    messages.info(request, f"{account.get_full_name() or account.get_username()} can sign in again.")
    return redirect("accounts:lockouts", hospital_code=hospital_code)
