import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _import_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module} as s; print(s.SECRET_KEY[:4], s.DEBUG)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = _import_settings(
        "config.settings.production", HMS_DATA_DIR=str(tmp_path), DJANGO_ALLOWED_HOSTS="example.org"
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_settings_refuse_to_start_without_an_audit_key(tmp_path):
    result = _import_settings(
        "config.settings.production",
        HMS_DATA_DIR=str(tmp_path),
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert result.returncode != 0
    assert "HMS_AUDIT_KEY" in result.stderr


def test_production_settings_start_with_a_secret_key_and_debug_off(tmp_path):
    result = _import_settings(
        "config.settings.production",
        HMS_DATA_DIR=str(tmp_path),
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
        HMS_AUDIT_KEY="a" * 50,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["kkkk", "False"]


def test_data_folder_comes_from_the_environment(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings.local as s; print(s.HMS_DATA_DIR); print(s.DATABASES['default']['NAME'])",
        ],
        cwd=ROOT,
        env={**os.environ, "HMS_DATA_DIR": str(tmp_path / "elsewhere")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    data_dir, shared = completed.stdout.split()
    assert data_dir == str(tmp_path / "elsewhere")
    assert shared == str(tmp_path / "elsewhere" / "shared.sqlite3")
