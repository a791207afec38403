"""The browser fixtures (tests/browser/conftest.py) for this app's browser test."""

from tests.browser.conftest import browser, page, shot

__all__ = ["browser", "page", "shot"]
