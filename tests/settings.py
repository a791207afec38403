"""Test settings: the project's settings in test mode (no secret key needed)."""

import os

os.environ.setdefault("TRUCE_MODE", "test")

from truce.settings import *  # noqa: E402, F403
