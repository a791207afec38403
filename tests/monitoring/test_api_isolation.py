"""A party sees none of the mission-only monitoring records, by any endpoint.

Side A sees exactly the one observation (and its incident) shared with it;
side B sees nothing at all. Hidden records are 404s; counts never include them.
"""

from __future__ import annotations

import pytest

from tests.conftest import Places
from tests.core.api_client import Api, error_of, ids
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


def _hidden_from_a(world: World) -> list[str]:
    return [str(o.public_id) for o in (world.mission_a, world.mission_b, world.mission_previous)]


def test_side_a_sees_only_what_is_shared_with_it(world: World, side_a_user: User) -> None:
    api = Api(side_a_user)
    observations = api.get("/monitoring/observations").json()
    assert ids(observations) == {str(world.shared_a.public_id)}
    item = observations["items"][0]
    # The observing OP is mission-only: neither its code nor its position leaks.
    assert item["observer_post"] is None
    assert item["observer_lon"] is None and item["observer_lat"] is None
    assert item["zone"] is None
    assert item["visibility"] == ["side_a"]

    incidents = api.get("/monitoring/incidents").json()
    assert ids(incidents) == {str(world.shared_incident.public_id)}
    assert incidents["items"][0]["observation_count"] == 1

    for public_id in _hidden_from_a(world):
        response = api.get(f"/monitoring/observations/{public_id}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    hidden_incident = world.mission_incident.public_id
    assert api.get(f"/monitoring/incidents/{hidden_incident}").status_code == 404
    assert api.get(f"/monitoring/incidents/{hidden_incident}/history").status_code == 404

    shown = api.get(f"/monitoring/incidents/{world.shared_incident.public_id}").json()
    assert {o["id"] for o in shown["observations"]} == {str(world.shared_a.public_id)}


def test_side_b_sees_nothing(world: World, side_b_user: User) -> None:
    api = Api(side_b_user)
    assert api.get("/monitoring/observations").json()["items"] == []
    assert api.get("/monitoring/incidents").json()["items"] == []
    assert api.get("/monitoring/incidents.geojson").json()["features"] == []
    for observation in (world.shared_a, world.mission_a):
        assert api.get(f"/monitoring/observations/{observation.public_id}").status_code == 404
    assert api.get(f"/monitoring/incidents/{world.shared_incident.public_id}").status_code == 404
    counts = api.get("/monitoring/counts", window="2020-11-20", by="type").json()
    assert counts["rows"] == [] or all(r["observations"] == 0 for r in counts["rows"])
    assert counts["total"]["observations"] == 0
    totals = api.get("/monitoring/counts/totals", until="2020-11-20", by="zone").json()
    assert sum(r["observations"] for r in totals["rows"]) == 0


def test_geojson_leaves_out_hidden_incidents(world: World, side_a_user: User) -> None:
    collection = Api(side_a_user).get("/monitoring/incidents.geojson").json()
    assert {f["id"] for f in collection["features"]} == {str(world.shared_incident.public_id)}
    assert all(f["properties"]["zone"] is None for f in collection["features"])


def test_counts_count_only_what_the_reader_may_see(world: World, side_a_user: User) -> None:
    counts = Api(side_a_user).get("/monitoring/counts", window="2020-11-20", by="type").json()
    by_key = {row["key"]: row for row in counts["rows"]}
    assert by_key["bursts_and_shots"]["observations"] == 1
    assert by_key["bursts_and_shots"]["events"] == 5
    assert "explosion_impact" not in by_key or by_key["explosion_impact"]["observations"] == 0
    assert counts["total"]["observations"] == 1
    # Counting by OP must not name the mission-only OP.
    by_post = Api(side_a_user).get("/monitoring/counts", window="2020-11-20", by="post").json()
    assert all(row["key"] != "op-n1" for row in by_post["rows"])


def test_a_filter_naming_a_hidden_post_or_zone_matches_nothing(
    world: World, side_a_user: User
) -> None:
    api = Api(side_a_user)
    assert api.get("/monitoring/observations", post="op-n1").json()["items"] == []
    assert api.get("/monitoring/observations", zone="north").json()["items"] == []
    assert api.get("/monitoring/incidents", zone="north").json()["items"] == []


def test_side_users_cannot_check_in(world: World, side_a_user: User) -> None:
    response = Api(side_a_user).post(
        "/monitoring/check-ins",
        {"post": "op-n1", "client_uuid": "7e0f0c1e-7f57-4df5-a0a6-5f1d5d6a2b11"},
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert Api(side_a_user).get("/monitoring/check-ins/latest").json() == []


def test_an_incident_merged_with_hidden_observations_is_hidden_too(
    world: World, mission_user: User, side_a_user: User
) -> None:
    """An incident is shared only as far as all its observations are, so its
    counts and history never reveal an observation the reader may not see."""
    shared = world.shared_incident
    merged = Api(mission_user).post(
        "/monitoring/incidents/merge",
        {
            "incidents": [str(shared.public_id), str(world.mission_incident.public_id)],
            "into": str(shared.public_id),
        },
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["observation_count"] == 3

    api = Api(side_a_user)
    assert api.get(f"/monitoring/incidents/{shared.public_id}").status_code == 404
    assert api.get(f"/monitoring/incidents/{shared.public_id}/history").status_code == 404
    assert api.get("/monitoring/incidents").json()["items"] == []
    assert api.get("/monitoring/incidents.geojson").json()["features"] == []
    # The observation shared with side A stays visible; its incident does not.
    observation = api.get(f"/monitoring/observations/{world.shared_a.public_id}").json()
    assert observation["incident"] is None
