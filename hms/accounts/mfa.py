"""The second factor: TOTP (an authenticator app) with single-use recovery codes (django-otp).

Anyone may set one up; the roles in HMS_MFA_REQUIRED_ROLES must (production: ADMIN and
SUPERADMIN). `SecondFactorMiddleware` stands before every page, the Django admin
included: a signed-in user with a device who has not given a code this session is sent to
the code page, and one whose role requires a device and who has none, to set one up.
Devices live in the shared database with the accounts.
"""

import time
from base64 import b32encode
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import User
from hms.core.exceptions import ApplicationError
from hms.security.log import Kind, security_record

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# How long a session remembers that its user has no device (their device could be set up
# from another session meanwhile); a request within it costs no device look-up.
NO_DEVICE_RECHECK_SECONDS = 60
NO_DEVICE_SESSION_KEY = "hms_mfa_none_checked_at"


def mfa_required(user: User) -> bool:
    return user.role in settings.HMS_MFA_REQUIRED_ROLES


def session_verified(user: object) -> bool:
    """Whether this session's user has given a code (django-otp's OTPMiddleware adds the method)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def mfa_enabled(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def mfa_pending_device(*, user: User) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), made on first use; one per user."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def mfa_secret(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def mfa_qr_svg(device: TOTPDevice) -> bytes:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string()


def _recovery_codes_new(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.HMS_MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def mfa_enrol(*, request: HttpRequest, user: User, token: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; returns new recovery codes.

    The session counts as verified from here on (its key is rotated).
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token(token):
        security_record(Kind.MFA_FAILED, user=user, request=request, detail={"stage": "setup"})
        raise ApplicationError(
            "That code is not the one your app shows. Check the time on your phone and try the newest code.",
            details={"token": ["Not the code your app shows."]},
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()  # one authenticator
        codes = _recovery_codes_new(user=user)
    _verified(request, device)
    security_record(Kind.MFA_ENROLLED, user=user, request=request, detail={"recovery_codes": len(codes)})
    return codes


def mfa_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a code from the authenticator, or a recovery code (each works once)."""
    token = "".join(token.split()).lower()
    kind = "authenticator" if token.isdigit() else "recovery code"
    model = TOTPDevice if token.isdigit() else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        accepted = verify_token(user, device.persistent_id, token)
        if accepted is not None:
            _verified(request, accepted)
            security_record(Kind.MFA_VERIFIED, user=user, request=request, detail={"with": kind})
            return True
    security_record(Kind.MFA_FAILED, user=user, request=request, detail={"with": kind})
    return False


def mfa_recovery_codes_renew(*, request: HttpRequest, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = _recovery_codes_new(user=user)
    security_record(Kind.MFA_ENROLLED, user=user, request=request, detail={"recovery_codes": len(codes)})
    return codes


def mfa_reset(*, user: User, actor: User | None = None, request: HttpRequest | None = None) -> int:
    """Remove every device of `user` (a lost phone, or turning it off); returns how many."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    security_record(Kind.MFA_RESET, user=user, actor=actor, request=request, detail={"devices": removed})
    return removed


def mfa_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At sign-in (user_logged_in): look the user's devices up once, so a user with none costs
    no look-up on the pages that follow (the middleware looks again after a minute)."""
    if request is None or not hasattr(request, "session") or not isinstance(user, User):
        return
    if not mfa_enabled(user) and not mfa_required(user):
        request.session[NO_DEVICE_SESSION_KEY] = time.time()


def _verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    otp_login(request, device)
    request.session.pop(NO_DEVICE_SESSION_KEY, None)
    request.session.cycle_key()  # a new key once the session holds more rights


def next_url(request: HttpRequest, default: str = "home") -> str:
    """The page the user was going to (?next=, same host only), or `default`."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(default)


@cache
def _open_paths() -> frozenset[str]:
    names = ("logout", "mfa-verify", "mfa-setup", "mfa-setup-qr")
    return frozenset(reverse(name) for name in names)


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or session_verified(user) or request.path_info in _open_paths():
            return self.get_response(request)
        assert isinstance(user, User)  # noqa: S101 - authenticated users are accounts
        session = request.session
        checked_at = session.get(NO_DEVICE_SESSION_KEY)
        if checked_at is None or time.time() - checked_at > NO_DEVICE_RECHECK_SECONDS:
            if mfa_enabled(user):
                session.pop(NO_DEVICE_SESSION_KEY, None)
                return _to(request, "mfa-verify")
            if mfa_required(user):
                return _to(request, "mfa-setup")
            session[NO_DEVICE_SESSION_KEY] = time.time()
        return self.get_response(request)


def _to(request: HttpRequest, name: str) -> HttpResponse:
    wanted = request.get_full_path() if request.method == "GET" else resolve_url("home")
    return HttpResponseRedirect(f"{reverse(name)}?next={quote(wanted)}")
