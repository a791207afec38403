"""A side confirms a transfer in a real browser, with the keyboard alone; the row updates
in place (HTMX) and a duty officer's page of the same exchange shows no name.
Screenshots go to artefacts/browser/.

The browser runs in a thread of its own, as in tests/alerts: Playwright's sync API
refuses to start where another session already runs an event loop.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.browser.conftest import ARTEFACTS, CHROMIUM
from tests.scenario_sections import briefings_sections
from truce.core.models import User
from truce.core.scenario.loader import load_scenario
from truce.detainees import services
from truce.detainees.models import Case, Transfer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "ceasefire-2020-demo"


def _user(username: str) -> User:
    return User.objects.select_related("party", "organisation").get(username=username)


@pytest.fixture
def handed_over(live_server: Any) -> tuple[Any, Transfer]:
    """The demo, plus a second exchange of side B's sought person, handed over by the ICRC."""
    load_scenario("briefings-2020", only=briefings_sections("detainees"))
    icrc = _user("icrc")
    sought = Case.objects.get(full_name="Fictional Missing Six")
    sought = services.case_verify(actor=icrc, case=sought, expected_version=sought.version)
    exchange = services.exchange_create(
        actor=icrc,
        planned_on=dt.date(2020, 12, 20),
        crossing_point="Second crossing point (demo)",
        intermediary="icrc",
        cases=[sought],
    )
    transfer = Transfer.objects.get(exchange=exchange)
    transfer = services.transfer_hand_over(actor=icrc, transfer=transfer, expected_version=1)
    return live_server, transfer


def _in_own_thread(job: Callable[[Any], None]) -> None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    failures: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                context = browser.new_context(viewport={"width": 1280, "height": 860})
                page = context.new_page()
                page.set_default_timeout(15000)
                try:
                    job(page)
                finally:
                    connections.close_all()
                    browser.close()
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, name="detainees-browser")
    worker.start()
    worker.join(timeout=120)
    if worker.is_alive():
        pytest.fail("the browser test did not finish in 120 s")
    if failures:
        raise failures[0]


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def _shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


def test_a_side_confirms_by_keyboard_and_the_duty_officer_sees_no_name(
    handed_over: tuple[Any, Transfer],
) -> None:
    server, transfer = handed_over
    url = f"{server.url}{transfer.exchange.get_absolute_url()}"

    def job(page: Any) -> None:
        _log_in(page, server.url, "liaison-a")
        page.goto(url)
        button = page.locator(f"button#act-{transfer.public_id}")
        assert "Confirm for" in button.inner_text()
        for _ in range(80):
            page.keyboard.press("Tab")
            if button.evaluate("element => element === document.activeElement"):
                break
        else:
            raise AssertionError("the confirmation button is not reachable with the keyboard")
        page.keyboard.press("Enter")
        page.locator(f"span#act-{transfer.public_id}").wait_for()
        assert page.evaluate("document.activeElement.id") == f"act-{transfer.public_id}"
        _shot(page, "detainees-01-confirmed-by-side-a")

        page.context.clear_cookies()
        _log_in(page, server.url, "duty")
        page.goto(url)
        text = page.locator("main").inner_text()
        assert "Fictional Missing Six" not in text and "withheld" in text
        _shot(page, "detainees-02-duty-officer-view")
        page.goto(f"{server.url}/detainees/")
        _shot(page, "detainees-03-duty-officer-overview")

        page.context.clear_cookies()
        _log_in(page, server.url, "unhcr")
        page.goto(f"{server.url}/detainees/")
        assert page.locator('[data-empty="detainees"]').is_visible()
        _shot(page, "detainees-04-unhcr-sees-nothing")

    _in_own_thread(job)
    confirmed = Transfer.objects.get(pk=transfer.pk)
    assert confirmed.released_confirmed_by is not None
    assert confirmed.released_confirmed_by.username == "liaison-a"
    assert confirmed.status == "handed_over"
