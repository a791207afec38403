"""Settings come from the environment and fail loudly on a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from truce.lib import env
from truce.lib.database import database_from_url


def _load_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    environment.update(
        {"TRUCE_DATA_DIR": str(tempfile.gettempdir() + "/truce-settings-test"), **overrides}
    )
    return subprocess.run(
        [sys.executable, "-c", "import truce.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start():
    result = _load_settings(TRUCE_MODE="production")
    assert result.returncode != 0
    assert "TRUCE_SECRET_KEY is required" in result.stderr


def test_short_secret_key_is_refused():
    result = _load_settings(TRUCE_MODE="production", TRUCE_SECRET_KEY="short")
    assert "at least 32 characters" in result.stderr


def test_demo_mode_needs_no_secret_key():
    assert _load_settings(TRUCE_MODE="demo").returncode == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRUCE_MODE", "staging", "expected demo, production or test"),
        ("TRUCE_DEBUG", "maybe", "TRUCE_DEBUG='maybe'"),
        ("TRUCE_TIME_ZONE", "Mars/Olympus", "not an IANA time zone"),
        ("TRUCE_DATABASE_URL", "mysql://x@y/z", "is not supported"),
        ("TRUCE_ALLOWED_HOSTS", " , ", "set but empty"),
        ("TRUCE_GROUPING", "sometimes", "TRUCE_GROUPING='sometimes': expected one of"),
        ("TRUCE_GROUPING_SIGMAS", "0", "TRUCE_GROUPING_SIGMAS='0': must be a number above 0"),
        (
            "TRUCE_GROUPING_DISTANCE_M",
            "far",
            "TRUCE_GROUPING_DISTANCE_M='far': expected an integer",
        ),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    result = _load_settings(**{"TRUCE_MODE": "demo", name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_default_database_is_sqlite_with_wal_and_full_sync(tmp_path):
    config = database_from_url(None, tmp_path / "db.sqlite3")
    # Django's own SQLite backend with Truce's writer queue in front of it.
    assert config["ENGINE"] == "truce.lib.sqlite"
    init = config["OPTIONS"]["init_command"]
    assert "journal_mode=WAL" in init
    assert "synchronous=FULL" in init
    assert "foreign_keys=ON" in init
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgres_url_is_accepted(tmp_path):
    config = database_from_url("postgres://truce@db.example.org:5432/truce", tmp_path / "x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"]) == ("db.example.org", "truce")


def test_running_sqlite_connection_has_the_pragmas(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def test_env_int_checks_minimum(monkeypatch):
    monkeypatch.setenv("TRUCE_X", "-1")
    with pytest.raises(env.ImproperEnvironment, match="at least 0"):
        env.env_int("TRUCE_X", 5, minimum=0)
    monkeypatch.setenv("TRUCE_X", "ten")
    with pytest.raises(env.ImproperEnvironment, match="expected an integer"):
        env.env_int("TRUCE_X", 5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRUCE_WINDOW_BOUNDARY", "6pm", "expected a time of day"),
        ("TRUCE_CEASEFIRE_START", "10 Nov 2020", "expected an ISO 8601"),
        ("TRUCE_CEASEFIRE_START", "2020-11-10T00:00:00", "give the UTC offset"),
    ],
)
def test_bad_monitoring_settings_name_the_variable(name, value, message):
    result = _load_settings(**{"TRUCE_MODE": "demo", name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_ceasefire_start_is_stored_in_utc(monkeypatch):
    monkeypatch.setenv("TRUCE_X", "2020-11-10T00:00:00+03:00")
    assert env.env_datetime("TRUCE_X", "2000-01-01T00:00:00Z").isoformat() == (
        "2020-11-09T21:00:00+00:00"
    )
