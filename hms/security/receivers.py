"""What goes to the security log without anyone calling it, and checkpoints following hospitals.

Sign-ins, failed sign-ins and sign-outs (Django's auth signals); requests for another
hospital's pages (the tenancy middleware's signal); every change to an account's role,
hospital or active flag and to its permissions, by whatever door (pages, the admin, a
shell), with the acting user of the request; every action in the platform admin.
"""

from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from hms.hospitals.models import Hospital
from hms.security.actor import acting
from hms.security.checkpoints import checkpoint_forget, checkpoint_start
from hms.security.log import Kind, security_record
from hms.tenancy.signals import foreign_hospital_requested


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
    actor, request = acting()
    detail = {"action": "delete", "what": "hospitals.hospital", "object": instance.code}
    security_record(
        Kind.ADMIN_ACTION, user=actor, request=request, hospital_code=instance.code, detail=detail
    )


@receiver(foreign_hospital_requested, dispatch_uid="hms.security.foreign_hospital")
def _foreign_hospital(sender: Any, request: Any, code: str, **kwargs: Any) -> None:
    # The path only: a query string may hold what was searched for (patient names).
    security_record(
        Kind.FOREIGN_HOSPITAL,
        user=request.user,
        request=request,
        detail={"asked_for": code[:64], "path": request.path[:300], "method": request.method},
    )


# --- accounts: who changed what, through any door (pages, admin, shell) ----------------

_WATCHED = ("role", "is_active", "hospital_id", "is_staff", "is_superuser")


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="hms.security.user_before")
def _user_before(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(_WATCHED)):
        instance._security_before = None
        return
    instance._security_before = sender.objects.filter(pk=instance.pk).values(*_WATCHED).first()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="hms.security.user_after")
def _user_after(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    actor, request = acting()
    if created:
        detail = {"role": instance.role, "hospital_id": instance.hospital_id}
        security_record(Kind.ACCOUNT_CREATED, user=instance, actor=actor, request=request, detail=detail)
        return
    before = getattr(instance, "_security_before", None)
    if not before:
        return
    changed = {
        field: {"from": before[field], "to": getattr(instance, field)}
        for field in _WATCHED
        if before[field] != getattr(instance, field)
    }
    # One event for each kind of change, so a search by kind finds every one.
    groups = (
        (Kind.ACCOUNT_ENABLED if instance.is_active else Kind.ACCOUNT_DISABLED, ("is_active",)),
        (Kind.ROLE_CHANGED, ("role", "is_staff", "is_superuser")),
        (Kind.ACCOUNT_CHANGED, ("hospital_id",)),
    )
    for kind, fields in groups:
        part = {field: change for field, change in changed.items() if field in fields}
        if part:
            security_record(kind, user=instance, actor=actor, request=request, detail={"changed": part})


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="hms.security.user_deleted")
def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Recorded here as well as by the admin's log, whose bulk deletions send no signal.
    actor, request = acting()
    security_record(Kind.ACCOUNT_DELETED, user=instance, actor=actor, request=request)


@receiver(m2m_changed, dispatch_uid="hms.security.user_permissions")
def _user_permissions(
    sender: Any, instance: Any, action: str, pk_set: Any, model: Any, **kwargs: Any
) -> None:
    if (
        action not in ("post_add", "post_remove", "post_clear")
        or instance._meta.label != settings.AUTH_USER_MODEL
    ):
        return
    actor, request = acting()
    detail = {"what": model._meta.label, "action": action.removeprefix("post_"), "ids": sorted(pk_set or [])}
    security_record(Kind.ROLE_CHANGED, user=instance, actor=actor, request=request, detail=detail)


@receiver(post_save, sender=LogEntry, dispatch_uid="hms.security.admin_action")
def _admin_action(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    actor, request = acting()
    content_type = instance.content_type
    detail = {
        "action": {1: "add", 2: "change", 3: "delete"}.get(instance.action_flag, str(instance.action_flag)),
        "what": f"{content_type.app_label}.{content_type.model}" if content_type else "",
        "object_id": str(instance.object_id or "")[:64],
        "object": instance.object_repr[:120],
    }
    security_record(Kind.ADMIN_ACTION, user=actor, request=request, detail=detail)
