"""Database configuration: an embedded SQLite file unless a URL says otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from truce.lib.env import ImproperEnvironment

SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}
# Django's SQLite backend with Truce's writer queue (truce/lib/sqlite/base.py).
SQLITE_ENGINE = "truce.lib.sqlite"

# WAL lets readers run beside the single writer; synchronous=FULL makes a
# commit durable across power loss, which the ledger's promise depends on.
SQLITE_INIT = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA busy_timeout=20000;"
)


def sqlite_database(path: Path) -> dict[str, Any]:
    # The embedded default must work on a fresh machine: make its folder.
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": SQLITE_ENGINE,
        "NAME": str(path),
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue
        # instead of failing half-way with "database is locked".
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "init_command": SQLITE_INIT,
            "timeout": 20,
        },
        # Kept per thread between requests: opening the file and running the
        # PRAGMAs cost more than a whole single-observation ingest, and the
        # last connection to close also checkpoints the WAL.
        "CONN_MAX_AGE": 600,
        "TEST": {"NAME": None},
    }


def database_from_url(url: str | None, default_sqlite_path: Path) -> dict[str, Any]:
    """Return a Django DATABASES entry for TRUCE_DATABASE_URL or the default file."""
    if not url:
        return sqlite_database(default_sqlite_path)
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except (ValueError, KeyError) as exc:
        raise ImproperEnvironment(f"TRUCE_DATABASE_URL={url!r}: {exc}") from exc
    engine = config.get("ENGINE")
    if engine not in SUPPORTED_ENGINES:
        raise ImproperEnvironment(
            f"TRUCE_DATABASE_URL={url!r}: engine {engine!r} is not supported; "
            "use sqlite:///path or postgres://user@host/db"
        )
    if engine == "django.db.backends.sqlite3":
        return sqlite_database(Path(config["NAME"]))
    config.setdefault("OPTIONS", {})
    config["ATOMIC_REQUESTS"] = False
    return config
