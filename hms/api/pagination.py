"""Cursor pagination for every list of the API.

Lists whose rows the API may read as a queryset use `StableCursorPagination` (DRF's
CursorPagination, ordered by a unique key). Lists read through an audited selector, which
returns one numbered page of its own stable order (hms.core.pages.page_of, 25 rows) and
audits exactly that page, use `SelectorCursorPagination`: the cursor is DRF's opaque cursor
carrying the selector's page, so the API reads and audits what the page does.
"""

from collections import OrderedDict
from typing import Any

from django.core.paginator import Page
from rest_framework import serializers
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from hms.core.pages import PAGE_SIZE


class StableCursorPagination(CursorPagination):
    page_size = PAGE_SIZE
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = "-id"


class SelectorCursorPagination(CursorPagination):
    """`page_number(request)` for the selector; `response(page, data)` with next/previous cursors."""

    page_size = PAGE_SIZE

    def page_number(self, request: Request) -> int:
        self.base_url = request.build_absolute_uri()
        self.request = request
        cursor = self.decode_cursor(request)  # NotFound for a junk cursor
        if cursor is None or not cursor.position:
            return 1
        try:
            return max(1, int(cursor.position))
        except ValueError:
            return 1

    def _link(self, number: int) -> str:
        return str(self.encode_cursor(Cursor(offset=0, reverse=False, position=str(number))))

    def response(self, page: Page, data: Any) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self._link(page.next_page_number()) if page.has_next() else None),
                    ("previous", self._link(page.previous_page_number()) if page.has_previous() else None),
                    ("results", data),
                ]
            )
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The pagination cursor value (from `next` or `previous`).",
                "schema": {"type": "string"},
            }
        ]


def page_serializer(name: str, row: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of one page of `row`s as `SelectorCursorPagination.response` answers it.

    Declared here once for every paged list; `name` is the class's name, which drf-spectacular
    turns into the schema component's ("PatientPageSerializer" -> "PatientPage").
    """
    fields: dict[str, Any] = {
        "__module__": row.__module__,
        "next": serializers.CharField(allow_null=True, help_text="The next page's cursor, if any."),
        "previous": serializers.CharField(allow_null=True, help_text="The previous page's cursor, if any."),
        "results": row(many=True),
    }
    return type(name, (serializers.Serializer,), fields)
