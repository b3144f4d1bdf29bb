"""`{% page_table page as row %}`: a list page's table, one row a record of a `page_of` page,
then the pagination partial; what to say instead when the page is empty.

    {% page_table page as entry %}
      <thead><tr><th>Name</th></tr></thead>
    {% row %}
      <tr><td>{{ entry.name }}</td></tr>
    {% empty %}
      <p>Nobody yet.</p>
    {% endpage_table %}
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

PAGINATION = "core/_pagination.html"


class PageTableNode(template.Node):
    def __init__(
        self, page: FilterExpression, name: str, head: NodeList, row: NodeList, empty: NodeList
    ) -> None:
        self.page, self.name, self.head, self.row, self.empty = page, name, head, row, empty

    def render(self, context: Context) -> SafeString:
        page = self.page.resolve(context)
        records = list(page.object_list) if page is not None else []
        if not records:
            return self.empty.render(context)
        rows = []
        with context.push():
            for record in records:
                context[self.name] = record
                rows.append(self.row.render(context))
        pagination = context.template.engine.get_template(PAGINATION) if context.template else None
        with context.push(page=page):
            after = pagination.render(context) if pagination is not None else ""
        head = self.head.render(context)
        return mark_safe(f"<table>{head}<tbody>{''.join(rows)}</tbody>\n</table>\n{after}")  # noqa: S308


@register.tag
def page_table(parser: Parser, token: Token) -> PageTableNode:
    bits = token.split_contents()
    if len(bits) != 4 or bits[2] != "as":
        raise template.TemplateSyntaxError("Usage: {% page_table page as row %}")
    head = parser.parse(("row",))
    parser.delete_first_token()
    row = parser.parse(("empty", "endpage_table"))
    empty = NodeList()
    if parser.next_token().contents == "empty":
        empty = parser.parse(("endpage_table",))
        parser.delete_first_token()
    return PageTableNode(parser.compile_filter(bits[1]), bits[3], head, row, empty)
