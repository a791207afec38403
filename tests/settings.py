"""Test settings: the project's settings in test mode (no secret key needed)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TRUCE_MODE", "test")
os.environ.setdefault("TRUCE_DATA_DIR", str(Path(tempfile.gettempdir()) / "truce-test-data"))

from truce.settings import *  # noqa: F403
from truce.settings import DATA_DIR, DATABASES

if "sqlite" in DATABASES["default"]["ENGINE"]:
    # A real file (not shared-cache memory) so concurrency tests see WAL and
    # IMMEDIATE transactions behave as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}

# Fast hashing: tests create many users; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
