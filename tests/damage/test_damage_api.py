"""The damage API: create, re-assess, list, detail, history, rollups, layers; party isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.api_client import Api, error_of, write_counts
from truce.core.models import User
from truce.damage.models import Structure

from .helpers import assess

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "settlement": "T-PUB",
    "reference": "API-1",
    "use": "housing",
    "grade": "destroyed",
    "assessed_on": "2020-11-20",
    "needs": {"glazing_m2": 10, "roofing_m2": 90},
    "lon": 46.1,
    "lat": 39.5,
    "visibility": ["side_a"],
}


def test_create_then_reassess_with_expected_version_and_read_the_history(
    places: object, mission_user: User
) -> None:
    api = Api(mission_user)
    created = api.post("/damage/structures", BODY)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["grade"] == "destroyed" and body["needs"]["glazing_m2"] == 10
    assert body["visibility"] == ["mission", "side_a"]
    path = f"/damage/structures/{body['id']}"
    stale = api.patch(path, {"expected_version": 0, "grade": "light"})
    assert stale.status_code == 409
    updated = api.patch(path, {"expected_version": 1, "grade": "severe"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["version"] == 2
    history = api.get(path + "/history").json()
    assert [h["version"] for h in history] == [1, 2]
    assert history[0]["data"]["grade"] == "destroyed"


def test_an_unknown_grade_is_422_naming_grade_and_writes_nothing(
    places: object, mission_user: User
) -> None:
    api = Api(mission_user)
    before = write_counts()
    response = api.post("/damage/structures", {**BODY, "grade": "flattened"})
    assert response.status_code == 422
    assert error_of(response)["field"] == "grade"
    assert write_counts() == before


def test_a_negative_need_is_422_naming_the_item(places: object, mission_user: User) -> None:
    response = Api(mission_user).post("/damage/structures", {**BODY, "needs": {"roofing_m2": -5}})
    assert response.status_code == 422
    assert error_of(response)["field"] == "needs.roofing_m2"


def test_an_update_without_expected_version_is_refused(places: object, mission_user: User) -> None:
    s = assess(mission_user)
    response = Api(mission_user).patch(f"/damage/structures/{s.public_id}", {"grade": "light"})
    assert response.status_code == 422
    assert error_of(response)["field"] == "expected_version"


def test_a_batch_names_every_bad_row_and_writes_nothing(places: object, mission_user: User) -> None:
    good = {k: v for k, v in BODY.items() if k != "visibility"}
    items = [good, {**good, "reference": "API-2", "grade": "x"}, {**good, "reference": ""}]
    api = Api(mission_user)
    before = write_counts()
    response = api.post("/damage/structures/batch", {"items": items})
    assert response.status_code == 422
    errors = response.json()["error"]["items"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "grade"), (3, "reference")]
    assert write_counts() == before
    ok = api.post("/damage/structures/batch", {"items": items[:1]})
    assert ok.status_code == 201 and ok.json()["created"] == 1


def test_list_filters_by_settlement_area_grade_use_and_bbox(
    places: object, mission_user: User
) -> None:
    assess(mission_user, settlement="T-PUB", grade="destroyed", use="school")
    assess(mission_user, settlement="T-A", grade="light")
    api = Api(mission_user)

    def refs(**params: Any) -> int:
        response = api.get("/damage/structures", **params)
        assert response.status_code == 200, response.content
        return len(response.json()["items"])

    assert refs() == 2
    assert refs(settlement="T-PUB") == 1
    assert refs(grade="light") == 1
    assert refs(use="school") == 1
    assert refs(bbox="46.15,39,46.25,40") == 1
    assert refs(area="NOPE") == 0
    bad = api.get("/damage/structures", grade="gone")
    assert bad.status_code == 422 and error_of(bad)["field"] == "grade"


def test_the_rollups_endpoint_gives_per_settlement_and_per_area_counts(
    places: object, mission_user: User
) -> None:
    assess(mission_user, settlement="T-PUB", needs={"glazing_m2": 3})
    assess(mission_user, settlement="T-PUB", grade="severe", needs={"glazing_m2": 4})
    api = Api(mission_user)
    body = api.get("/damage/rollups").json()
    assert body["totals"]["total"] == 2
    (row,) = body["rows"]
    assert row["pcode"] == "T-PUB"
    assert row["by_grade"]["destroyed"] == 1 and row["by_grade"]["severe"] == 1
    assert row["needs"]["glazing_m2"] == 7
    assert row["needs_by_grade"]["destroyed"]["glazing_m2"] == 3
    by_area = api.get("/damage/rollups", by="area").json()
    assert by_area["rows"][0]["pcode"] is None  # the fixture's settlements have no area
    assert api.get("/damage/rollups", by="zone").status_code == 422


def test_the_layers_are_geojson_of_what_the_reader_may_see(
    places: object, mission_user: User, side_b_user: User
) -> None:
    assess(mission_user, settlement="T-PUB", visibility=["side_a"])
    mission = Api(mission_user).get("/damage/structures.geojson").json()
    assert len(mission["features"]) == 1
    assert mission["features"][0]["properties"]["grade"] == "destroyed"
    cells = Api(mission_user).get("/damage/choropleth.geojson").json()
    assert cells["approximate"] is True
    values = {f["properties"]["pcode"]: f["properties"]["value"] for f in cells["features"]}
    assert values["T-PUB"] == 1
    theirs = Api(side_b_user).get("/damage/structures.geojson").json()
    assert theirs["features"] == []
    their_cells = Api(side_b_user).get("/damage/choropleth.geojson").json()
    assert all(f["properties"]["total"] == 0 for f in their_cells["features"])
    assert {f["properties"]["pcode"] for f in their_cells["features"]} <= {"T-PUB", "T-B"}
    assert Api(side_b_user).get("/damage/choropleth.geojson", measure="x").status_code == 422


def test_side_b_sees_nothing_of_a_structure_shared_only_with_side_a(
    places: object, mission_user: User, side_a_user: User, side_b_user: User
) -> None:
    s = assess(mission_user, settlement="T-PUB", visibility=["side_a"])
    a, b = Api(side_a_user), Api(side_b_user)
    path = f"/damage/structures/{s.public_id}"
    assert a.get(path).status_code == 200
    assert len(a.get("/damage/structures").json()["items"]) == 1
    assert b.get(path).status_code == 404
    assert b.get(path + "/history").status_code == 404
    assert b.get("/damage/structures").json()["items"] == []
    rollups = b.get("/damage/rollups").json()
    assert rollups["totals"]["total"] == 0 and rollups["rows"] == []
    assert b.get("/damage/rollups", by="area").json()["rows"] == []
    assert b.patch(path, {"expected_version": 1, "grade": "light"}).status_code == 404
    assert b.delete(path, version=1).status_code == 404
    assert Structure.objects.get().version == 1


def test_a_party_may_read_but_not_write(places: object, side_a_user: User) -> None:
    response = Api(side_a_user).post("/damage/structures", BODY)
    assert response.status_code == 403
    assert not Structure.objects.exists()


def test_delete_tombstones_and_the_history_stays_readable(
    places: object, mission_user: User
) -> None:
    s = assess(mission_user)
    api = Api(mission_user)
    path = f"/damage/structures/{s.public_id}"
    assert api.delete(path, version=1, reason="duplicate").status_code == 204
    assert api.get(path).status_code == 404
    history = api.get(path + "/history").json()
    assert [h["action"] for h in history] == ["create", "delete"]
    assert api.get("/damage/rollups").json()["totals"]["total"] == 0


def test_the_assessor_account_is_named_to_the_mission_only(
    places: object, mission_user: User, side_a_user: User
) -> None:
    s = assess(mission_user, visibility=["side_a"])
    path = f"/damage/structures/{s.public_id}"
    assert Api(mission_user).get(path).json()["assessor"] == mission_user.username
    assert Api(side_a_user).get(path).json()["assessor"] is None
