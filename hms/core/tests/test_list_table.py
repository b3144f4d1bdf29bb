from django.template import RequestContext, Template
from django.test import RequestFactory

from hms.core.pages import page_of

TEMPLATE = Template(
    "{% load hms_pages %}{% list_table page as n %}<thead><tr><th>N</th></tr></thead>"
    "{% row %}<tr><td>{{ n }}</td></tr>{% empty %}<p>None.</p>{% endlist_table %}"
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


def test_a_plain_list_has_no_pagination_and_may_scroll() -> None:
    template = Template(
        "{% load hms_pages %}{% list_table rows as n scroll %}<thead></thead>"
        "{% row %}<tr><td>{{ n }}</td></tr>{% endlist_table %}"
    )
    html = template.render(RequestContext(RequestFactory().get("/"), {"rows": [1, 2]}))
    rows = "<tr><td>1</td></tr><tr><td>2</td></tr>"
    assert (
        html == f'<div class="table-scroll">\n<table><thead></thead><tbody>{rows}</tbody>\n</table>\n</div>\n'
    )
    assert template.render(RequestContext(RequestFactory().get("/"), {"rows": []})) == ""


def test_a_table_may_have_a_class() -> None:
    template = Template(
        '{% load hms_pages %}{% list_table rows as n class="vitals" %}<thead></thead>'
        "{% row %}<tr><td>{{ n }}</td></tr>{% endlist_table %}"
    )
    html = template.render(RequestContext(RequestFactory().get("/"), {"rows": [1]}))
    assert html.startswith('<table class="vitals"><thead></thead><tbody><tr><td>1</td></tr>')
