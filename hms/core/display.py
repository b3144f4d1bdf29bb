"""Words people read instead of code systems' strings: units as people write them (UCUM
`[degF]` shows as °F), laboratory tests by their everyday names (LOINC 6690-2 is
"White blood cells") and time zones as people know them ("UTC+6" where the tz database has
only "+06"). Stored values keep the codes; only pages use these.
"""

import datetime
import re

# UCUM unit -> how it is written on a page.
UNIT_LABELS: dict[str, str] = {
    "[degF]": "°F",
    "Cel": "°C",
    "mm[Hg]": "mmHg",
    "/min": "/min",
    "kg/m2": "kg/m²",
    "%": "%",
    "[lb_av]": "lb",
    "[in_i]": "in",
    "10*3/uL": "×10³/µL",
    "10*6/uL": "×10⁶/µL",
    "10*9/L": "×10⁹/L",
    "10*12/L": "×10¹²/L",
    "ug": "µg",
    "ug/L": "µg/L",
    "ug/dL": "µg/dL",
    "umol/L": "µmol/L",
    "uL": "µL",
    "m[IU]/L": "mIU/L",
    "[IU]/L": "IU/L",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
}

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_POWER = re.compile(r"10\*(-?\d+)")
_MICRO = re.compile(r"(?<![A-Za-z])u(?=(?:g|L|mol|IU|U|m)\b)")


def unit_label(unit: str | None) -> str:
    """`unit` (UCUM) as people write it: "Cel" -> "°C", "10*3/uL" -> "×10³/µL"; other units as they are,
    with powers of ten and micro written out."""
    if not unit:
        return ""
    if unit in UNIT_LABELS:
        return UNIT_LABELS[unit]
    text = _POWER.sub(lambda match: "×10" + match.group(1).translate(_SUPERSCRIPTS), unit)
    text = _MICRO.sub("µ", text)
    return text.replace("[", "").replace("]", "")


# LOINC code -> the name people use; the lab catalogue (hms.orders.lab_catalogue) keeps LOINC's
# long names, which results and orders copy.
LAB_TEST_NAMES: dict[str, str] = {
    # panels
    "58410-2": "Full blood count",
    "24321-2": "Basic metabolic panel",
    "24331-1": "Lipid panel",
    "24325-3": "Liver function tests",
    # tests
    "718-7": "Haemoglobin",
    "4544-3": "Haematocrit",
    "6690-2": "White blood cells",
    "789-8": "Red blood cells",
    "777-3": "Platelets",
    "2345-7": "Glucose",
    "2160-0": "Creatinine",
    "3094-0": "Urea nitrogen (BUN)",
    "2951-2": "Sodium",
    "2823-3": "Potassium",
    "2075-0": "Chloride",
    "2028-9": "Bicarbonate",
    "17861-6": "Calcium",
    "4548-4": "HbA1c",
    "2093-3": "Cholesterol",
    "2085-9": "HDL cholesterol",
    "13457-7": "LDL cholesterol",
    "2571-8": "Triglycerides",
    "1742-6": "ALT",
    "1920-8": "AST",
    "6768-6": "Alkaline phosphatase",
    "1975-2": "Bilirubin",
    "1751-7": "Albumin",
    "3016-3": "TSH",
    "882-1": "Blood group",
    "5196-1": "Hepatitis B surface antigen",
}

_LOINC_QUALIFIERS = re.compile(r"\s*\[[^\]]*\].*$")


def lab_test_name(code: str | None, fallback: str = "") -> str:
    """The everyday name of the lab test with LOINC `code`; else `fallback` without LOINC's
    bracketed qualifiers ("Ferritin [Mass/volume] in Serum" -> "Ferritin"); else the code."""
    if code and code in LAB_TEST_NAMES:
        return LAB_TEST_NAMES[code]
    if fallback:
        return _LOINC_QUALIFIERS.sub("", fallback).strip() or fallback
    return code or ""


def zone_abbreviation(moment: datetime.datetime) -> str:
    """The zone of the aware `moment` as people know it: the tz database's abbreviation where it has
    letters ("GMT", "BST", "EST"); else, where it has only a number ("+06" for Asia/Dhaka), the
    offset from UTC ("UTC+6", "UTC+5:45", "UTC-3"); "" for a naive time."""
    name = moment.tzname() or ""
    if any(character.isalpha() for character in name):
        return name
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}{f':{rest:02d}' if rest else ''}"
