"""The security log hears what the engine's archiving did, from the console or the command line."""

from typing import Any

from django.dispatch import receiver

from hms.security.actor import acting
from hms.security.log import Kind, security_record
from hms.tenancy.archiving import hospital_operation_done

COMMAND_LINE = "manage.py (command line)"


@receiver(hospital_operation_done, dispatch_uid="hms.platform.hospital_operation")
def _hospital_operation(
    sender: Any, code: str, action: str, actor: Any, detail: dict[str, Any], **kwargs: Any
) -> None:
    _, request = acting()
    security_record(
        Kind.ADMIN_ACTION,
        user=actor,
        username="" if actor is not None else COMMAND_LINE,
        request=request,
        hospital_code=code,
        detail={"action": action, **detail},
    )
