"""What the demo hospitals charge and how their patients pay."""

from typing import NamedTuple


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

# Lab items use the lab catalogue's codes (panels by their LOINC panel code); a lab order is
# billed by its panel or its test. A hospital whose currency an item has no price in charges
# the PRICE_FALLBACK_CURRENCY price.
DEMO_PRICES = [
    DemoPrice(
        "CONSULT", "Consultation, new patient", "consultation", {"BDT": "1000", "USD": "180", "GBP": "120"}
    ),
    DemoPrice(
        "FOLLOWUP", "Follow-up consultation", "consultation", {"BDT": "600", "USD": "110", "GBP": "75"}
    ),
    DemoPrice("58410-2", "Complete blood count (CBC)", "lab", {"BDT": "400", "USD": "35", "GBP": "18"}),
    DemoPrice("24321-2", "Basic metabolic panel (BMP)", "lab", {"BDT": "1200", "USD": "55", "GBP": "32"}),
    DemoPrice("24331-1", "Lipid panel", "lab", {"BDT": "1100", "USD": "48", "GBP": "28"}),
    DemoPrice("24325-3", "Hepatic function panel (LFT)", "lab", {"BDT": "1000", "USD": "52", "GBP": "30"}),
    DemoPrice("4548-4", "Haemoglobin A1c", "lab", {"BDT": "900", "USD": "40", "GBP": "22"}),
    DemoPrice("3016-3", "Thyroid stimulating hormone (TSH)", "lab", {"BDT": "800", "USD": "45", "GBP": "25"}),
    DemoPrice("10839-9", "Troponin I", "lab", {"BDT": "1500", "USD": "60", "GBP": "30"}),
    DemoPrice("2345-7", "Glucose, serum", "lab", {"BDT": "150", "USD": "15", "GBP": "8"}),
    DemoPrice("2160-0", "Creatinine, serum", "lab", {"BDT": "300", "USD": "18", "GBP": "10"}),
    DemoPrice("882-1", "Blood group (ABO and Rh)", "lab", {"BDT": "200", "USD": "25", "GBP": "15"}),
    DemoPrice("PROC-ECG", "12-lead ECG", "procedure", {"BDT": "500", "USD": "85", "GBP": "45"}),
    DemoPrice("PROC-NEBULISATION", "Nebulisation", "procedure", {"BDT": "300", "USD": "60", "GBP": "35"}),
    DemoPrice(
        "PROC-INJECTION", "Injection (administration)", "procedure", {"BDT": "100", "USD": "25", "GBP": "15"}
    ),
    DemoPrice("PROC-DRESSING", "Wound dressing", "procedure", {"BDT": "250", "USD": "45", "GBP": "25"}),
    DemoPrice(
        "DRUG-AMLODIPINE-5", "Amlodipine 5 mg, 30 tablets", "drug", {"BDT": "150", "USD": "12", "GBP": "4"}
    ),
    DemoPrice(
        "DRUG-METFORMIN-500", "Metformin 500 mg, 60 tablets", "drug", {"BDT": "180", "USD": "10", "GBP": "4"}
    ),
    DemoPrice(
        "DRUG-ATORVASTATIN-20",
        "Atorvastatin 20 mg, 30 tablets",
        "drug",
        {"BDT": "300", "USD": "15", "GBP": "5"},
    ),
    DemoPrice(
        "DRUG-PARACETAMOL-500",
        "Paracetamol 500 mg, 32 tablets",
        "drug",
        {"BDT": "40", "USD": "6", "GBP": "2"},
    ),
    DemoPrice(
        "DRUG-AMOXICILLIN-500",
        "Amoxicillin 500 mg, 21 capsules",
        "drug",
        {"BDT": "220", "USD": "14", "GBP": "5"},
    ),
    DemoPrice(
        "DRUG-OMEPRAZOLE-20", "Omeprazole 20 mg, 28 capsules", "drug", {"BDT": "160", "USD": "12", "GBP": "4"}
    ),
    DemoPrice(
        "DRUG-SALBUTAMOL-INH", "Salbutamol 100 mcg inhaler", "drug", {"BDT": "350", "USD": "38", "GBP": "9"}
    ),
    DemoPrice(
        "DRUG-ORS", "Oral rehydration salts, 10 sachets", "drug", {"BDT": "60", "USD": "8", "GBP": "4"}
    ),
]
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
