"""Hospital codes: validated before they become a file path, an alias or an SQL identifier."""

import re

from hms.tenancy.exceptions import InvalidHospitalCode

HOSPITAL_CODE_PATTERN = r"[A-Z0-9][A-Z0-9_]{1,31}"
_CODE_RE = re.compile(rf"\A{HOSPITAL_CODE_PATTERN}\Z")


def is_valid_hospital_code(code: object) -> bool:
    return isinstance(code, str) and _CODE_RE.match(code) is not None


def validate_hospital_code(code: object) -> str:
    """Return `code` unchanged if it is a valid hospital code, else raise InvalidHospitalCode."""
    if not is_valid_hospital_code(code):
        shown = repr(code)[:40]
        raise InvalidHospitalCode(
            f"Invalid hospital code {shown}: use 2-32 characters, upper-case letters, "
            "digits and underscores, starting with a letter or digit (e.g. TH001)."
        )
    assert isinstance(code, str)
    return code
