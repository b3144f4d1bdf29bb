"""Bearer tokens for the REST API (and the FHIR API): issued, checked, listed, revoked, ended.

Tokens are django-rest-knox's: stored as a SHA-512 digest, never in clear, each with an
expiry (`HMS_API_TOKEN_HOURS`). A client sends `Authorization: Bearer <token>`.

On every `/api/` and `/fhir/` path the token's user is the request's user, and nobody else:
`ApiSessionIgnoredMiddleware` (after Django's authentication) signs out whatever session cookie
came along, so the session limits, the second-factor redirect and CSRF stay the pages' business
and a token's only limit is its expiry; `ApiTokenMiddleware` (before the hospital middleware)
sets the token's user. The hospital middleware then
checks the user's membership as for a page. `BearerTokenAuthentication` hands what the
middleware found to DRF (other interfaces use `request.api_token`).

Tokens die with the account: disabling it, changing, resetting or removing its password
(whatever the door: pages, admin, shell) deletes them (`user_tokens_end`, model signals).
"""

import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions

from hms.accounts.models import User
from hms.api.errors import problem_response
from hms.security.actor import acting_as
from hms.security.log import Kind, security_record

TOKEN_PATHS = ("/api/", "/fhir/")
LOCKED_OUT = (
    "Too many failed sign-ins for this account or from this address: try again in "
    "{minutes} minutes, or ask your hospital's administrator to unlock the account."
)


class TokenRefused(Exception):
    """A token request refused: `status` 401 (wrong credentials or code) or 429 (locked out)."""

    def __init__(self, status: int, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


# --- checking a token -------------------------------------------------------------------


class BearerTokenAuthentication(TokenAuthentication):
    """Knox's token check with the `Bearer` keyword; what ApiTokenMiddleware found, if it ran."""

    def authenticate(self, request: Any) -> tuple[User, AuthToken] | None:
        django_request = getattr(request, "_request", request)
        if hasattr(django_request, "api_token"):
            token = django_request.api_token
            if token is None and getattr(django_request, "api_token_refused", None):
                raise exceptions.AuthenticationFailed(django_request.api_token_refused)
            return (django_request.user, token) if token is not None else None
        found: tuple[User, AuthToken] | None = super().authenticate(request)
        return found

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        try:
            found: tuple[User, AuthToken] = super().authenticate_credentials(token)
        except (binascii.Error, ValueError):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return found

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"


def token_user(request: HttpRequest) -> tuple[User, AuthToken] | None:
    """The user and token of the request's `Authorization: Bearer` header; None without one.
    AuthenticationFailed for a header that names no live token of an active account."""
    # Knox reads only the request's headers: a Django request serves as well as DRF's.
    found: tuple[User, AuthToken] | None = BearerTokenAuthentication().authenticate(request)
    return found


class ApiSessionIgnoredMiddleware:
    """Right after Django's AuthenticationMiddleware: on API paths nobody is signed in by a session
    cookie, so the session limits and the second-factor redirect (pages' rules) never answer an
    API request; ApiTokenMiddleware then sets the token's user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(TOKEN_PATHS):
            request.user = AnonymousUser()
        return self.get_response(request)


class ApiTokenMiddleware:
    """On API paths: the bearer token's user (or nobody) is the request's user; error responses
    made outside the API's views (unknown address, the hospital middleware's refusals, a 500)
    become problem bodies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(TOKEN_PATHS):
            return self.get_response(request)
        # A token that is not (any more) good signs nobody in; the endpoints that need someone
        # answer 401 with why (the token request, the schema and the docs need nobody).
        refused = None
        try:
            found = token_user(request)
        except exceptions.AuthenticationFailed as exc:
            found = None
            refused = str(exc.detail)
        request.api_token_refused = refused  # type: ignore[attr-defined]
        user, token = found if found is not None else (AnonymousUser(), None)
        request.user = user
        request.api_token = token  # type: ignore[attr-defined]
        with acting_as(user if token is not None else None, request):
            response = self.get_response(request)
        return problem_response(response, refused=refused) if path.startswith("/api/") else response


# --- issuing a token ---------------------------------------------------------------------


def _second_factor_check(request: HttpRequest, user: User, code: str) -> None:
    """An account with a confirmed authenticator gives a code (or a recovery code) as well.

    Like the sign-in page's check (hms.accounts.mfa.mfa_verify) but without its session:
    a token request has none to mark verified.
    """
    if not user_has_device(user, confirmed=True):
        return
    code = "".join(code.split()).lower()
    if not code:
        security_record(Kind.MFA_FAILED, user=user, request=request, detail={"with": "api token, no code"})
        raise TokenRefused(
            401, "This account has a second factor: send its current code as `otp`.", field="otp"
        )
    kind = "authenticator" if code.isdigit() else "recovery code"
    model = TOTPDevice if code.isdigit() else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        if verify_token(user, device.persistent_id, code) is not None:
            security_record(
                Kind.MFA_VERIFIED, user=user, request=request, detail={"with": kind, "via": "api"}
            )
            return
    security_record(Kind.MFA_FAILED, user=user, request=request, detail={"with": kind, "via": "api"})
    raise TokenRefused(401, "That code is not the one the authenticator app shows.", field="otp")


def token_issue(*, request: HttpRequest, username: str, password: str, otp: str = "") -> tuple[str, datetime]:
    """A new token for the account, and when it expires; TokenRefused otherwise.

    Authenticates through Django's `authenticate(request=...)`, so django-axes counts a
    failure (and refuses a locked account before its password is checked) and the security
    log records it, exactly as for the sign-in page.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        minutes = int(settings.HMS_LOCKOUT_MINUTES)
        raise TokenRefused(429, LOCKED_OUT.format(minutes=minutes))
    if not isinstance(user, User):
        raise TokenRefused(401, "The username or password is not right.")
    _second_factor_check(request, user, otp)
    instance, token = AuthToken.objects.create(user=user)
    security_record(Kind.LOGIN, user=user, request=request, detail={"via": "api token"})
    return token, instance.expiry


# --- listing and revoking ------------------------------------------------------------------


def token_id(token: AuthToken) -> str:
    """A token's public name: the start of its digest (never the token, nor its first characters)."""
    return str(token.digest[:16])


def tokens_end(tokens: Any) -> int:
    deleted, _ = tokens.delete()
    return int(deleted)


def user_tokens_end(user: User) -> int:
    """Delete every token of `user`; how many there were."""
    return tokens_end(AuthToken.objects.filter(user_id=user.pk))


_WATCHED = ("password", "is_active")


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="hms.api.user_before")
def _user_before(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    instance._api_tokens_end = False
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(_WATCHED)):
        return
    before = sender.objects.filter(pk=instance.pk).values(*_WATCHED).first()
    if before is None:
        return
    instance._api_tokens_end = before["password"] != instance.password or (
        before["is_active"] and not instance.is_active
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="hms.api.user_after")
def _user_after(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if getattr(instance, "_api_tokens_end", False):
        instance._api_tokens_end = False
        user_tokens_end(instance)


__all__ = [
    "ApiTokenMiddleware",
    "BearerTokenAuthentication",
    "TokenRefused",
    "token_id",
    "token_issue",
    "token_user",
    "user_tokens_end",
]
