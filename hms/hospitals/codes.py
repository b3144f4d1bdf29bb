"""The shape of a hospital code, checked before a code becomes a file path, an alias or an SQL
identifier. The registry owns it; the tenancy engine builds its own checks on it."""

import re

HOSPITAL_CODE_PATTERN = r"[A-Z0-9][A-Z0-9_]{1,31}"
_CODE_RE = re.compile(rf"\A{HOSPITAL_CODE_PATTERN}\Z")


def is_valid_hospital_code(code: object) -> bool:
    return isinstance(code, str) and _CODE_RE.match(code) is not None
