"""Counts per mission day against the day before, running totals, and OP check-ins."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Places
from tests.core.api_client import Api, error_of
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


def test_counts_by_type_compare_with_the_previous_window(world: World, mission_user: User) -> None:
    response = Api(mission_user).get("/monitoring/counts", window="2020-11-20", by="type")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["window"] == "2020-11-20"
    assert body["previous_window"] == "2020-11-19"
    # 18:00 Baku (UTC+4) is 14:00 UTC.
    assert body["window_start"] == "2020-11-19T14:00:00Z"
    assert body["window_end"] == "2020-11-20T14:00:00Z"
    rows = {row["key"]: row for row in body["rows"]}
    explosions = rows["explosion_impact"]
    assert explosions["observations"] == 2
    assert explosions["events"] == 3
    assert explosions["previous_observations"] == 1
    assert explosions["previous_events"] == 3
    assert explosions["change"] == 1
    assert rows["bursts_and_shots"]["observations"] == 1
    assert body["total"]["observations"] == 3
    assert body["total"]["previous_observations"] == 1


def test_counts_by_post_and_zone(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    by_post = {
        r["key"]: r
        for r in api.get("/monitoring/counts", window="2020-11-20", by="post").json()["rows"]
    }
    assert by_post["op-n1"]["observations"] == 3
    by_zone = {
        r["key"]: r
        for r in api.get("/monitoring/counts", window="2020-11-20", by="zone").json()["rows"]
    }
    assert by_zone["north"]["observations"] == 3
    assert by_zone["north"]["previous_observations"] == 1


def test_counts_refuse_an_unknown_grouping(world: World, mission_user: User) -> None:
    response = Api(mission_user).get("/monitoring/counts", by="weather")
    assert response.status_code == 422
    assert error_of(response)["field"] == "by"


def test_running_totals_since_the_ceasefire(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    body = api.get("/monitoring/counts/totals", until="2020-11-20", by="type").json()
    assert body["since"] == "2020-11-09T21:00:00Z"
    assert body["until_window"] == "2020-11-20"
    rows = {row["key"]: row for row in body["rows"]}
    assert rows["explosion_impact"]["observations"] == 3
    assert rows["explosion_impact"]["events"] == 6
    earlier = api.get("/monitoring/counts/totals", until="2020-11-19", by="type").json()
    assert {r["key"]: r["observations"] for r in earlier["rows"]}.get("explosion_impact") == 1


def test_check_in_then_latest(places: Places, mission_user: User) -> None:
    api = Api(mission_user)
    key = str(uuid.uuid4())
    first = api.post("/monitoring/check-ins", {"post": "op-n1", "client_uuid": key})
    assert first.status_code == 201, first.content
    assert first.json()["post"] == "op-n1"
    again = api.post("/monitoring/check-ins", {"post": "op-n1", "client_uuid": key})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]

    latest = api.get("/monitoring/check-ins/latest").json()
    row = next(r for r in latest if r["post"] == "op-n1")
    assert row["checked_in_at"] == first.json()["checked_in_at"]
    assert row["overdue"] is False


def test_check_in_at_an_unknown_post_is_named(places: Places, mission_user: User) -> None:
    response = Api(mission_user).post(
        "/monitoring/check-ins", {"post": "op-zz", "client_uuid": str(uuid.uuid4())}
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "post"
