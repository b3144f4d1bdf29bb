"""Turning service errors into HTTP answers, for the page views of every app."""

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from hms.core.exceptions import NotAllowed, NotFound


def refusals_as_http(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound answers 404 and NotAllowed 403, with the service's message.

    Other ApplicationErrors are the view's to show beside its form (400).
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the audit log records it."""
    return request.META.get("REMOTE_ADDR") or None
