"""No query string reaches a log line: searches hold patients' names."""

import logging
import logging.config

from config.settings import base


def test_the_development_servers_request_line_loses_its_query_string(capsys):
    logging.config.dictConfig(base.LOGGING)  # what every deployment runs with
    try:
        # As django.core.servers.basehttp.WSGIRequestHandler.log_message logs a request.
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /h/TH001/patients/?q=Rahman+Begum HTTP/1.1", "200", "5120"
        )
        logging.getLogger("hms.anything").warning("Asked for /h/TH001/patients/?q=Karim")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    err = capsys.readouterr().err
    assert "GET /h/TH001/patients/? HTTP/1.1" in err
    assert "Rahman" not in err and "Karim" not in err
