"""Bounded names for a request, shared by the access log and the metrics."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve


def view_label(request: HttpRequest) -> str:
    """The view's URL name (with its namespace): one value per URL pattern, never a path.

    A response a middleware gave before the view ran (a hospital refused with 503, a
    sign-in redirect) is named after the view the path would have reached.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        static_url = "/" + (settings.STATIC_URL or "static/").lstrip("/")
        if request.path_info.startswith(static_url):
            return "static"
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return "unresolved"
    return match.view_name or "unnamed"
