"""The routing API: networks, the segment layer, a segment and its history, statuses,
corridors, routes; each filtered by the reader's party, errors in the one shape."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.api_client import Api, error_of, write_counts
from tests.routing.conftest import LAT0, LON0, STEP
from truce.core.models import User
from truce.routing import services
from truce.routing.models import RoadNetwork

pytestmark = pytest.mark.django_db
A = f"{LON0},{LAT0}"
B = f"{LON0 + 4 * STEP},{LAT0}"


def test_route_endpoint_answers_in_the_contract_shape(grid: RoadNetwork, side_a_user: User) -> None:
    body = Api(side_a_user).get("/routing/route", **{"from": A, "to": B}).json()
    assert body["found"] is True
    assert body["network"] == "grid"
    assert body["profile"] == {"name": "lorry", "weight_t": 20.0}
    assert body["from"]["query"] == A and body["from"]["snap_distance_m"] == 0.0
    assert body["geometry"]["type"] == "LineString"
    assert [s["key"] for s in body["segments"]] == ["h-0-0", "h-0-1", "h-0-2", "h-0-3"]
    assert body["segments"][0]["status"] == "not_verified"
    assert body["blockers"] == [] and body["avoided"] == []
    assert body["duration_s"] > 0


def test_bad_route_queries_name_the_field(grid: RoadNetwork, side_a_user: User) -> None:
    api = Api(side_a_user)
    cases = [
        ({"from": A, "to": B, "profile": "tank"}, "profile"),
        ({"from": "nowhere", "to": B}, "from"),
        ({"from": A, "to": "47.5,41.5"}, "to"),
        ({"from": A, "to": B, "weight_t": -1}, "weight_t"),
        ({"from": A, "to": B, "hazard_buffer_m": -5}, "hazard_buffer_m"),
        ({"from": A, "to": B, "network": "atlantis"}, "network"),
    ]
    for params, field in cases:
        response = api.get("/routing/route", **params)
        assert response.status_code in (404, 422), (params, response.content)
        assert error_of(response)["field"] == field, params


def test_a_party_sees_nothing_of_a_network_it_may_not_read(
    mission_only_grid: RoadNetwork, side_a_user: User, admin_user: User
) -> None:
    api = Api(side_a_user)
    assert api.get("/routing/networks").json() == []
    assert api.get("/routing/segments.geojson", network="secret").status_code == 404
    assert api.get("/routing/segments/h-0-0", network="secret").status_code == 404
    assert api.get("/routing/corridors", network="secret").status_code == 404
    assert api.get("/routing/route", **{"from": A, "to": B}).status_code == 404
    assert [n["slug"] for n in Api(admin_user).get("/routing/networks").json()] == ["secret"]
    layer = Api(admin_user).get("/routing/segments.geojson", network="secret").json()
    assert len(layer["features"]) == 40


def test_status_update_history_and_its_visibility(
    grid: RoadNetwork, admin_user: User, side_a_user: User, side_b_user: User
) -> None:
    api = Api(admin_user)
    done = api.post(
        "/routing/segments/h-0-1/status",
        {
            "status": "closed",
            "since": "2020-11-12",
            "reason": "bridge down",
            "expected_version": 0,
            "visibility": ["side_a"],
        },
    )
    assert done.status_code == 201, done.content
    stale = api.post(
        "/routing/segments/h-0-1/status",
        {"status": "open", "since": "2020-11-13", "expected_version": 0},
    )
    assert stale.status_code == 409
    a = Api(side_a_user).get("/routing/segments/h-0-1").json()["properties"]
    assert a["status"] == "closed" and [h["reason"] for h in a["history"]] == ["bridge down"]
    b = Api(side_b_user).get("/routing/segments/h-0-1").json()["properties"]
    assert b["status"] == "not_verified" and b["history"] == []
    # The route avoids the closure for both; only side A is told why.
    layer = Api(side_b_user).get("/routing/segments.geojson", bbox="45.9,39.9,46.1,40.1").json()
    assert {f["properties"]["status"] for f in layer["features"]} == {"not_verified"}


def test_bad_status_updates_write_nothing(grid: RoadNetwork, admin_user: User) -> None:
    api = Api(admin_user)
    before = write_counts()
    missing = api.post("/routing/segments/nope/status", {"status": "closed", "since": "2020-11-12"})
    assert missing.status_code == 404 and error_of(missing)["field"] == "key"
    bad = api.post("/routing/segments/h-0-1/status", {"status": "mined", "since": "2020-11-12"})
    assert bad.status_code == 422 and error_of(bad)["field"] == "status"
    assert write_counts() == before


def test_corridors_are_listed_by_visibility(
    grid: RoadNetwork, side_a_user: User, side_b_user: User
) -> None:
    services.corridor_record(
        actor=None,
        network=grid,
        fields={
            "name": "Test corridor",
            "segment_keys": ["h-0-0", "h-0-1"],
            "open_to_civilians_since": dt.date(2020, 12, 1),
        },
        visibility=["side_a"],
    )
    assert [c["name"] for c in Api(side_a_user).get("/routing/corridors").json()] == [
        "Test corridor"
    ]
    assert Api(side_b_user).get("/routing/corridors").json() == []
    route = Api(side_a_user).get("/routing/route", **{"from": A, "to": B}).json()
    assert route["segments"][0]["corridor"] == "Test corridor"
    route_b = Api(side_b_user).get("/routing/route", **{"from": A, "to": B}).json()
    assert route_b["segments"][0]["corridor"] is None


def test_the_layer_needs_a_bbox_above_its_feature_limit(
    grid: RoadNetwork, side_a_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from truce.routing import selectors

    monkeypatch.setattr(selectors, "GEOJSON_FEATURE_LIMIT", 10)
    api = Api(side_a_user)
    too_many = api.get("/routing/segments.geojson")
    assert too_many.status_code == 422 and error_of(too_many)["field"] == "bbox"
    small = api.get(
        "/routing/segments.geojson",
        bbox=f"{LON0 - 0.001},{LAT0 - 0.001},{LON0 + 0.015},{LAT0 + 0.001}",
    )
    assert {f["id"] for f in small.json()["features"]} == {"h-0-0", "h-0-1", "v-0-0", "v-0-1"}
    assert api.get("/routing/segments.geojson", bbox="1,2,3").status_code == 422
    closed = api.get("/routing/segments.geojson", status="closed").json()
    assert closed["features"] == []


def test_network_list_and_segment_detail(grid: RoadNetwork, side_a_user: User) -> None:
    api = Api(side_a_user)
    (network,) = api.get("/routing/networks").json()
    assert network["slug"] == "grid" and network["segment_count"] == 40
    assert network["source_format"] == "geojson" and len(network["source_sha256"]) == 64
    detail = api.get("/routing/segments/h-0-0", network="grid").json()
    assert detail["properties"]["road_class"] == "primary"
    assert detail["properties"]["status_version"] == 0 and detail["properties"]["history"] == []
    assert detail["geometry"]["type"] == "LineString"
