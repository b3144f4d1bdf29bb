"""Turning service errors into HTTP answers, for the page views of every app."""

import functools
import logging
from collections.abc import Callable
from typing import Any

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
            for listener in _refusal_listeners:
                try:
                    listener(request, exc)
                except Exception:  # a failed record must not turn a 403/404 into a 500
                    logger.exception("Could not record a refused request to %s", request.path)
            if isinstance(exc, NotFound):
                raise Http404(exc.message) from exc
            raise PermissionDenied(exc.message) from exc

    return wrapper


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the audit log records it."""
    return request.META.get("REMOTE_ADDR") or None
