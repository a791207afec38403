"""Verifying incidents over the API: status with a version check, notes, merge, split."""

from __future__ import annotations

import pytest

from tests.conftest import Places
from tests.core.api_client import Api, error_of
from tests.monitoring.factories_web import World, make_world
from truce.core.models import Party, User
from truce.monitoring.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


def _status(api: Api, incident: Incident, **body: object) -> object:
    return api.post(f"/monitoring/incidents/{incident.public_id}/status", body)


def test_status_change_checks_the_version(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    incident = world.mission_incident
    version = incident.version
    response = _status(api, incident, status="under_review", version=version)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "under_review"
    assert response.json()["version"] == version + 1

    stale = _status(api, incident, status="dismissed", version=version)
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "conflict"
    incident.refresh_from_db()
    assert incident.status == "under_review"


def test_a_responsible_party_is_named_only_on_verification(
    world: World, mission_user: User, parties: dict[str, Party]
) -> None:
    api = Api(mission_user)
    incident = world.mission_incident
    early = _status(
        api, incident, status="under_review", version=incident.version, responsible_party="side-a"
    )
    assert early.status_code == 422
    assert error_of(early)["field"] == "responsible_party"

    review = _status(api, incident, status="under_review", version=incident.version)
    assert review.status_code == 200
    version = review.json()["version"]
    unknown = _status(api, incident, status="verified", version=version, responsible_party="nobody")
    assert unknown.status_code == 422
    assert error_of(unknown)["field"] == "responsible_party"

    verified = _status(
        api, incident, status="verified", version=version, responsible_party="side-a"
    )
    assert verified.status_code == 200, verified.content
    assert verified.json()["responsible_party"] == "side-a"
    assert api.get(f"/monitoring/incidents/{incident.public_id}").json()["status"] == "verified"


def test_the_verification_path_is_enforced(world: World, mission_user: User) -> None:
    incident = world.mission_incident
    skipped = _status(Api(mission_user), incident, status="verified", version=incident.version)
    assert skipped.status_code == 422
    assert error_of(skipped)["field"] == "status"


def test_a_visible_incident_is_not_verifiable_by_a_party(
    world: World, side_a_user: User, side_b_user: User
) -> None:
    incident = world.shared_incident
    refused = _status(Api(side_a_user), incident, status="verified", version=incident.version)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "forbidden"
    note = Api(side_a_user).post(
        f"/monitoring/incidents/{incident.public_id}/notes",
        {"text": "we object", "version": incident.version},
    )
    assert note.status_code == 403
    # Side B may not even learn that it exists.
    hidden = _status(Api(side_b_user), incident, status="verified", version=incident.version)
    assert hidden.status_code == 404
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_notes_are_added_with_a_version_check(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    incident = world.mission_incident
    path = f"/monitoring/incidents/{incident.public_id}/notes"
    added = api.post(path, {"text": "crater analysis requested", "version": incident.version})
    assert added.status_code == 200, added.content
    assert "crater analysis requested" in added.json()["notes"]
    stale = api.post(path, {"text": "again", "version": incident.version})
    assert stale.status_code == 409


def test_merge_and_split(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    keep, other = world.mission_incident, world.shared_incident
    merged = api.post(
        "/monitoring/incidents/merge",
        {"incidents": [str(keep.public_id), str(other.public_id)], "into": str(keep.public_id)},
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == str(keep.public_id)
    world.shared_a.refresh_from_db()
    assert world.shared_a.incident_id == keep.pk

    split = api.post(
        f"/monitoring/incidents/{keep.public_id}/split",
        {"observations": [str(world.shared_a.public_id)]},
    )
    assert split.status_code == 201, split.content
    assert split.json()["id"] != str(keep.public_id)
    world.shared_a.refresh_from_db()
    assert str(world.shared_a.incident.public_id) == split.json()["id"]


def test_split_refuses_observations_of_another_incident(world: World, mission_user: User) -> None:
    response = Api(mission_user).post(
        f"/monitoring/incidents/{world.mission_incident.public_id}/split",
        {"observations": [str(world.shared_a.public_id)]},
    )
    assert response.status_code == 404
    assert error_of(response)["field"] == "observations"


def test_merge_names_a_hidden_incident_as_missing(world: World, side_a_user: User) -> None:
    response = Api(side_a_user).post(
        "/monitoring/incidents/merge",
        {
            "incidents": [
                str(world.shared_incident.public_id),
                str(world.mission_incident.public_id),
            ]
        },
    )
    assert response.status_code == 404
    assert error_of(response)["field"] == "incidents"
