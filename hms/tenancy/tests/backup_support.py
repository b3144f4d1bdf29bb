"""Helpers for the backup tests: a probe table written outside Django, a subprocess env, and
the URL of this run's shared PostgreSQL database (which other child-process tests use too)."""

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.db import connections

from hms.hospitals.models import Hospital
from hms.tenancy.backends import storage_for


def raw_connection(hospital: Hospital, database_name: str | None = None):
    """An autocommit DB-API connection to the hospital's database (and its placeholder)."""
    storage = storage_for(hospital.server)
    name = database_name or hospital.database_name
    if storage.vendor == "sqlite":
        connection = sqlite3.connect(storage.path(name), timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection, "?"
    admin = storage.server.admin
    connection = psycopg.connect(
        host=admin.get("HOST") or None,
        port=admin.get("PORT") or None,
        user=admin.get("USER") or None,
        password=admin.get("PASSWORD") or None,
        dbname=name,
        autocommit=True,
    )
    return connection, "%s"


def probe_create(hospital: Hospital) -> None:
    connection, _ = raw_connection(hospital)
    try:
        connection.execute("CREATE TABLE probe (n integer PRIMARY KEY, note varchar(200))")
    finally:
        connection.close()


def probe_values(hospital: Hospital, database_name: str | None = None) -> list[int]:
    connection, _ = raw_connection(hospital, database_name)
    try:
        return [row[0] for row in connection.execute("SELECT n FROM probe ORDER BY n").fetchall()]
    finally:
        connection.close()


def probe_insert(hospital: Hospital, values: list[int]) -> None:
    connection, mark = raw_connection(hospital)
    try:
        for value in values:
            connection.execute(f"INSERT INTO probe (n, note) VALUES ({mark}, {mark})", (value, "x" * 100))
    finally:
        connection.close()


def shared_database_url() -> str:
    """This run's shared PostgreSQL database (the test database, not the configured one), as a URL.

    Without a port when the settings name none, so a child process connects where this one does.
    """
    shared = connections["default"].settings_dict
    credentials = quote(shared["USER"], safe="")
    if shared["PASSWORD"]:
        credentials += ":" + quote(shared["PASSWORD"], safe="")
    port = f":{shared['PORT']}" if shared["PORT"] else ""
    return f"postgres://{credentials}@{shared['HOST']}{port}/{shared['NAME']}"


def subprocess_env(data_dir: Path) -> dict[str, str]:
    """Settings for a manage.py-like child process that sees this test's databases and folders."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "HMS_DATA_DIR": str(data_dir),
        "HMS_BACKUP_DIR": str(settings.HMS_BACKUP_DIR),
        "HMS_BACKUP_KEY_DIR": str(settings.HMS_BACKUP_KEY_DIR),
        "HMS_TEST_BACKEND": settings.HMS_TEST_BACKEND,
    }
    shared = connections["default"].settings_dict
    if settings.HMS_TEST_BACKEND == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{shared['NAME']}"
    else:
        env["HMS_TEST_DATABASE_URL"] = shared_database_url()
        env["HMS_TEST_DATABASE_SERVERS"] = settings.HMS_DATABASE_SERVERS
        env["HMS_TEST_DATABASE_PREFIX"] = settings.HMS_DATABASE_PREFIX
    return env
