"""Template filters for money: `{{ amount|money }}` -> "1,234.50"."""

from decimal import Decimal

from django import template

from hms.billing.money import money_format, quantity_format

register = template.Library()


@register.filter
def money(value: object) -> str:
    if isinstance(value, Decimal):
        return money_format(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return money_format(Decimal(value))
    return "" if value is None else str(value)


@register.filter
def quantity(value: object) -> str:
    """2.00 -> "2", 2.50 -> "2.5"."""
    if not isinstance(value, Decimal):
        return "" if value is None else str(value)
    return quantity_format(value)


@register.filter
def get_person(people: object, user_id: object) -> str:
    """The display name of `user_id` in an InvoiceDetail's `people` map ("Rina Das"), or "user #id"."""
    if not isinstance(people, dict) or user_id is None:
        return ""
    return str(people.get(user_id, f"user #{user_id}"))
