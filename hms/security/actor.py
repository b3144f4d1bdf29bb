"""Who is acting in this request, for records made where no request is at hand (model signals)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

_acting: ContextVar[tuple[Any, HttpRequest | None] | None] = ContextVar("hms_security_acting", default=None)


def acting() -> tuple[Any, HttpRequest | None]:
    """(the signed-in user or None, the request or None) of the code running now."""
    return _acting.get() or (None, None)


@contextmanager
def acting_as(user: Any, request: HttpRequest | None = None) -> Iterator[None]:
    token = _acting.set((user, request))
    try:
        yield
    finally:
        _acting.reset(token)


class ActingUserMiddleware:
    """Makes the request's signed-in user the actor of whatever the request changes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        with acting_as(actor, request):
            return self.get_response(request)
