"""Winter readiness in a real browser: the map draws the settlements each party may see."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.winter import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def readiness_data(parties: dict[str, Any], live_server: Any) -> Any:
    for code, lon, visibility in (
        ("W-1", 46.70, ["agencies", "side_b"]),
        ("W-2", 46.80, ["agencies"]),
    ):
        place = core_services.settlement_create(
            actor=None,
            fields={
                "pcode": code,
                "display_name": f"Village {code}",
                "geometry": {"type": "Point", "coordinates": [lon, 39.8]},
            },
            visibility=["public"],
        )
        services.utility_report_record(
            actor=None,
            settlement=place,
            utility="heat",
            fields={"state": "out", "since": dt.date(2020, 11, 10)},
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


def _markers_after_load(page: Any, base: str) -> int:
    page.goto(f"{base}/winter/?as_of=2020-11-20&utility=heat")
    page.wait_for_function("document.getElementById('readiness-map').hasAttribute('data-loaded')")
    assert page.get_attribute("#readiness-map", "data-loaded") != "error"
    return int(page.locator("path.leaflet-interactive").count())


def test_the_map_draws_each_settlement_with_a_report(
    readiness_data: Any, page: Any, shot: Any
) -> None:
    _login(page, readiness_data.url, "analyst")
    assert _markers_after_load(page, readiness_data.url) == 2
    shot(page, "winter-01-readiness")
    # A dispatched click reaches the marker even while the map is still fitting its bounds.
    page.locator("path.leaflet-interactive").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Heat: Out" in popup.inner_text()


def test_side_b_sees_only_the_settlement_shared_with_it(readiness_data: Any, page: Any) -> None:
    _login(page, readiness_data.url, "liaison")
    assert _markers_after_load(page, readiness_data.url) == 1
