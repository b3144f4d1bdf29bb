"""Reading a record id from user input (URLs, forms) without surprises."""

MAX_ID = 2**63 - 1  # the largest id either database can store


def record_id(value: object) -> int | None:
    """The positive integer id in `value`, or None for anything else.

    Refuses what int() would accept but a database would choke on: non-ASCII digits,
    signs, spaces, and numbers beyond 64 bits (SQLite raises OverflowError on those).
    """
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
