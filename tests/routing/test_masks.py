"""What a route avoids and what it reports: closures, hazards (and their cache), unverified
roads, weight limits, road classes, snapping limits and disconnected endpoints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from tests.routing.conftest import LAT0, LON0, STEP, _feature, grid_features, square, write_geojson
from truce.core.errors import InvalidInput
from truce.core.models import Party, User
from truce.mineaction import services as mineaction
from truce.mineaction.models import HazardArea
from truce.routing import planning, services
from truce.routing.models import RoadNetwork

pytestmark = pytest.mark.django_db
A = f"{LON0},{LAT0}"
B = f"{LON0 + 4 * STEP},{LAT0}"
DAY = dt.date(2020, 11, 12)


def keys(plan: planning.RoutePlan) -> list[str]:
    return [s["key"] for s in plan.segments]


def hazard(reference: str, geometry: dict[str, Any], visibility: Any = None) -> HazardArea:
    extra = {} if visibility is None else {"visibility": visibility}
    return mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": reference,
            "name": f"Area {reference}",
            "kind": "confirmed",
            "reported_on": dt.date(2020, 11, 1),
            "geometry": geometry,
        },
        **extra,
    )


def line_network(tmp_path: Path, slug: str, **props: Any) -> RoadNetwork:
    """Two segments in a row, A - M - B, nothing else."""
    mid = [LON0 + 2 * STEP, LAT0]
    features = [
        _feature("a", [[LON0, LAT0], mid], {"highway": "secondary", **props.get("a", {})}),
        _feature(
            "b", [mid, [LON0 + 4 * STEP, LAT0]], {"highway": "secondary", **props.get("b", {})}
        ),
    ]
    return services.network_import(
        actor=None, path=write_geojson(tmp_path / f"{slug}.geojson", features), slug=slug
    )


def test_hazard_updates_apply_to_the_next_route(grid: RoadNetwork, analyst: User) -> None:
    assert keys(planning.plan_route(user=None, origin=A, destination=B))[1] == "h-0-1"
    area = hazard("HA-1", square(LON0 + 1.5 * STEP, LAT0, 0.001))
    rerouted = planning.plan_route(user=None, origin=A, destination=B)
    assert "h-0-1" not in keys(rerouted)
    assert [a["reference"] for a in rerouted.avoided] == ["HA-1"]
    mineaction.hazard_area_update(
        actor=analyst,
        hazard=area,
        expected_version=1,
        changes={"status": "closed", "status_since": dt.date(2020, 11, 20)},
    )
    assert keys(planning.plan_route(user=None, origin=A, destination=B))[1] == "h-0-1"


def test_the_buffer_widens_what_a_hazard_blocks(grid: RoadNetwork) -> None:
    # 0.0012 degrees (about 130 m) north of the primary road, 0.0002 across.
    hazard("HA-N", square(LON0 + 1.5 * STEP, LAT0 + 0.0012, 0.0001))
    assert "h-0-1" in keys(
        planning.plan_route(user=None, origin=A, destination=B, hazard_buffer_m=50)
    )
    assert "h-0-1" not in keys(
        planning.plan_route(user=None, origin=A, destination=B, hazard_buffer_m=200)
    )


def test_no_safe_route_reports_the_blockers_filtered_by_reader(
    tmp_path: Path, parties: dict[str, Party], side_a_user: User, analyst: User
) -> None:
    line_network(tmp_path, "line")
    hidden = hazard("HA-SECRET", square(LON0 + 1 * STEP, LAT0, 0.001), visibility=["mission"])
    services.segment_status_set(
        actor=None,
        network=RoadNetwork.objects.get(slug="line"),
        key="b",
        fields={"status": "closed", "since": DAY, "reason": "bridge down"},
        expected_version=0,
        visibility=["mission"],
    )
    mission = planning.plan_route(user=analyst, origin=A, destination=B)
    assert not mission.found
    assert mission.blockers == [
        {
            "kind": "hazard",
            "id": str(hidden.public_id),
            "reference": "HA-SECRET",
            "name": "Area HA-SECRET",
            "geometry": hidden.geometry,
        },
        {
            "kind": "closure",
            "segment": "b",
            "name": "",
            "since": "2020-11-12",
            "reason": "bridge down",
        },
    ]
    side = planning.plan_route(user=side_a_user, origin=A, destination=B)
    assert not side.found
    assert side.blockers == [
        {"kind": "hazard", "restricted": True},
        {"kind": "closure", "segment": "b", "restricted": True},
    ]


def test_verified_only_keeps_to_verified_roads(grid: RoadNetwork) -> None:
    plan = planning.plan_route(user=None, origin=A, destination=B, verified_only=True)
    assert not plan.found
    assert {b["kind"] for b in plan.blockers} == {"not_verified"}
    assert [b["segment"] for b in plan.blockers] == ["h-0-0", "h-0-1", "h-0-2", "h-0-3"]
    for key in ("h-0-0", "h-0-1", "h-0-2", "h-0-3"):
        services.segment_status_set(
            actor=None,
            network=grid,
            key=key,
            fields={"status": "verified_clear", "since": DAY},
            expected_version=0,
        )
    again = planning.plan_route(user=None, origin=A, destination=B, verified_only=True)
    assert again.found and keys(again) == ["h-0-0", "h-0-1", "h-0-2", "h-0-3"]
    assert {s["status"] for s in again.segments} == {"verified_clear"}


def test_weight_limits(tmp_path: Path, parties: dict[str, Party]) -> None:
    features = grid_features(**{"h-0-1": {"maxweight": "10 t"}})
    services.network_import(
        actor=None, path=write_geojson(tmp_path / "w.geojson", features), slug="w"
    )
    heavy = planning.plan_route(user=None, origin=A, destination=B, weight_t=20)
    assert "h-0-1" not in keys(heavy)
    light = planning.plan_route(user=None, origin=A, destination=B, weight_t=7.5)
    assert keys(light)[1] == "h-0-1"
    line_network(tmp_path, "bridge", b={"maxweight": 5, "bridge": "yes"})
    stuck = planning.plan_route(user=None, origin=A, destination=B, network="bridge")
    assert not stuck.found
    assert stuck.blockers == [
        {"kind": "weight_limit", "segment": "b", "name": "", "max_weight_t": 5.0}
    ]


def test_road_classes_closed_to_a_profile(tmp_path: Path, parties: dict[str, Party]) -> None:
    line_network(tmp_path, "tracks", a={"highway": "track"})
    lorry = planning.plan_route(user=None, origin=A, destination=B, profile="lorry")
    assert not lorry.found
    assert lorry.blockers == [
        {"kind": "road_class", "segment": "a", "name": "", "road_class": "track"}
    ]
    assert planning.plan_route(user=None, origin=A, destination=B, profile="4x4").found


def test_snapping_splits_the_nearest_segment(grid: RoadNetwork) -> None:
    # 0.001 degrees (about 111 m) south of the middle of h-0-1.
    plan = planning.plan_route(
        user=None, origin=f"{LON0 + 1.5 * STEP},{LAT0 - 0.001}", destination=B
    )
    assert plan.found
    assert plan.origin.snap_distance_m == pytest.approx(111.2, abs=0.5)
    assert plan.origin.snapped == [pytest.approx(LON0 + 1.5 * STEP), pytest.approx(LAT0)]
    assert keys(plan) == ["h-0-1", "h-0-2", "h-0-3"]
    assert plan.segments[0]["length_m"] == pytest.approx(853.0 / 2, rel=0.01)
    assert plan.geometry["coordinates"][0] == [pytest.approx(LON0 + 1.5 * STEP), LAT0]


def test_snapping_limits(grid: RoadNetwork) -> None:
    far = f"{LON0 + 2 * STEP},{LAT0 - 0.02}"  # about 2.2 km south of the grid
    with pytest.raises(InvalidInput) as caught:
        planning.plan_route(user=None, origin=far, destination=B)
    assert caught.value.field == "from"
    with override_settings(TRUCE_ROUTING_SNAP_MAX_M=3000):
        assert planning.plan_route(user=None, origin=far, destination=B).found
    with override_settings(TRUCE_ROUTING_SNAP_MAX_M=50), pytest.raises(InvalidInput) as near:
        planning.plan_route(user=None, origin=A, destination=f"{LON0},{LAT0 - 0.001}")
    assert near.value.field == "to"


def test_disconnected_endpoints_are_an_error(tmp_path: Path, parties: dict[str, Party]) -> None:
    features = [
        _feature("west", [[LON0, LAT0], [LON0 + STEP, LAT0]], {"highway": "primary"}),
        _feature(
            "east", [[LON0 + 3 * STEP, LAT0], [LON0 + 4 * STEP, LAT0]], {"highway": "primary"}
        ),
    ]
    services.network_import(
        actor=None, path=write_geojson(tmp_path / "d.geojson", features), slug="d"
    )
    with pytest.raises(InvalidInput, match="not connected") as caught:
        planning.plan_route(user=None, origin=A, destination=B)
    assert caught.value.field == "to"


def test_one_way_roads_are_driven_one_way(tmp_path: Path, parties: dict[str, Party]) -> None:
    features = grid_features(**{"h-0-1": {"oneway": "-1"}})
    services.network_import(
        actor=None, path=write_geojson(tmp_path / "o.geojson", features), slug="o"
    )
    east = planning.plan_route(user=None, origin=A, destination=B)
    assert "h-0-1" not in keys(east)
    west = planning.plan_route(user=None, origin=B, destination=A)
    assert keys(west) == ["h-0-3", "h-0-2", "h-0-1", "h-0-0"]
    assert west.geometry["coordinates"][-1] == [LON0, LAT0]


def test_places_by_pcode(grid: RoadNetwork, places: Any, side_b_user: User) -> None:
    # The test settlements lie at lat 39.5, far from the grid: a snapping error names them.
    with pytest.raises(InvalidInput) as caught:
        planning.plan_route(user=None, origin="T-PUB", destination=B)
    assert caught.value.field == "from" and "farther" in caught.value.message
    # A settlement the reader may not see is no place at all.
    with pytest.raises(InvalidInput, match="no settlement"):
        planning.plan_route(user=side_b_user, origin="T-A", destination=B)


def test_status_changes_apply_to_the_next_route(grid: RoadNetwork) -> None:
    """The graph is loaded once; a closure, then a reopening, reach the next query."""
    assert keys(planning.plan_route(user=None, origin=A, destination=B))[2] == "h-0-2"
    services.segment_status_set(
        actor=None,
        network=grid,
        key="h-0-2",
        fields={"status": "closed", "since": DAY},
        expected_version=0,
    )
    assert "h-0-2" not in keys(planning.plan_route(user=None, origin=A, destination=B))
    services.segment_status_set(
        actor=None,
        network=grid,
        key="h-0-2",
        fields={"status": "verified_clear", "since": DAY + dt.timedelta(days=2)},
        expected_version=1,
    )
    again = planning.plan_route(user=None, origin=A, destination=B)
    assert keys(again)[2] == "h-0-2"
    assert again.segments[2]["status"] == "verified_clear"
    assert again.segments[2]["status_since"] == "2020-11-14"
