"""Hospital codes: validated before they become a file path, an alias or an SQL identifier.

The pattern lives with the registry (hms.hospitals.codes); this adds the engine's error.
"""

from hms.hospitals.codes import HOSPITAL_CODE_PATTERN, is_valid_hospital_code
from hms.tenancy.exceptions import InvalidHospitalCode

__all__ = ["HOSPITAL_CODE_PATTERN", "is_valid_hospital_code", "validate_hospital_code"]


def validate_hospital_code(code: object) -> str:
    """Return `code` unchanged if it is a valid hospital code, else raise InvalidHospitalCode."""
    if not isinstance(code, str) or not is_valid_hospital_code(code):
        shown = repr(code)[:40]
        raise InvalidHospitalCode(
            f"Invalid hospital code {shown}: use 2-32 characters, upper-case letters, "
            "digits and underscores, starting with a letter or digit (e.g. TH001)."
        )
    return code
