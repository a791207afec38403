"""Mine action forms in a real browser: a road check drawn by clicking on the map."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.mineaction.models import RoadCheck

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def writer(parties: dict[str, Any], live_server: Any) -> Any:
    core_services.organisation_create(
        actor=None, fields={"code": "eng", "name": "Engineers", "party": "mission"}
    )
    core_services.user_create(
        actor=None,
        username="analyst",
        party=parties["mission"],
        roles=["analyst"],
        password=PASSWORD,
    )
    return live_server


def test_a_road_check_drawn_on_the_map(writer: Any, page: Any, shot: Any) -> None:
    base = writer.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill("analyst")
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/mineaction/road-checks/new/")
    box = page.locator("#draw-map").bounding_box()
    assert box is not None
    for dx in (0.3, 0.5, 0.7):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * 0.5)
    page.get_by_role("button", name="Undo last point").click()
    drawn = json.loads(page.locator("#id_geometry").input_value())
    assert drawn["type"] == "LineString" and len(drawn["coordinates"]) == 2
    page.get_by_label("Reference").fill("RC-DRAWN")
    page.get_by_label("Road", exact=True).fill("Drawn road")
    page.get_by_label("Organisation").select_option("eng")
    shot(page, "mineaction-03-road-check-form")
    page.get_by_role("button", name="Record the road check").click()
    page.wait_for_url(f"{base}/mineaction/")
    check = RoadCheck.objects.get(reference="RC-DRAWN")
    assert check.length_m > 0 and check.geometry["type"] == "LineString"
