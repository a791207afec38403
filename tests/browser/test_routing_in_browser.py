"""The route planner and the road status layer in a real browser, on the demo roads.

Plan Goris to Stepanakert by typing the settlements' names, see the route drawn and
its segment table, open the route sheet; open a segment's history on the status layer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.routing.test_scenario_routing import ACROSS_THE_CORRIDOR
from tests.scenario_sections import briefings_sections
from truce.core.scenario import load_scenario
from truce.mineaction import services as mineaction
from truce.routing import planning

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "ceasefire-2020-demo"  # scenarios/briefings-2020/users.yaml


@pytest.fixture
def demo_roads(live_server: Any) -> Any:
    load_scenario("briefings-2020", demo_passwords=True, only=briefings_sections("routing"))
    planning.forget_graphs()
    yield live_server
    planning.forget_graphs()


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_plan_goris_to_stepanakert_and_open_the_route_sheet(
    demo_roads: Any, page: Any, shot: Any
) -> None:
    base = demo_roads.url
    _login(page, base, "analyst")
    page.goto(f"{base}/routing/")
    page.get_by_label("From", exact=True).fill("Goris")
    page.get_by_label("To", exact=True).fill("Stepanakert")
    page.get_by_label("Vehicle").select_option("lorry")
    page.get_by_role("button", name="Plan the route").click()
    page.wait_for_selector(".route-result[data-found=true]")
    page.wait_for_function("document.getElementById('planner-map').hasAttribute('data-loaded')")
    assert int(page.get_attribute("#planner-map", "data-loaded") or 0) == 7
    rows = page.locator("table.route-segments tbody tr")
    assert rows.count() == 7
    assert "Goris - Khndzoresk" in rows.first.inner_text()
    assert "Lachin corridor" in rows.nth(3).inner_text()
    assert page.locator("path.leaflet-interactive").count() >= 7
    shot(page, "routing-01-planner")

    page.get_by_role("link", name="Printable route sheet").click()
    page.wait_for_url(re.compile(r"/routing/sheet/\?from=AM-SU-001&to=AZ-XA-001"))
    assert page.locator("svg.route-sketch polyline").count() == 7
    assert "Lachin corridor" in page.locator(".sheet-meta").inner_text()
    shot(page, "routing-02-sheet")


def test_the_status_layer_opens_a_segments_history(demo_roads: Any, page: Any, shot: Any) -> None:
    base = demo_roads.url
    _login(page, base, "duty")
    page.goto(f"{base}/routing/roads/")
    page.wait_for_function("document.getElementById('roads-map').hasAttribute('data-loaded')")
    assert page.get_attribute("#roads-map", "data-loaded") not in ("error", "0")
    # A dispatched click reaches a segment even while the map is still settling.
    page.locator("path.leaflet-interactive").first.dispatch_event("click")
    panel = page.locator("#segment-panel .segment-popup")
    panel.wait_for()
    assert "Status history" in panel.inner_text()
    assert panel.locator("form").count() == 1  # the duty officer may change it
    shot(page, "routing-03-roads")
    # A change posted from the panel (HTMX) comes back in the panel, with its history.
    panel.get_by_label("Status").select_option("closed")
    panel.get_by_label("Reason").fill("Landslide")
    panel.get_by_role("button", name="Change the status").click()
    page.locator("#segment-panel [role=status]").wait_for()
    assert "Landslide" in page.locator("#segment-panel").inner_text()


def test_a_hazard_across_the_corridor_is_drawn_and_listed_as_the_block(
    demo_roads: Any, page: Any, shot: Any
) -> None:
    mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-LAC-B1",
            "name": "Mines reported on the Aghavno road",
            "kind": "suspected",
            "status": "open",
            "geometry": ACROSS_THE_CORRIDOR,
            "reported_on": "2020-11-20",
        },
    )
    base = demo_roads.url
    _login(page, base, "analyst")
    page.goto(f"{base}/routing/?from=AM-SU-001&to=AZ-XA-001&profile=lorry&verified_only=on")
    page.wait_for_selector(".route-result[data-found=false]")
    blockers = page.locator(".route-blockers li[data-kind=hazard]")
    assert "HA-LAC-B1" in blockers.inner_text()
    page.wait_for_function("document.getElementById('planner-map').hasAttribute('data-loaded')")
    assert page.get_attribute("#planner-map", "data-loaded") == "1"  # the hazard, drawn
    shot(page, "routing-04-blocked")


def test_clicks_on_the_map_set_the_start_then_the_destination(demo_roads: Any, page: Any) -> None:
    base = demo_roads.url
    _login(page, base, "analyst")
    page.goto(f"{base}/routing/")
    page.locator("#planner-map").click(position={"x": 200, "y": 300})
    start = page.get_by_label("From", exact=True).input_value()
    assert re.fullmatch(r"4\d\.\d{5},3\d\.\d{5}", start), start
    page.locator("#planner-map").click(position={"x": 500, "y": 150})
    destination = page.get_by_label("To", exact=True).input_value()
    assert re.fullmatch(r"4\d\.\d{5},3\d\.\d{5}", destination) and destination != start
