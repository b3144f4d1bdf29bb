"""Choosing the database server for a new hospital: the one with the most room."""

import math

from django.db.models import Count

from hms.hospitals.models import Hospital
from hms.tenancy.exceptions import ProvisioningError
from hms.tenancy.servers import EMBEDDED_SERVER, configured_servers


def server_choose() -> str:
    """The configured server with the most free places; the embedded default if none is configured.

    A server with `max_hospitals` has that many places; one without has unlimited
    places, and among those the one with the fewest hospitals wins. Full servers are
    skipped. Archived hospitals do not count.
    """
    servers = configured_servers()
    if not servers:
        return EMBEDDED_SERVER
    counts = dict(
        Hospital.objects.exclude(status=Hospital.Status.ARCHIVED)
        .filter(server__in=list(servers))
        .values_list("server")
        .annotate(n=Count("id"))
        .values_list("server", "n")
    )

    def free(name: str) -> float:
        limit = servers[name].max_hospitals
        return math.inf if limit is None else limit - counts.get(name, 0)

    candidates = [name for name in servers if free(name) > 0]
    if not candidates:
        raise ProvisioningError(
            "Every database server is full (max_hospitals reached). Add a server to "
            "HMS_DATABASE_SERVERS or raise a limit."
        )
    # Most free places first, then fewest hospitals, then name for a stable choice.
    return min(candidates, key=lambda name: (-free(name), counts.get(name, 0), name))
