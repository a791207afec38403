"""Convoys in a real browser: open the 21 Nov convoy, its map and its deliveries."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.scenario_sections import briefings_sections
from truce.core.scenario.loader import load_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "ceasefire-2020-demo"


@pytest.fixture
def demo(live_server: Any) -> Any:
    load_scenario(
        "briefings-2020", demo_passwords=True, only=briefings_sections("logistics", "convoys")
    )
    return live_server


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_follow_the_21_november_convoy(demo: Any, page: Any, shot: Any) -> None:
    _login(page, demo.url, "duty")
    page.goto(f"{demo.url}/convoys/")
    page.get_by_role("link", name="cv-2020-11-21").click()
    page.wait_for_url(re.compile(r"/convoys/cv-2020-11-21/$"))
    page.wait_for_function("document.getElementById('convoy-map').hasAttribute('data-loaded')")
    # The route line, the depot and the four reported positions.
    assert int(page.get_attribute("#convoy-map", "data-loaded") or 0) >= 6
    assert page.locator("path.leaflet-interactive").count() >= 5
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "Construction materials convoy, 30 lorries" in body
    assert "CM1-030 (fictional)" in body
    assert "Stepanakert" in body
    shot(page, "convoys-01-convoy")
    page.goto(f"{demo.url}/convoys/deliveries/")
    assert "cv-2020-11-21" in page.inner_text("body")
    shot(page, "convoys-02-deliveries")
    page.goto(f"{demo.url}/convoys/map/")
    page.wait_for_function("document.getElementById('convoy-map').hasAttribute('data-loaded')")
    assert "Winter items convoy (on the road)" in page.inner_text("body")
