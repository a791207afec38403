"""Routes on the test grid: the straight road, a closure, a hazard, weight and verified masks."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.routing.conftest import LAT0, LON0, STEP, square
from truce.mineaction import services as mineaction
from truce.routing import planning, services
from truce.routing.models import RoadNetwork

pytestmark = pytest.mark.django_db
A = f"{LON0},{LAT0}"  # junction (0, 0)
B = f"{LON0 + 4 * STEP},{LAT0}"  # junction (0, 4), along the primary road


def test_route_along_the_primary_road(grid: RoadNetwork) -> None:
    plan = planning.plan_route(user=None, origin=A, destination=B)
    assert plan.found
    assert [s["key"] for s in plan.segments] == ["h-0-0", "h-0-1", "h-0-2", "h-0-3"]
    assert plan.length_m == pytest.approx(4 * 853.0, rel=0.01)
    assert plan.geometry["coordinates"][0] == [LON0, LAT0]
    assert plan.blockers == [] and plan.avoided == []


def test_a_closure_reroutes(grid: RoadNetwork) -> None:
    services.segment_status_set(
        actor=None,
        network=grid,
        key="h-0-1",
        fields={"status": "closed", "since": dt.date(2020, 11, 12), "reason": "bridge down"},
        expected_version=0,
    )
    plan = planning.plan_route(user=None, origin=A, destination=B)
    assert plan.found
    assert "h-0-1" not in [s["key"] for s in plan.segments]
    assert plan.length_m > 4 * 853.0


def test_a_hazard_across_the_road_reroutes_and_is_reported(grid: RoadNetwork) -> None:
    hazard = mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-T-1",
            "name": "Field",
            "kind": "suspected",
            "reported_on": dt.date(2020, 11, 1),
            "geometry": square(LON0 + 2.5 * STEP, LAT0, 0.001),
        },
    )
    plan = planning.plan_route(user=None, origin=A, destination=B, hazard_buffer_m=50)
    assert plan.found
    assert "h-0-2" not in [s["key"] for s in plan.segments]
    assert [a["reference"] for a in plan.avoided] == ["HA-T-1"]
    assert plan.avoided[0]["id"] == str(hazard.public_id)


def test_warm_up_builds_the_graph_the_next_route_uses(grid: RoadNetwork) -> None:
    # truce serve warms the graphs before forking its workers; a route then
    # finds the same graph in the cache instead of reading the segments again.
    (loaded,) = planning.warm_up()
    assert loaded.network_id == grid.pk
    assert len(loaded.row_ids) == grid.segments.count()
    assert planning.loaded_network(grid) is loaded
    assert planning.plan_route(user=None, origin=A, destination=B).found
