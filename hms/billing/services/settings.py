"""The hospital's billing settings: its currency, invoice number prefix and invoice address."""

from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.billing.common import hospital_time_zone
from hms.billing.currencies import currency_for_time_zone
from hms.billing.models import BillingSettings
from hms.core.text import control_characters_refuse
from hms.core.validation import model_valid
from hms.tenancy.context import current_tenant


def billing_settings_get() -> BillingSettings:
    """The current hospital's billing settings (the row the migration made; defaults if it is missing).

    Until the administrator has saved them, the currency is the one of the hospital's time
    zone (Asia/Dhaka: BDT, Europe/London: GBP), not the column's USD.
    """
    settings_row = BillingSettings.objects.filter(pk=1).first()
    if settings_row is None:
        settings_row = BillingSettings(pk=1)
    if not settings_row.currency_chosen:
        settings_row.currency = currency_for_time_zone(hospital_time_zone().key)
    return settings_row


def billing_settings_update(
    *,
    acting_user: User,
    currency: str,
    invoice_prefix: str,
    address: str = "",
    client_address: str | None = None,
) -> BillingSettings:
    """Set the hospital's currency, invoice number prefix and invoice address (ADMIN).

    Invoices keep the currency they were created in; new invoices take the new one.
    """
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.UPDATE)
    control_characters_refuse(currency=currency, invoice_prefix=invoice_prefix, address=address)
    alias = current_tenant().alias
    row = BillingSettings(
        pk=1,
        currency=currency.strip().upper(),
        invoice_prefix=invoice_prefix.strip().upper(),
        address=address.strip(),
        currency_chosen=True,
    )
    model_valid(row, "The billing settings are not valid.", validate_unique=False, validate_constraints=False)
    with transaction.atomic(using=alias):
        BillingSettings.objects.select_for_update().filter(pk=1).first()
        row.save(using=alias)
        audit_row(
            acting_user,
            "billing_settings.update",
            row,
            client_address,
            currency=row.currency,
            invoice_prefix=row.invoice_prefix,
        )
    return row
