"""Mine action in a real browser: the hazard map draws what a party may see, a popup
tells a hazard's land release, and the totals page shows the cards."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.mineaction import services, task_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _square(lon: float, lat: float) -> dict[str, Any]:
    d = 0.01
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def hazards(parties: dict[str, Any], live_server: Any) -> Any:
    core_services.organisation_create(
        actor=None, fields={"code": "eng", "name": "Engineers", "party": "mission"}
    )
    for ref, lon, visibility in (("HA-1", 46.70, ["public"]), ("HA-2", 46.80, ["mission"])):
        area = services.hazard_area_record(
            actor=None,
            fields={
                "reference": ref,
                "name": f"Field {ref}",
                "kind": "confirmed",
                "reported_on": dt.date(2020, 11, 14),
                "geometry": _square(lon, 39.8),
            },
            visibility=visibility,
        )
        task_services.activity_record(
            actor=None,
            fields={
                "reference": f"T-{ref}",
                "kind": "clearance",
                "organisation": "eng",
                "hazard": area,
                "start_date": dt.date(2020, 11, 14),
            },
            results=[{"reported_on": dt.date(2020, 11, 16), "cleared_m2": 250_000}],
            visibility=visibility,
        )
    for username, scope, role in (
        ("analyst", "mission", "analyst"),
        ("liaison", "side_b", "liaison_officer"),
    ):
        core_services.user_create(
            actor=None, username=username, party=parties[scope], roles=[role], password=PASSWORD
        )
    return live_server


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def _hazards_after_load(page: Any, base: str) -> int:
    page.goto(f"{base}/mineaction/")
    page.wait_for_function("document.getElementById('hazard-map').hasAttribute('data-loaded')")
    loaded = page.get_attribute("#hazard-map", "data-loaded")
    assert loaded != "error"
    return int(loaded)


def test_the_hazard_map_a_popup_and_the_totals(hazards: Any, page: Any, shot: Any) -> None:
    _login(page, hazards.url, "analyst")
    assert _hazards_after_load(page, hazards.url) == 2
    shot(page, "mineaction-01-hazard-map")
    # A dispatched click reaches the shape even while the map is still fitting its bounds.
    page.locator("path.leaflet-interactive").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "HA-" in text and "Released" in text and "25.0 ha" in text
    page.goto(f"{hazards.url}/mineaction/totals/")
    cards = page.locator(".ma-cards").inner_text()
    assert "50.0" in cards  # ha cleared, both hazards
    shot(page, "mineaction-02-totals")


def test_side_b_sees_only_the_public_hazard(hazards: Any, page: Any) -> None:
    _login(page, hazards.url, "liaison")
    assert _hazards_after_load(page, hazards.url) == 1
