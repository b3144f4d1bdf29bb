"""Response and request headers that keep pages out of caches and proxies honest.

`NoStoreMiddleware`: every page and file the application answers (patient pages, invoice
PDFs, sign-in pages) carries `Cache-Control: no-store`, so no browser, shared computer's
disk or proxy keeps a copy of patient data. Static files (WhiteNoise answers them before
this middleware runs) keep their long-lived caching.

`ProxyHeadersMiddleware`: X-Forwarded-For/-Proto/-Host are removed from any request whose
peer is not a proxy named in HMS_TRUSTED_PROXIES, so a client that reaches the application
directly cannot claim HTTPS or another address.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hms.core.http import trusted_proxy

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_FORWARDED",
)


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response


class ProxyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
