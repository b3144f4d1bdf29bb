"""A new hospital's currency from its time zone (tzdata's zone.tab, then ISO 4217)."""

import pytest

from hms.accounts.models import Role
from hms.billing import services
from hms.billing.currencies import COUNTRY_CURRENCY, currency_for_time_zone
from hms.billing.tests.conftest import CODE
from hms.core.countries import zone_countries
from hms.tenancy.context import hospital_context


@pytest.mark.parametrize(
    ("zone", "currency"),
    [
        ("Asia/Dhaka", "BDT"),
        ("Europe/London", "GBP"),
        ("America/New_York", "USD"),
        ("America/Los_Angeles", "USD"),
        ("America/Toronto", "CAD"),
        ("Asia/Kolkata", "INR"),
        ("Asia/Calcutta", "INR"),  # an old name, a link in the tz database
        ("Africa/Lagos", "NGN"),
        ("Asia/Riyadh", "SAR"),
        ("Europe/Berlin", "EUR"),
        ("UTC", "USD"),  # no country: the fallback
        ("Etc/GMT+3", "USD"),
    ],
)
def test_a_time_zone_gives_its_countrys_currency(zone, currency):
    assert currency_for_time_zone(zone) == currency


def test_every_country_of_the_tz_database_has_a_currency_but_antarctica():
    missing = set(zone_countries().values()) - set(COUNTRY_CURRENCY)
    assert missing == {"AQ"}
    assert all(len(code) == 3 and code.isupper() for code in COUNTRY_CURRENCY.values())


@pytest.mark.django_db
def test_a_new_hospital_in_london_bills_in_pounds_until_its_admin_chooses(make_hospital, make_user):
    hospital = make_hospital(CODE, name="Thames Clinic", time_zone="Europe/London")
    admin = make_user("thames_admin", role=Role.ADMIN, hospital=hospital)
    with hospital_context(CODE):
        assert services.billing_settings_get().currency == "GBP"
        services.billing_settings_update(acting_user=admin, currency="EUR", invoice_prefix="TC")
        assert services.billing_settings_get().currency == "EUR"
