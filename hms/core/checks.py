"""Pieces of Django system checks that several apps' settings need."""

import ipaddress
from collections.abc import Iterable

from django.core.checks import Error


def network_list_errors(setting: str, entries: Iterable[object], *, hint: str, id: str) -> list[Error]:
    """An Error (`id`, `hint`) for each entry of the list setting `setting` that is not an IP
    address or CIDR network."""
    errors = []
    for entry in entries:
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            errors.append(Error(f"{setting}: {entry!r} is not an address or network.", hint=hint, id=id))
    return errors
