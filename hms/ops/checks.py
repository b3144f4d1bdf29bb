"""Configuration mistakes of the operations settings, reported by `manage.py check` (ops.E0xx)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from hms.core.checks import network_list_errors

LOG_FORMATS = ("json", "text")


@register()
def check_operations_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = [
        *network_list_errors(
            "HMS_METRICS_ALLOWED",
            getattr(settings, "HMS_METRICS_ALLOWED", []),
            hint="Give addresses or CIDR networks, comma-separated: 127.0.0.1,10.0.0.0/24.",
            id="ops.E001",
        )
    ]
    log_format = getattr(settings, "HMS_LOG_FORMAT", "json")
    if log_format not in LOG_FORMATS:
        problems.append(
            Error(
                f"HMS_LOG_FORMAT is {log_format!r}; it must be json or text.",
                hint="json in production (one object per line), text on a developer's machine.",
                id="ops.E002",
            )
        )
    return problems
