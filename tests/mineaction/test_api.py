"""The mine action API: reads filtered by party (404 for a hidden record), writes through
the services with the project's one error shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import Places
from tests.core.api_client import Api, error_of, ids
from tests.mineaction.conftest import DAY, MineAction, hazard, line, square, task
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.mineaction import services, task_services

pytestmark = pytest.mark.django_db


def test_hazard_lists_and_layer_show_each_party_its_share(
    ma: MineAction, admin_user: User, side_a_user: User, side_b_user: User
) -> None:
    assert len(ids(Api(admin_user).get("/mineaction/hazards/").json())) == 3
    assert ids(Api(side_a_user).get("/mineaction/hazards/").json()) == {
        str(ma.public_hazard.public_id)
    }
    layer = Api(side_b_user).get("/mineaction/hazards.geojson").json()
    refs = {f["properties"]["reference"] for f in layer["features"]}
    assert refs == {"HA-PUB", "HA-B"}
    layer = Api(side_a_user).get("/mineaction/hazards.geojson").json()
    (feature,) = layer["features"]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["released_m2"] == 51_000.0


def test_layer_filters_by_status_and_bbox(ma: MineAction, admin_user: User) -> None:
    api = Api(admin_user)
    boxed = api.get("/mineaction/hazards.geojson", bbox="46.25,39.4,46.35,39.6").json()
    assert [f["properties"]["reference"] for f in boxed["features"]] == ["HA-B"]
    assert api.get("/mineaction/hazards.geojson", status="closed").json()["features"] == []
    assert error_of(api.get("/mineaction/hazards.geojson", status="gone"))["field"] == "status"
    assert error_of(api.get("/mineaction/hazards.geojson", bbox="1,2"))["field"] == "bbox"


def test_hidden_records_are_404_everywhere(ma: MineAction, side_a_user: User) -> None:
    api = Api(side_a_user)
    for path in (
        f"/mineaction/hazards/{ma.side_b_hazard.public_id}",
        f"/mineaction/hazards/{ma.mission_hazard.public_id}/history",
        f"/mineaction/activities/{ma.side_b_task.public_id}",
        f"/mineaction/road-checks/{ma.side_b_road.public_id}",
    ):
        assert api.get(path).status_code == 404, path
    assert (
        api.patch(
            f"/mineaction/hazards/{ma.side_b_hazard.public_id}",
            {"expected_version": 1, "name": "x"},
        ).status_code
        == 404
    )
    assert ids(api.get("/mineaction/activities/").json()) == {str(ma.public_task.public_id)}
    assert ids(api.get("/mineaction/road-checks/").json()) == {str(ma.public_road.public_id)}
    roads = api.get("/mineaction/road-checks.geojson").json()["features"]
    assert [f["properties"]["reference"] for f in roads] == ["RC-PUB"]
    assert len(api.get("/mineaction/building-checks/").json()["items"]) == 1


def test_hazard_detail_has_its_activities_and_history(ma: MineAction, analyst: User) -> None:
    api = Api(analyst)
    hazard = api.get(f"/mineaction/hazards/{ma.public_hazard.public_id}").json()
    assert [a["reference"] for a in hazard["activities"]] == ["T-PUB"]
    assert [h["version"] for h in hazard["history"]] == [1]
    closed = api.post(
        f"/mineaction/hazards/{ma.public_hazard.public_id}/status",
        {
            "expected_version": 1,
            "status": "closed",
            "since": "2020-11-21",
            "released_by": str(ma.public_result.public_id),
        },
    )
    assert closed.status_code == 200, closed.json()
    assert closed.json()["released_by"] == str(ma.public_result.public_id)
    history = api.get(f"/mineaction/hazards/{ma.public_hazard.public_id}/history").json()
    assert [h["data"]["status"] for h in history] == ["open", "closed"]
    stale = api.post(
        f"/mineaction/hazards/{ma.public_hazard.public_id}/status",
        {"expected_version": 1, "status": "open", "since": "2020-11-22"},
    )
    assert stale.status_code == 409


def test_create_a_hazard_and_refuse_a_self_intersecting_one(ma: MineAction, analyst: User) -> None:
    api = Api(analyst)
    body = {
        "reference": "HA-API",
        "name": "By API",
        "kind": "suspected",
        "reported_on": "2020-11-20",
        "geometry": square(46.7, 39.7),
        "visibility": ["public"],
    }
    created = api.post("/mineaction/hazards/", body)
    assert created.status_code == 201, created.json()
    assert created.json()["area_m2"] > 0
    before = LedgerEntry.objects.count()
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[46, 39], [46.1, 39.1], [46.1, 39], [46, 39.1], [46, 39]]],
    }
    refused = api.post("/mineaction/hazards/", {**body, "reference": "HA-BAD", "geometry": bowtie})
    assert refused.status_code == 422 and error_of(refused)["field"] == "geometry"
    assert LedgerEntry.objects.count() == before


def test_an_activity_with_results_and_devices_in_one_request(
    ma: MineAction, analyst: User, side_a_user: User
) -> None:
    api = Api(analyst)
    body = {
        "reference": "T-API",
        "kind": "clearance",
        "organisation": "eng",
        "hazard": "HA-PUB",
        "start_date": "2020-11-20",
        "visibility": ["public"],
        "results": [{"reported_on": "2020-11-21", "cleared_m2": 1000}],
        "devices": [
            {
                "reported_on": "2020-11-21",
                "category": "at_mine",
                "device_type": "TM-62M",
                "found": 3,
                "destroyed": 3,
            }
        ],
    }
    created = api.post("/mineaction/activities/", body)
    assert created.status_code == 201, created.json()
    detail = created.json()
    assert [r["cleared_m2"] for r in detail["results"]] == [1000]
    assert [d["device_type"] for d in detail["devices"]] == ["TM-62M"]
    bad = api.post(
        "/mineaction/activities/",
        {
            **body,
            "reference": "T-BAD",
            "results": [{"reported_on": "2020-11-21", "cleared_m2": -4}],
        },
    )
    assert bad.status_code == 422 and error_of(bad)["field"] == "cleared_m2"
    assert api.get("/mineaction/activities/", hazard=str(ma.public_hazard.public_id)).json()
    # Another party may read it (public) but not write.
    refused = Api(side_a_user).post(
        f"/mineaction/activities/{detail['id']}/results",
        {"reported_on": "2020-11-22", "cleared_m2": 5},
    )
    assert refused.status_code == 403


def test_road_and_building_checks_by_api(ma: MineAction, places: Places, analyst: User) -> None:
    api = Api(analyst)
    road = api.post(
        "/mineaction/road-checks/",
        {
            "reference": "RC-API",
            "name": "Road",
            "organisation": "eng",
            "checked_on": "2020-11-20",
            "result": "clear",
            "geometry": line(46.2, 39.3),
            "stated_km": 9.0,
        },
    )
    assert road.status_code == 201 and road.json()["km"] == 9.0
    building = api.post(
        "/mineaction/building-checks/",
        {
            "organisation": "eng",
            "settlement": places.public_settlement.pcode,
            "checked_on": "2020-11-20",
            "buildings": 12,
        },
    )
    assert building.status_code == 201, building.json()
    bad = api.post(
        "/mineaction/building-checks/",
        {
            "organisation": "eng",
            "settlement": "NOPE",
            "checked_on": "2020-11-20",
            "buildings": 1,
        },
    )
    assert error_of(bad)["field"] == "settlement"


def test_accidents_are_the_missions_only(
    ma: MineAction, places: Places, analyst: User, side_a_user: User, agency_user: User
) -> None:
    accident = task_services.accident_record(
        actor=None,
        fields={
            "occurred_on": DAY,
            "settlement": places.public_settlement.pcode,
            "device_category": "uxo",
            "injured_boys": 2,
        },
    )
    mission = Api(analyst).get("/mineaction/accidents/").json()["items"]
    assert [a["injured_boys"] for a in mission] == [2]
    assert "name" not in mission[0]
    for user in (side_a_user, agency_user):
        api = Api(user)
        assert api.get("/mineaction/accidents/").json()["items"] == []
        assert api.get(f"/mineaction/accidents/{accident.public_id}").status_code == 404


def test_totals_by_period_and_area(
    ma: MineAction, places: Places, admin_user: User, side_a_user: User
) -> None:
    mission = Api(admin_user).get("/mineaction/totals", to="2020-11-30").json()
    assert mission["cleared_ha"] == 7.0 and mission["items_destroyed"] == 37
    assert mission["hazards"]["open"]["count"] == 3
    side_a = Api(side_a_user).get("/mineaction/totals").json()
    assert side_a["cleared_ha"] == 5.0 and side_a["buildings_checked"] == 40
    assert side_a["hazards"]["open"]["count"] == 1
    early = Api(admin_user).get("/mineaction/totals", **{"from": "2020-11-21"}).json()
    assert early["cleared_ha"] == 0 and early["road_km"] == 0
    placed = (
        Api(admin_user).get("/mineaction/totals", settlement=places.public_settlement.pcode).json()
    )
    assert placed["cleared_ha"] == 5.0
    bad = Api(admin_user).get("/mineaction/totals", **{"from": "2020-12-01", "to": "2020-11-01"})
    assert error_of(bad)["field"] == "to"
    assert dt.date.fromisoformat(mission["to"]) == dt.date(2020, 11, 30)


def test_a_batch_is_written_whole_or_not_at_all(ma: MineAction, analyst: User) -> None:
    api = Api(analyst)
    rows = [
        {
            "reference": f"HA-BATCH-{i}",
            "name": "b",
            "kind": "suspected",
            "reported_on": "2020-11-20",
            "geometry": square(46.9, 39.0 + i / 50),
        }
        for i in range(3)
    ]
    before = LedgerEntry.objects.count()
    bad = api.post(
        "/mineaction/batch",
        {
            "kind": "hazards",
            "rows": [
                *rows,
                {**rows[0], "reference": "HA-BATCH-X", "geometry": {"type": "Polygon"}},
            ],
        },
    )
    assert bad.status_code == 422 and error_of(bad)["field"] == "geometry"
    assert "row 4" in error_of(bad)["message"]
    assert LedgerEntry.objects.count() == before
    good = api.post("/mineaction/batch", {"kind": "hazards", "rows": rows})
    assert good.status_code == 201 and good.json() == {"kind": "hazards", "written": 3}
    assert error_of(api.post("/mineaction/batch", {"kind": "mines", "rows": []}))["field"] == "kind"


def test_another_party_sees_nothing_of_records_not_shared_with_it(
    ma: MineAction, places: Places, side_a_user: User
) -> None:
    check = task_services.building_check_record(
        actor=None,
        fields={
            "organisation": "eng",
            "settlement": places.public_settlement.pcode,
            "checked_on": DAY,
            "buildings": 2,
        },
        visibility=["side_b"],
    )
    api = Api(side_a_user)
    assert api.get(f"/mineaction/building-checks/{check.public_id}").status_code == 404
    hidden = {
        str(x.public_id)
        for x in (ma.side_b_hazard, ma.mission_hazard, ma.side_b_task, ma.side_b_road, check)
    }
    for path in (
        "/mineaction/hazards/",
        "/mineaction/activities/",
        "/mineaction/road-checks/",
        "/mineaction/building-checks/",
        "/mineaction/accidents/",
    ):
        assert not ids(api.get(path).json()) & hidden, path
    for path in ("/mineaction/hazards.geojson", "/mineaction/road-checks.geojson"):
        seen = {f["properties"]["id"] for f in api.get(path).json()["features"]}
        assert not seen & hidden, path


def test_a_party_with_nothing_shared_sees_empty_lists_and_zero_totals(
    places: Places, org: object, side_a_user: User, side_b_user: User
) -> None:
    area = hazard("HA-ONLY-B", 46.3, ["side_b"])
    activity = task("T-ONLY-B", area, ["side_b"])
    task_services.land_release_record(
        actor=None,
        activity=activity,
        fields={"reported_on": DAY, "cleared_m2": 10},
        visibility=["side_b"],
    )
    task_services.road_check_record(
        actor=None,
        fields={
            "reference": "RC-ONLY-B",
            "name": "r",
            "organisation": "eng",
            "checked_on": DAY,
            "result": "clear",
            "geometry": line(46.3, 39.4),
        },
        visibility=["side_b"],
    )
    side_a, side_b = Api(side_a_user), Api(side_b_user)
    for path in ("/mineaction/hazards/", "/mineaction/activities/", "/mineaction/road-checks/"):
        assert side_a.get(path).json()["items"] == [], path
        assert side_b.get(path).json()["items"] != [], path
    for path in ("/mineaction/hazards.geojson", "/mineaction/road-checks.geojson"):
        assert side_a.get(path).json()["features"] == [], path
    totals = side_a.get("/mineaction/totals").json()
    assert (totals["cleared_m2"], totals["road_km"], totals["hazards"]["open"]["count"]) == (
        0,
        0,
        0,
    )
    assert side_a.get(f"/mineaction/hazards/{area.public_id}").status_code == 404
    assert side_a.get(f"/mineaction/activities/{activity.public_id}").status_code == 404


def test_lists_take_the_same_number_of_queries_for_more_rows(
    ma: MineAction, admin_user: User
) -> None:
    api = Api(admin_user)
    paths = (
        "/mineaction/hazards/",
        "/mineaction/hazards.geojson",
        "/mineaction/activities/",
        "/mineaction/road-checks/",
        "/mineaction/building-checks/",
    )

    def counts() -> list[int]:
        found = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert api.get(path).status_code == 200
            found.append(len(queries))
        return found

    counts()  # the first requests also touch the token and the session: warm up
    before = counts()
    for i in range(4):
        area = hazard(f"HA-N{i}", 46.6 + i / 100, ["public"])
        activity = task(f"T-N{i}", area, ["public"])
        result = task_services.land_release_record(
            actor=None, activity=activity, fields={"reported_on": DAY, "cleared_m2": 100}
        )
        services.hazard_area_change_status(
            actor=None,
            hazard=area,
            expected_version=1,
            status="closed",
            since=DAY,
            released_by=result,
        )
        task_services.road_check_record(
            actor=None,
            fields={
                "reference": f"RC-N{i}",
                "name": "r",
                "organisation": "eng",
                "activity": activity,
                "checked_on": DAY,
                "result": "clear",
                "geometry": line(46.6, 39.4 + i / 100),
            },
        )
    assert counts() == before


def test_check_lists_filter_by_period_and_place(
    ma: MineAction, places: Places, admin_user: User
) -> None:
    api = Api(admin_user)
    assert api.get("/mineaction/road-checks/", **{"from": "2020-11-21"}).json()["items"] == []
    assert len(api.get("/mineaction/road-checks/", to="2020-11-20").json()["items"]) == 2
    boxed = api.get("/mineaction/road-checks/", bbox="46.25,39.4,46.5,39.5").json()["items"]
    assert [r["reference"] for r in boxed] == ["RC-B"]
    placed = api.get(
        "/mineaction/building-checks/", settlement=places.public_settlement.pcode
    ).json()["items"]
    assert sorted(b["buildings"] for b in placed) == [5, 40]
