"""Reading observations and incidents over the API: filters, pages, details, GeoJSON."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import Places
from tests.core.api_client import PREFIX, Api, error_of, ids
from tests.monitoring.factories_web import AT, World, iso, make_world, record
from truce.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


@pytest.fixture
def api(mission_user: User) -> Api:
    return Api(mission_user)


def _all_ids(api: Api, path: str, **params: object) -> set[str]:
    page = api.get(path, **params)
    assert page.status_code == 200, page.content
    return ids(page.json())


def test_observation_filters(world: World, api: Api) -> None:
    everything = {
        str(o.public_id)
        for o in (world.mission_a, world.mission_b, world.mission_previous, world.shared_a)
    }
    assert _all_ids(api, "/monitoring/observations") == everything
    day = _all_ids(api, "/monitoring/observations", window="2020-11-20")
    assert day == everything - {str(world.mission_previous.public_id)}
    assert _all_ids(api, "/monitoring/observations", type="bursts_and_shots") == {
        str(world.shared_a.public_id)
    }
    assert _all_ids(api, "/monitoring/observations", post="op-n1") == everything
    assert _all_ids(api, "/monitoring/observations", post="no-such-post") == set()
    assert _all_ids(api, "/monitoring/observations", zone="north") == everything
    since = _all_ids(
        api,
        "/monitoring/observations",
        since=iso(AT + dt.timedelta(seconds=30)),
        until=iso(AT + dt.timedelta(hours=1)),
    )
    assert since == {str(world.mission_b.public_id)}
    incident = world.shared_incident
    assert _all_ids(api, "/monitoring/observations", incident=str(incident.public_id)) == {
        str(world.shared_a.public_id)
    }
    far = _all_ids(api, "/monitoring/observations", bbox="10,10,11,11")
    assert far == set()


def test_time_filters_need_a_time_zone(world: World, api: Api) -> None:
    response = api.get("/monitoring/observations", since="2020-11-20T10:00:00")
    assert response.status_code == 422
    assert error_of(response)["field"] == "since"


def test_a_bad_bbox_is_named(world: World, api: Api) -> None:
    response = api.get("/monitoring/incidents", bbox="1,2,3")
    assert response.status_code == 422
    assert error_of(response)["field"] == "bbox"


def test_observations_walk_in_pages_without_repeats(world: World, api: Api) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/monitoring/observations", **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    bad = api.get("/monitoring/observations", cursor="forged")
    assert bad.status_code == 422
    assert error_of(bad)["field"] == "cursor"


def test_one_observation_with_its_attachments(world: World, api: Api) -> None:
    path = f"/monitoring/observations/{world.mission_a.public_id}"
    photo = SimpleUploadedFile(
        "crater.jpg", b"\xff\xd8\xff" + b"0" * 200, content_type="image/jpeg"
    )
    upload = api.client.post(PREFIX + path + "/attachments", {"file": photo})
    assert upload.status_code == 201, upload.content
    assert upload.json()["original_name"] == "crater.jpg"
    assert upload.json()["size_bytes"] == 203

    body = api.get(path).json()
    assert body["id"] == str(world.mission_a.public_id)
    assert body["text"] == "first impact"
    assert [a["original_name"] for a in body["attachments"]] == ["crater.jpg"]
    assert api.get("/monitoring/observations/not-a-uuid").status_code == 404


def test_incident_list_filters_and_detail(world: World, api: Api) -> None:
    mission, shared = world.mission_incident, world.shared_incident
    assert mission.pk != shared.pk
    listed = _all_ids(api, "/monitoring/incidents", window="2020-11-20")
    assert {str(mission.public_id), str(shared.public_id)} <= listed
    assert _all_ids(api, "/monitoring/incidents", type="bursts_and_shots") == {
        str(shared.public_id)
    }
    assert _all_ids(api, "/monitoring/incidents", status="verified") == set()
    assert str(mission.public_id) in _all_ids(api, "/monitoring/incidents", status="reported")

    detail = api.get(f"/monitoring/incidents/{mission.public_id}").json()
    assert detail["reference"] == mission.reference
    assert detail["zone"] == "north"
    assert detail["responsible_party"] is None
    observed = {o["id"] for o in detail["observations"]}
    assert str(world.mission_a.public_id) in observed
    assert detail["observation_count"] == len(detail["observations"])

    history = api.get(f"/monitoring/incidents/{mission.public_id}/history").json()
    assert history and history[0]["version"] == 1


def test_incidents_as_geojson(world: World, api: Api) -> None:
    response = api.get("/monitoring/incidents.geojson", window="2020-11-20")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    feature = features[str(world.mission_incident.public_id)]
    assert feature["geometry"]["type"] == "Point"
    props = feature["properties"]
    assert props["status"] == "reported"
    assert props["url"].endswith(f"/monitoring/incidents/{world.mission_incident.public_id}/")
    assert props["reference"] == world.mission_incident.reference

    filtered = api.get("/monitoring/incidents.geojson", type="bursts_and_shots").json()
    assert {f["id"] for f in filtered["features"]} == {str(world.shared_incident.public_id)}
    empty = api.get("/monitoring/incidents.geojson", window="2020-11-01").json()
    assert empty["features"] == []


def test_a_late_observation_lands_in_the_list(world: World, api: Api, mission_user: User) -> None:
    late = record(mission_user, observed_at=iso(AT + dt.timedelta(hours=5)), type="provocation")
    assert str(late.public_id) in _all_ids(api, "/monitoring/observations", type="provocation")


def test_an_oversized_attachment_is_refused_by_name(world: World, api: Api, settings) -> None:
    settings.TRUCE_MAX_ATTACHMENT_BYTES = 100
    path = f"/monitoring/observations/{world.mission_a.public_id}/attachments"
    video = SimpleUploadedFile("long.mp4", b"0" * 101, content_type="video/mp4")
    response = api.client.post(PREFIX + path, {"file": video})
    assert response.status_code == 422
    assert error_of(response)["field"] == "file"
    assert api.get(path.removesuffix("/attachments")).json()["attachments"] == []
