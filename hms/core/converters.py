"""The `<id:name>` path converter: a record id as hms.core.ids reads it, for every URLconf.

A path segment that is not a positive 64-bit integer in ASCII digits does not match,
so the page answers 404 before any view runs (registered in CoreConfig.ready).
"""

from hms.core.ids import record_id


class RecordIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = record_id(value)
        if number is None:
            raise ValueError(f"{value!r} is not a record id")
        return number

    def to_url(self, value: int | str) -> str:
        number = record_id(value)
        if number is None:
            raise ValueError(f"{value!r} is not a record id")
        return str(number)
