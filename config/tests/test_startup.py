import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.startup import (
    announce_settings,
    announcement,
    missing_shared_database,
    refusal,
    settings_are_implicit,
)

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
PRODUCTION_VARIABLES = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "HMS_DATABASE_SERVERS", "HMS_TEMPLATE_DIR"}
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "hms", "HOST": "db1.internal", "PORT": 5432}


def manage(*args, data_dir, settings_module=None):
    """Run manage.py as an operator would, without the production variables."""
    env = {
        name: value for name, value in os.environ.items() if name not in {*PRODUCTION_VARIABLES, "RUN_MAIN"}
    }
    env["HMS_DATA_DIR"] = str(data_dir)
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    return subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        cwd=MANAGE_PY.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_implicit_local_settings_are_announced_and_refuse_until_the_shared_database_exists(tmp_path):
    data_dir = tmp_path / "var"
    shared = data_dir / "shared.sqlite3"

    refused = manage("list_hospitals", data_dir=data_dir)

    assert refused.returncode == 2, refused.stderr
    assert "config.settings.local" in refused.stderr
    assert f"No shared database at {shared}." in refused.stderr
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in refused.stderr
    assert refused.stdout == ""
    assert not data_dir.exists()  # neither the database nor its folder was created

    migrated = manage("migrate", "--noinput", "-v0", data_dir=data_dir)

    assert migrated.returncode == 0, migrated.stderr
    assert shared.exists()
    line = (
        f"Using config.settings.local (DJANGO_SETTINGS_MODULE is not set): shared database {shared}, "
        f"hospitals in {data_dir}. Set DJANGO_SETTINGS_MODULE=config.settings.production "
        "(and its variables) on a server.\n"
    )
    assert migrated.stderr == line

    listed = manage("list_hospitals", data_dir=data_dir)

    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == line
    assert "0 hospital(s)" in listed.stdout

    explicit = manage("list_hospitals", data_dir=data_dir, settings_module="config.settings.local")

    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stderr == ""
    assert "0 hospital(s)" in explicit.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["manage.py"],
        ["manage.py", "help"],
        ["manage.py", "help", "list_hospitals"],
        ["manage.py", "--version"],
        ["manage.py", "version"],
        ["manage.py", "list_hospitals", "--help"],
        ["manage.py", "migrate_hospitals", "-h"],
    ],
)
def test_help_and_version_say_nothing_and_never_refuse(argv, capsys):
    announce_settings(argv, implicit=True)
    assert capsys.readouterr().err == ""


def test_the_autoreloader_child_of_runserver_says_nothing(monkeypatch, capsys):
    monkeypatch.setenv("RUN_MAIN", "true")
    announce_settings(["manage.py", "runserver"], implicit=True)
    assert capsys.readouterr().err == ""


def test_explicit_settings_say_nothing(capsys):
    announce_settings(["manage.py", "list_hospitals"], implicit=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "environ", "implicit"),
    [
        (["manage.py", "migrate"], {}, True),
        (["manage.py", "migrate"], {"DJANGO_SETTINGS_MODULE": "config.settings.production"}, False),
        (["manage.py", "migrate", "--settings=config.settings.production"], {}, False),
        (["manage.py", "migrate", "--settings", "config.settings.production"], {}, False),
    ],
)
def test_settings_are_implicit_only_when_neither_the_variable_nor_the_option_names_them(
    argv, environ, implicit
):
    assert settings_are_implicit(argv, environ) is implicit


def test_a_postgresql_shared_database_is_named_by_server_and_never_refused():
    line = announcement("config.settings.local", POSTGRES, Path("/srv/hms"), servers="main=postgres://db1/x")

    assert "shared database postgresql hms on db1.internal:5432, " in line
    assert "hospitals in /srv/hms and on HMS_DATABASE_SERVERS." in line
    assert missing_shared_database(POSTGRES) is None


def test_a_missing_sqlite_shared_database_is_reported_and_an_existing_one_is_not(tmp_path):
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "shared.sqlite3")}
    assert missing_shared_database(database) == tmp_path / "shared.sqlite3"
    assert "run 'python manage.py migrate' or 'make run'" in refusal(tmp_path / "shared.sqlite3")

    (tmp_path / "shared.sqlite3").touch()
    assert missing_shared_database(database) is None
