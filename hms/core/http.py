"""Turning service errors into HTTP answers, for the page views of every app."""

import functools
import ipaddress
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from hms.core.exceptions import NotAllowed, NotFound, Refusal

logger = logging.getLogger(__name__)

RefusalListener = Callable[[HttpRequest, Refusal], None]
_refusal_listeners: list[RefusalListener] = []


def refusal_listener_add(listener: RefusalListener) -> None:
    """Call `listener(request, refusal)` for every refusal a page answers (the audit app records
    them); registered once at start-up, so the core imports no app."""
    if listener not in _refusal_listeners:
        _refusal_listeners.append(listener)


def refusal_notify(request: HttpRequest, refusal: Refusal) -> None:
    """Pass a refusal a request was answered with to the listeners (the REST API answers its own)."""
    for listener in _refusal_listeners:
        try:
            listener(request, refusal)
        except Exception:  # a failed record must not turn a 403/404 into a 500
            logger.exception("Could not record a refused request to %s", request.path)


def refusals_as_http(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound answers 404 and NotAllowed 403, with the service's message.

    Other ApplicationErrors are the view's to show beside its form (400). Each refusal
    is passed to the listeners after the view's own transactions have ended, so what
    they record is not rolled back with the refused work.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, NotAllowed) as exc:
            refusal_notify(request, exc)
            if isinstance(exc, NotFound):
                raise Http404(exc.message) from exc
            raise PermissionDenied(exc.message) from exc

    return wrapper


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.warning("HMS_TRUSTED_PROXIES: %r is not an address or network; ignored", entry)
    return tuple(networks)


def trusted_proxy(address: str | None, proxies: Sequence[str] | None = None) -> bool:
    """Whether `address` is one of the proxies named in HMS_TRUSTED_PROXIES (or `proxies`)."""
    if not address:
        return False
    networks = _networks(tuple(settings.HMS_TRUSTED_PROXIES if proxies is None else proxies))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """The client's address, as the audit log, the security log and the lockout record it.

    The peer of the connection, unless that peer is a proxy named in HMS_TRUSTED_PROXIES:
    then X-Forwarded-For is read from the right, past every trusted proxy, and the first
    address no trusted proxy vouches for is the client. A client can put anything at the
    left of that header, so nothing left of the first untrusted hop is believed.
    """
    address: str | None = request.META.get("REMOTE_ADDR") or None
    if not trusted_proxy(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not trusted_proxy(address):
            break
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # junk in the header: the last proxy that passed it is all we know
    return address
