"""Logging filters: no query string (searches hold patient names) in any request line logged."""

import logging
import re

_QUERY = re.compile(r"\?[^ \"]*")


def without_query(text: str) -> str:
    """`GET /h/TH001/patients/?q=Rahman HTTP/1.1` -> `GET /h/TH001/patients/? HTTP/1.1`."""
    return _QUERY.sub("?", text)


class DropQueryStrings(logging.Filter):
    """Removes query strings from the request lines the development server and others log.

    Applied to the handler, so it covers every logger: Django's `django.server`, and a
    gunicorn access log sent through Django's logging. The `?` stays, to show there was one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(a) if isinstance(a, str) else a for a in record.args)
        return True
