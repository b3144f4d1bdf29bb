#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    from config.startup import DEFAULT_SETTINGS_MODULE, announce_settings, settings_are_implicit

    # The local settings are a convenience for developers; on a server they would
    # silently make a new empty database, so an implicit choice is announced.
    implicit = settings_are_implicit(sys.argv, os.environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
    announce_settings(sys.argv, implicit=implicit)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
