"""`{% list_table rows as row %}`: a list page's table, one row a record, and what to say
instead when there is none. Given a `page_of` page, the pagination partial follows the table;
`scroll` wraps a wide table in `<div class="table-scroll">`; `class="..."` gives the table its
class.

    {% list_table page as entry %}
      <thead><tr><th>Name</th></tr></thead>
    {% row %}
      <tr><td>{{ entry.name }}</td></tr>
    {% empty %}
      <p>Nobody yet.</p>
    {% endlist_table %}
"""

from django import template
from django.core.paginator import Page
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

PAGINATION = "core/_pagination.html"


class ListTableNode(template.Node):
    def __init__(
        self,
        rows: FilterExpression,
        name: str,
        scroll: bool,
        table_class: str,
        head: NodeList,
        row: NodeList,
        empty: NodeList,
    ) -> None:
        self.rows, self.name, self.scroll, self.table_class = rows, name, scroll, table_class
        self.head, self.row, self.empty = head, row, empty

    def render(self, context: Context) -> SafeString:
        given = self.rows.resolve(context)
        page = given if isinstance(given, Page) else None
        records = list(page.object_list if page is not None else given or [])
        if not records:
            return self.empty.render(context)
        rows = []
        with context.push():
            for record in records:
                context[self.name] = record
                rows.append(self.row.render(context))
        after = ""
        if page is not None and context.template is not None:
            with context.push(page=page):
                after = context.template.engine.get_template(PAGINATION).render(context)
        opening = f'<table class="{escape(self.table_class)}">' if self.table_class else "<table>"
        table = f"{opening}{self.head.render(context)}<tbody>{''.join(rows)}</tbody>\n</table>\n"
        if self.scroll:
            table = f'<div class="table-scroll">\n{table}</div>\n'
        return mark_safe(table + after)  # noqa: S308 - every part was rendered by the template engine


@register.tag
def list_table(parser: Parser, token: Token) -> ListTableNode:
    bits = token.split_contents()
    scroll = "scroll" in bits[4:]
    css = next((bit for bit in bits[4:] if bit.startswith("class=")), "")
    if len(bits) < 4 or bits[2] != "as" or len(bits) - 4 != scroll + bool(css):
        raise template.TemplateSyntaxError('Usage: {% list_table rows as row [scroll] [class="..."] %}')
    head = parser.parse(("row",))
    parser.delete_first_token()
    row = parser.parse(("empty", "endlist_table"))
    empty = NodeList()
    if parser.next_token().contents == "empty":
        empty = parser.parse(("endlist_table",))
        parser.delete_first_token()
    table_class = css.removeprefix("class=").strip("\"'")
    return ListTableNode(parser.compile_filter(bits[1]), bits[3], scroll, table_class, head, row, empty)
