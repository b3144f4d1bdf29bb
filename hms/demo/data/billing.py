"""What the demo hospitals charge and how their patients pay."""

from typing import NamedTuple

from hms.core.datafiles import data_file


class DemoBilling(NamedTuple):
    currency: str
    invoice_prefix: str
    address: str  # printed on invoices


class DemoPrice(NamedTuple):
    code: str
    name: str
    category: str
    prices: dict[str, str]  # currency: unit price


DEMO_BILLING = {
    "TH001": DemoBilling("BDT", "TH", "House 12, Road 5, Dhanmondi, Dhaka 1205, Bangladesh"),
    "DMC001": DemoBilling("USD", "DMC", "350 Park Avenue South, New York, NY 10010, USA"),
    "TEST_HOSPITAL": DemoBilling("GBP", "TEST", "1 Hospital Way, London SE1 7EH, United Kingdom"),
}

# Their price lists (data/prices.toml); an item with no price in a hospital's currency is
# charged at its PRICE_FALLBACK_CURRENCY price.
DEMO_PRICES = [DemoPrice(**item) for item in data_file("hms.demo", "data/prices.toml")["price"]]
PRICE_FALLBACK_CURRENCY = "USD"

# How patients pay, in proportion, and what a payment of each method is referenced by
# ({number}: a six-digit slip or claim number, {transaction_id}: a ten-digit mobile money id).
DEMO_PAYMENT_METHODS = {
    "TH001": ["cash", "cash", "mobile_money", "mobile_money", "card"],
    "DMC001": ["card", "card", "insurance", "insurance", "cash"],
    "TEST_HOSPITAL": ["card", "card", "card", "cash", "insurance"],
}
DEFAULT_PAYMENT_METHODS = ["cash", "card"]
PAYMENT_REFERENCES = {
    "card": "Card slip {number}",
    "mobile_money": "bKash TrxID {transaction_id}",
    "insurance": "Claim CLM-{number}",
    "bank_transfer": "Transfer {number}",
}
# A patient who pays part of a bill pays one of these shares of it.
PART_PAYMENT_SHARES = ("0.3", "0.5", "0.6")
