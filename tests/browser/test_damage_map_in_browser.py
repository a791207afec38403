"""The damage map in a real browser: approximate settlement cells shaded, a legend, a link
to the rollup, and side B sees none of a structure shared with side A only."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, Places
from tests.damage.helpers import assess
from truce.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_the_map_shades_cells_and_links_to_the_rollup(
    live_server: Any, page: Any, shot: Any, places: Places, mission_user: User, side_b_user: User
) -> None:
    assess(mission_user, settlement="T-A", visibility=["side_a"])
    assess(mission_user, settlement="T-PUB", visibility=["public"])
    _login(page, live_server.url, mission_user.username)
    with page.expect_response(re.compile(r"choropleth\.geojson")) as mission_cells:
        page.goto(f"{live_server.url}/damage/map/")
    body = mission_cells.value.json()
    assert body["approximate"] is True
    assert {f["properties"]["pcode"]: f["properties"]["value"] for f in body["features"]}[
        "T-A"
    ] == 1
    page.locator("#damage-map path.leaflet-interactive").first.wait_for()
    assert "not boundaries" in page.locator("#damage-map-note").inner_text()
    assert page.locator("#damage-map-legend li").count() >= 2
    shot(page, "damage-map-mission")

    page.context.clear_cookies()
    _login(page, live_server.url, side_b_user.username)
    with page.expect_response(re.compile(r"choropleth\.geojson")) as theirs:
        page.goto(f"{live_server.url}/damage/map/")
    values = {
        f["properties"]["pcode"]: f["properties"]["value"] for f in theirs.value.json()["features"]
    }
    assert "T-A" not in values  # the settlement is side A's
    assert values.get("T-PUB") == 1  # the public structure only
