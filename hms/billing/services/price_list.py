"""The hospital's price list (ADMIN writes): items are added, changed, taken off and put back,
never deleted; invoice lines copy an item, so a change never alters an invoice."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.billing.common import PRICE_ITEM_NOT_FOUND
from hms.billing.models import PriceListItem
from hms.billing.money import money_value
from hms.billing.services.shared import validation_details, value_or_error
from hms.care.rows import row_save
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.ids import record_id
from hms.core.locking import atomic_write
from hms.core.text import control_characters_refuse
from hms.tenancy.context import current_tenant

ITEM_INVALID = "The price list item is not valid."


def _price_fields(
    *, name: str, category: str, unit_price: Decimal
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    price = value_or_error(
        lambda: money_value(unit_price, field="unit price", allow_zero=True),
        field="unit_price",
        errors=errors,
    )
    category = category.strip()
    if category not in PriceListItem.Category.values:
        labels = ", ".join(PriceListItem.Category.labels)
        errors["category"] = [f"Choose a category: {labels}."]
    return {"name": name.strip(), "category": category, "unit_price": price}, errors


def _item_check(item: PriceListItem, errors: dict[str, list[str]]) -> None:
    """Refuse the item (every problem named by field) unless the model's rules hold too."""
    try:
        item.full_clean(exclude=list(errors), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(validation_details(exc))
    if errors:
        raise ApplicationError(ITEM_INVALID, details=errors)


def _item_figures(item: PriceListItem) -> dict[str, str]:
    return {"name": item.name, "category": item.category, "unit_price": str(item.unit_price)}


def price_item_create(
    *,
    acting_user: User,
    code: str,
    name: str,
    category: str,
    unit_price: Decimal,
    client_address: str | None = None,
) -> PriceListItem:
    """Add an item to the hospital's price list; its code is unique here. The price is rounded to cents."""
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.CREATE)
    control_characters_refuse(code=code, name=name, category=category)
    alias = current_tenant().alias
    fields, errors = _price_fields(name=name, category=category, unit_price=unit_price)
    item = PriceListItem(code=code.strip().upper(), **fields)
    _item_check(item, errors)
    with atomic_write(
        using=alias, raced=f"An item with code {item.code} was added at the same moment; try again."
    ):
        if PriceListItem.objects.filter(code=item.code).exists():
            raise ApplicationError(
                f"The price list already has an item with code {item.code}.",
                details={"code": [f"Code {item.code} is taken."]},
            )
        item.save(using=alias)
        audit_row(
            acting_user,
            "price_item.create",
            item,
            client_address,
            price_item_id=item.pk,
            code=item.code,
            unit_price=str(item.unit_price),
        )
    return item


def _price_item_locked(item_id: int) -> PriceListItem:
    pk = record_id(item_id)
    item = PriceListItem.objects.select_for_update().filter(pk=pk).first() if pk else None
    if item is None:
        raise NotFound(PRICE_ITEM_NOT_FOUND)
    return item


def price_item_update(
    *,
    acting_user: User,
    item_id: int,
    name: str,
    category: str,
    unit_price: Decimal,
    client_address: str | None = None,
) -> PriceListItem:
    """Change an item's name, category or price. Invoice lines already made keep the old values."""
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.UPDATE)
    control_characters_refuse(name=name, category=category)
    alias = current_tenant().alias
    fields, errors = _price_fields(name=name, category=category, unit_price=unit_price)
    with transaction.atomic(using=alias):
        item = _price_item_locked(item_id)
        before = _item_figures(item)
        for field, value in fields.items():
            if field not in errors:
                setattr(item, field, value)
        _item_check(item, errors)
        item.save(using=alias, update_fields=["name", "category", "unit_price", "updated_at"])
        audit_row(
            acting_user,
            "price_item.update",
            item,
            client_address,
            price_item_id=item.pk,
            code=item.code,
            before=before,
            after=_item_figures(item),
        )
    return item


def _price_item_set_active(
    *, acting_user: User, item_id: int, active: bool, client_address: str | None
) -> PriceListItem:
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.UPDATE)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        item = _price_item_locked(item_id)
        if item.is_active == active:
            state = "active" if active else "inactive"
            raise ApplicationError(f"{item.code} is already {state}.")
        row_save(item, is_active=active)
        action = "price_item.activate" if active else "price_item.deactivate"
        audit_row(acting_user, action, item, client_address, price_item_id=item.pk, code=item.code)
    return item


def price_item_deactivate(
    *, acting_user: User, item_id: int, client_address: str | None = None
) -> PriceListItem:
    """Take an item off the price list: it can no longer be added to invoices. Items are never deleted."""
    return _price_item_set_active(
        acting_user=acting_user, item_id=item_id, active=False, client_address=client_address
    )


def price_item_reactivate(
    *, acting_user: User, item_id: int, client_address: str | None = None
) -> PriceListItem:
    """Put a deactivated item back on the price list."""
    return _price_item_set_active(
        acting_user=acting_user, item_id=item_id, active=True, client_address=client_address
    )
