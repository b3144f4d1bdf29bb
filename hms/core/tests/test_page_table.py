from django.template import RequestContext, Template
from django.test import RequestFactory

from hms.core.pages import page_of

TEMPLATE = Template(
    "{% load hms_pages %}{% page_table page as n %}<thead><tr><th>N</th></tr></thead>"
    "{% row %}<tr><td>{{ n }}</td></tr>{% empty %}<p>None.</p>{% endpage_table %}"
)


def _render(rows: list[int], number: int = 1) -> str:
    request = RequestFactory().get("/", {"page": number})
    return TEMPLATE.render(RequestContext(request, {"page": page_of(rows, number)}))


def test_rows_then_pagination() -> None:
    html = _render(list(range(30)), 2)
    assert html.startswith("<table><thead><tr><th>N</th></tr></thead><tbody><tr><td>25</td></tr>")
    assert "<tr><td>29</td></tr></tbody>\n</table>" in html
    assert "Page 2 of 2" in html and "None." not in html


def test_empty_page_says_so() -> None:
    assert _render([]) == "<p>None.</p>"
