"""`{% current_link links request as current %}`: which menu link is the page being shown, so the
base template marks it with aria-current="page"."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.http import HttpRequest

register = template.Library()


@register.simple_tag
def current_link(links: Iterable[Any], request: HttpRequest | None) -> str:
    """The `url` of the link for this page: the one equal to the full address (query included),
    else the longest whose path the page's path starts with; "" if none."""
    if request is None:
        return ""
    full, path = request.get_full_path(), request.path
    urls = [str(getattr(link, "url", "")) for link in links]
    if full in urls:
        return full
    prefixes = [url for url in urls if "?" not in url and path.startswith(url)]
    return max(prefixes, key=len, default="")
