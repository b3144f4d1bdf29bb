"""Sign-ins, failed sign-ins and sign-outs go to the security log (Django's auth signals)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from hms.security.log import Kind, security_record


@receiver(user_logged_in, dispatch_uid="hms.security.login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    security_record(Kind.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="hms.security.logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        security_record(Kind.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="hms.security.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Django has already masked secrets in `credentials`; keep only the name typed.
    username = str(credentials.get("username", ""))[:150]
    security_record(Kind.LOGIN_FAILED, username=username, request=request)
