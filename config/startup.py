"""What manage.py says when it picked the local settings because DJANGO_SETTINGS_MODULE was not set.

An operator who forgot to export the production variables used to get the local
settings silently: a new empty `shared.sqlite3` and "no such table" errors. So the
implicit choice is announced on stderr, and a command that needs the shared database
refuses (exit 2, nothing created) while the local one does not exist yet. This runs
before `django.setup()`: reading settings opens no database and creates no folder.
"""

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_SETTINGS_MODULE = "config.settings.local"

# Commands that create the shared database or need none: they run without it.
NO_DATABASE_COMMANDS = frozenset(
    {
        "migrate",
        "makemigrations",
        "check",
        "help",
        "version",
        "test",
        "shell",
        "diffsettings",
        "startapp",
        "startproject",
        "collectstatic",
        "compilemessages",
        "makemessages",
        "squashmigrations",
        "optimizemigration",
    }
)


def settings_are_implicit(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether manage.py is about to fall back to the local settings (neither the variable nor --settings)."""
    given_on_command_line = any(arg == "--settings" or arg.startswith("--settings=") for arg in argv[1:])
    return "DJANGO_SETTINGS_MODULE" not in environ and not given_on_command_line


def announce_settings(argv: Sequence[str], *, implicit: bool) -> None:
    """Name the settings and shared database of an implicit run; exit 2 if the command needs a missing one."""
    if not implicit or _is_quiet(argv, os.environ):
        return
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        database = settings.DATABASES["default"]
        data_dir = Path(settings.HMS_DATA_DIR)
        servers = settings.HMS_DATABASE_SERVERS
    except ImproperlyConfigured:
        return  # Django reports the broken setting itself when the command starts
    sys.stderr.write(announcement(settings.SETTINGS_MODULE, database, data_dir, servers=servers) + "\n")
    missing = missing_shared_database(database)
    if missing is not None and command_of(argv) not in NO_DATABASE_COMMANDS:
        sys.stderr.write(refusal(missing) + "\n")
        raise SystemExit(2)


def command_of(argv: Sequence[str]) -> str:
    """The subcommand, as Django's ManagementUtility reads it (none means help)."""
    return argv[1] if len(argv) > 1 else "help"


def announcement(module: str, database: Mapping[str, Any], data_dir: Path, *, servers: str = "") -> str:
    hospitals = f"hospitals in {data_dir}" + (" and on HMS_DATABASE_SERVERS" if servers else "")
    return (
        f"Using {module} (DJANGO_SETTINGS_MODULE is not set): shared database {describe_database(database)}, "
        f"{hospitals}. Set DJANGO_SETTINGS_MODULE=config.settings.production (and its variables) on a server."
    )


def describe_database(database: Mapping[str, Any]) -> str:
    if _is_sqlite(database):
        return str(database.get("NAME", ""))
    vendor = str(database.get("ENGINE", "")).rsplit(".", 1)[-1]
    host = database.get("HOST") or "localhost"
    port = database.get("PORT")
    return f"{vendor} {database.get('NAME', '')} on {host}" + (f":{port}" if port else "")


def missing_shared_database(database: Mapping[str, Any]) -> Path | None:
    """The SQLite file the shared database should be in, if it does not exist; None otherwise."""
    if not _is_sqlite(database):
        return None  # a server database: its absence is reported by the database itself
    name = str(database.get("NAME", ""))
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    return None if path.exists() else path


def refusal(path: Path) -> str:
    return (
        f"No shared database at {path}. If this is a server, export "
        "DJANGO_SETTINGS_MODULE=config.settings.production with DATABASE_URL and HMS_DATABASE_SERVERS "
        "(docs/operations/README.md). To start a local system, run 'python manage.py migrate' or 'make run'."
    )


def _is_quiet(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    if environ.get("RUN_MAIN") == "true":
        return True  # runserver's autoreloader child: its parent already said it
    if command_of(argv) in {"help", "version", "--version"}:
        return True
    return any(arg in {"--help", "-h", "--version"} for arg in argv[1:])


def _is_sqlite(database: Mapping[str, Any]) -> bool:
    return str(database.get("ENGINE", "")).endswith("sqlite3")
