"""Correcting and withdrawing observations over the API: shapes, versions, who may, history."""

from __future__ import annotations

import pytest

from tests.conftest import Places
from tests.core.api_client import Api, error_of
from tests.monitoring.factories_web import DAY, World, make_world
from truce.core.models import User
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Observation

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


def _correct(api: Api, o: Observation, **body: object) -> object:
    return api.post(f"/monitoring/observations/{o.public_id}/correct", body)


def _withdraw(api: Api, o: Observation, **body: object) -> object:
    return api.post(f"/monitoring/observations/{o.public_id}/withdraw", body)


def _events(api: Api, window: str = DAY.isoformat()) -> int:
    body = api.get("/monitoring/counts", window=window, by="type").json()
    return int(body["total"]["events"])


def test_a_correction_answers_with_the_new_version_and_moves_the_counts(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    o = world.mission_a
    before = _events(api)
    response = _correct(
        api,
        o,
        changes={"count": 7, "bearing_deg": 100, "text": "seven impacts"},
        expected_version=o.version,
        reason="the post recounted",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["bearing_deg"], body["version"]) == (7, 100.0, o.version + 1)
    assert body["geometry"] != o.geometry
    assert _events(api) == before + 7 - o.count
    assert ledger_verify().ok


def test_history_lists_the_versions_with_reason_and_previous_values(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    o = world.mission_a
    _correct(api, o, changes={"count": 4}, expected_version=1, reason="recounted")
    history = api.get(f"/monitoring/observations/{o.public_id}/history").json()
    assert [(h["version"], h["action"]) for h in history] == [(1, "create"), (2, "correct")]
    assert history[1]["data"]["reason"] == "recounted"
    assert history[1]["data"]["previous"] == {"count": o.count}
    assert "count" in history[1]["changed"]


def test_stale_version_bad_value_and_missing_reason_each_have_the_error_shape(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    o = world.mission_a
    stale = _correct(api, o, changes={"count": 3}, expected_version=o.version + 5, reason="x")
    assert stale.status_code == 409
    assert error_of(stale)["field"] == "expected_version"
    bad = _correct(api, o, changes={"bearing_deg": 360}, expected_version=o.version, reason="x")
    assert bad.status_code == 422
    assert error_of(bad)["field"] == "bearing_deg"
    blank = _correct(api, o, changes={"count": 3}, expected_version=o.version, reason=" ")
    assert blank.status_code == 422 and error_of(blank)["field"] == "reason"
    shape = _correct(api, o, changes={"count": 3}, reason="x")
    assert shape.status_code == 422 and error_of(shape)["field"] == "expected_version"
    assert Observation.objects.get(pk=o.pk).version == o.version


def test_a_withdrawn_observation_leaves_the_list_counts_and_map_but_keeps_its_history(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    o = world.mission_previous  # alone in its incident, on the day before
    previous_day = "2020-11-19"
    assert _events(api, previous_day) == o.count
    response = _withdraw(api, o, expected_version=o.version, reason="a duplicate report")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == o.version + 1
    assert _events(api, previous_day) == 0
    assert api.get(f"/monitoring/observations/{o.public_id}").status_code == 404
    listed = api.get("/monitoring/observations", window=previous_day).json()["items"]
    assert listed == []
    geojson = api.get("/monitoring/incidents.geojson", window=previous_day).json()
    assert geojson["features"] == []
    history = api.get(f"/monitoring/observations/{o.public_id}/history").json()
    assert [h["action"] for h in history] == ["create", "withdraw"]
    assert history[-1]["data"]["reason"] == "a duplicate report"
    again = _withdraw(api, o, expected_version=o.version + 1, reason="again")
    assert again.status_code == 404  # gone from every read, as any tombstone


def test_another_party_sees_nothing_and_cannot_correct(
    world: World, side_a_user: User, side_b_user: User
) -> None:
    hidden = world.mission_a  # mission-only
    shared = world.shared_a  # side A sees it, but it is the mission's report
    for user, o in ((side_b_user, hidden), (side_b_user, shared), (side_a_user, hidden)):
        api = Api(user)
        for response in (
            api.get(f"/monitoring/observations/{o.public_id}/history"),
            _correct(api, o, changes={"count": 9}, expected_version=o.version, reason="x"),
            _withdraw(api, o, expected_version=o.version, reason="x"),
        ):
            assert response.status_code == 404
            assert error_of(response)["code"] == "not_found"
    api = Api(side_a_user)
    refused = _correct(api, shared, changes={"count": 9}, expected_version=1, reason="x")
    assert refused.status_code == 404 and error_of(refused)["code"] == "not_found"
    # The side still reads the report (and its history) as shared with it.
    assert api.get(f"/monitoring/observations/{shared.public_id}/history").status_code == 200
    assert Observation.objects.get(pk=shared.pk).count == shared.count


def test_a_side_corrects_its_own_complaint(world: World, side_a_user: User) -> None:
    api = Api(side_a_user)
    filed = api.post(
        "/monitoring/observations",
        {
            "client_uuid": "11111111-2222-4333-8444-555555555555",
            "observed_at": "2020-11-20T09:00:00Z",
            "observer_kind": "party_complaint",
            "type": "bursts_and_shots",
            "lon": 46.5,
            "lat": 39.5,
        },
    )
    assert filed.status_code == 201, filed.content
    public_id = filed.json()["id"]
    response = api.post(
        f"/monitoring/observations/{public_id}/correct",
        {"changes": {"type": "provocation"}, "expected_version": 1, "reason": "misfiled"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["type"] == "provocation"
