"""A real browser: Playwright driving Debian's Chromium (never a downloaded one)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TRUCE_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts" / "browser"

# Playwright's sync API runs an event loop in this thread; the test itself only
# touches the database before the browser starts and between page loads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


# The running browser. App browser tests (tests/<app>/test_..._in_browser.py) import
# these fixtures, which defines them a second time; Playwright's sync API cannot start
# twice in one thread, so the second definition reuses the first one's browser.
_RUNNING: list[Any] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if _RUNNING:
        yield _RUNNING[0]
        return
    if not _chromium_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI must run the browser tests")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # No network but loopback here: keep Chromium from phoning home.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        _RUNNING.append(instance)
        try:
            yield instance
        finally:
            _RUNNING.clear()
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shot() -> Any:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTEFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
