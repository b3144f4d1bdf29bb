"""Sign-ins, failed sign-ins and sign-outs go to the security log; checkpoints follow hospitals."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hms.hospitals.models import Hospital
from hms.security.checkpoints import checkpoint_forget, checkpoint_start
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


@receiver(post_save, sender=Hospital, dispatch_uid="hms.security.hospital_created")
def _hospital_created(sender: Any, instance: Hospital, created: bool, **kwargs: Any) -> None:
    # A code used again by a new hospital starts a new chain: an old checkpoint does not apply.
    if created:
        checkpoint_start(instance.code)


@receiver(post_delete, sender=Hospital, dispatch_uid="hms.security.hospital_deleted")
def _hospital_deleted(sender: Any, instance: Hospital, **kwargs: Any) -> None:
    checkpoint_forget(instance.code)
