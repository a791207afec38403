"""Observation ingest over the API: single and batch, idempotent on the client's UUID."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Places
from tests.core.api_client import Api, error_of
from tests.monitoring.factories_web import obs_data
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.monitoring.models import Observation

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(places: Places, mission_user: User) -> Api:
    return Api(mission_user)


def test_single_ingest_creates_then_an_identical_resend_answers_the_first(api: Api) -> None:
    data = obs_data()
    first = api.post("/monitoring/observations", data)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["client_uuid"] == data["client_uuid"]
    assert body["observer_post"] == "op-n1"
    assert body["type"] == "explosion_impact"
    assert body["window"] == "2020-11-20"
    assert body["incident"] is not None

    again = api.post("/monitoring/observations", data)
    assert again.status_code == 200, again.content
    assert again.json()["id"] == body["id"]
    assert Observation.objects.filter(client_uuid=data["client_uuid"]).count() == 1


def test_a_resend_with_changed_content_is_a_conflict_on_client_uuid(api: Api) -> None:
    data = obs_data()
    assert api.post("/monitoring/observations", data).status_code == 201
    changed = {**data, "count": 7}
    response = api.post("/monitoring/observations", changed)
    assert response.status_code == 409
    assert error_of(response)["field"] == "client_uuid"
    assert Observation.objects.get(client_uuid=data["client_uuid"]).count == 2


def test_a_bad_single_observation_names_its_field_and_writes_nothing(api: Api) -> None:
    before = LedgerEntry.objects.count()
    response = api.post("/monitoring/observations", obs_data(bearing_deg=400))
    assert response.status_code == 422
    assert error_of(response)["field"] == "bearing_deg"
    assert LedgerEntry.objects.count() == before
    assert not Observation.objects.exists()


def test_the_body_must_be_a_json_object(api: Api) -> None:
    response = api.post("/monitoring/observations", [obs_data()])
    assert response.status_code in {400, 422}
    error_of(response)


def test_idempotency_key_replays_the_stored_answer(api: Api) -> None:
    data = obs_data()
    first = api.post("/monitoring/observations", data, **{"Idempotency-Key": "k-1"})
    again = api.post("/monitoring/observations", data, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_batch_is_written_whole_and_an_identical_resend_creates_nothing(api: Api) -> None:
    items = [obs_data(), obs_data(type="muzzle_flash"), obs_data(type="illumination_flare")]
    response = api.post("/monitoring/observations/batch", {"items": items})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 3 and body["unchanged"] == 0
    assert [row["index"] for row in body["items"]] == [0, 1, 2]
    assert [row["client_uuid"] for row in body["items"]] == [i["client_uuid"] for i in items]
    assert Observation.objects.count() == 3

    again = api.post("/monitoring/observations/batch", {"items": items})
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["unchanged"] == 3
    assert Observation.objects.count() == 3


def test_a_batch_with_bad_items_writes_nothing_and_names_every_bad_item(api: Api) -> None:
    before = LedgerEntry.objects.count()
    items = [
        obs_data(),
        obs_data(bearing_deg=361),
        obs_data(),
        obs_data(observed_at="2999-01-01T00:00:00Z"),
        "not an object",
    ]
    response = api.post("/monitoring/observations/batch", {"items": items})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_batch"
    assert error["field"] == "items"
    assert error["message"]
    named = {(row["index"], row["field"]) for row in error["items"]}
    assert (1, "bearing_deg") in named
    assert (3, "observed_at") in named
    assert 4 in {row["index"] for row in error["items"]}
    assert {row["index"] for row in error["items"]} == {1, 3, 4}
    assert all(row["message"] for row in error["items"])
    assert not Observation.objects.exists()
    assert LedgerEntry.objects.count() == before


def test_a_batch_of_1001_is_refused_and_writes_nothing(api: Api) -> None:
    items = [obs_data() for _ in range(1001)]
    response = api.post("/monitoring/observations/batch", {"items": items})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_batch"
    assert error["field"] == "items"
    assert [row["index"] for row in error["items"]] == [1000]
    assert "1000" in error["message"]
    assert not Observation.objects.exists()


def test_a_batch_must_carry_items(api: Api) -> None:
    response = api.post("/monitoring/observations/batch", {"observations": []})
    assert response.status_code == 422
    assert error_of(response)["field"] == "items"


def test_a_side_user_cannot_report_as_a_mission_post(places: Places, side_a_user: User) -> None:
    response = Api(side_a_user).post("/monitoring/observations", obs_data())
    assert response.status_code == 422
    assert error_of(response)["field"] in {"observer_kind", "observer_post"}
    assert not Observation.objects.exists()


def test_ingest_needs_credentials(places: Places) -> None:
    response = Api().post("/monitoring/observations", obs_data())
    assert response.status_code == 401
    error_of(response)


def test_a_browser_session_needs_the_csrf_token(places: Places, mission_user: User) -> None:
    api = Api(enforce_csrf=True)
    api.client.force_login(mission_user)
    response = api.post("/monitoring/observations", obs_data(client_uuid=str(uuid.uuid4())))
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
