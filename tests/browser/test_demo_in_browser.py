"""A user in a real browser: log in, open the map, find the 23 OPs, open a
settlement, switch language. Screenshots go to artefacts/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.scenario_sections import REGISTRIES
from truce.core.models import Facility, Settlement
from truce.core.scenario.loader import load_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "ceasefire-2020-demo"


@pytest.fixture
def demo(live_server: Any) -> Any:
    load_scenario("briefings-2020", only=REGISTRIES)
    return live_server


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_duty_officer_finds_the_23_ops_on_the_map(demo, page, shot):
    expected = Facility.objects.filter(
        kind="observation_post", op_role="contact_line", is_deleted=False
    ).count()
    assert expected == 23
    _login(page, demo.url, "duty")
    shot(page, "01-home")
    page.goto(f"{demo.url}/map/")
    page.wait_for_function("document.querySelectorAll('path.truce-op-contact_line').length >= 23")
    assert page.locator("path.truce-op-contact_line").count() == expected
    assert page.locator("path.truce-op-corridor_traffic").count() == 4
    # Every asset came from this server: the map works with no internet.
    shot(page, "02-map")

    page.locator("path.truce-op-contact_line").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "battalion" in popup.inner_text().lower()
    shot(page, "03-map-popup")


def test_a_settlement_page_and_a_language_switch(demo, page, shot):
    stepanakert = Settlement.objects.get(name_en="Stepanakert")
    _login(page, demo.url, "duty")
    page.goto(f"{demo.url}/registry/settlements/?q=Stepanakert")
    page.get_by_role("link", name=re.compile("Stepanakert")).first.click()
    page.wait_for_url(re.compile(str(stepanakert.public_id)))
    body = page.locator("main").inner_text()
    assert stepanakert.pcode in body
    assert stepanakert.name_az in body  # contested names stay side by side
    shot(page, "04-settlement")

    page.get_by_role("tab", name=re.compile("History", re.I)).click()
    page.locator("[data-history-version]").first.wait_for()
    shot(page, "05-settlement-history")

    page.select_option("select[name=language]", "ru")
    page.wait_for_load_state("load")
    page.locator("html[lang=ru]").wait_for()
    assert "Карта" in page.locator("nav").inner_text()
    shot(page, "06-settlement-ru")


def test_side_b_liaison_does_not_see_mission_only_posts(demo, page):
    hidden = Facility.objects.filter(share_side_b=False, share_public=False, is_deleted=False)
    assert hidden.exists()
    _login(page, demo.url, "liaison-b")
    for facility in hidden[:3]:
        response = page.goto(f"{demo.url}/registry/facilities/{facility.public_id}/")
        assert response is not None
        assert response.status == 404
