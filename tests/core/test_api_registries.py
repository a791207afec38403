"""Registry CRUD over HTTP: create, read, PATCH with a version, tombstone, history."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.core.api_client import Api, error_of, ids, point, write_counts
from truce.core import services
from truce.core.models import Facility, Settlement
from truce.ledger.models import LedgerEntry

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.0], [46.5, 39.0], [46.5, 39.5], [46.0, 39.5], [46.0, 39.0]]],
}


def _iso_utc(text: str) -> dt.datetime:
    assert text.endswith("Z"), text
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() == dt.timedelta(0)
    return value


def test_a_settlement_is_created_with_references_by_pcode(admin_user):
    api = Api(admin_user)
    area = api.post(
        "/admin-areas/",
        {"pcode": "AZ-KH", "display_name": "Khankendi district", "level": 2, "geometry": SQUARE},
    )
    assert area.status_code == 201, area.content
    response = api.post(
        "/settlements/",
        {
            "pcode": "AZ-KH-001",
            "display_name": "Khankendi",
            "name_hy": "Ստեփանակերտ",
            "name_ru": "Степанакерт",
            "name_source": "GeoNames",
            "admin_area": "AZ-KH",
            "kind": "city",
            "baseline_population": 55000,
            "population_date": "2020-01-01",
            "geometry": point(46.75, 39.82),
            "location_approximate": True,
            "visibility": ["both_sides"],
            "source": "mission briefing 12",
            "confidence": "medium",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    row = Settlement.objects.get(pcode="AZ-KH-001")
    assert body["id"] == str(row.public_id)
    assert body["version"] == 1
    assert body["visibility"] == ["mission", "side_a", "side_b"]
    assert body["admin_area"] == "AZ-KH"
    assert row.admin_area is not None and row.admin_area.pcode == "AZ-KH"
    assert body["other_names"] == ["Степанакерт", "Ստեփանակերտ"]
    assert body["bbox"] == [46.75, 39.82, 46.75, 39.82]
    assert body["geometry"] == point(46.75, 39.82)
    assert body["population_date"] == "2020-01-01"
    assert (body["source"], body["confidence"]) == ("mission briefing 12", "medium")
    assert body["location_approximate"] is True
    _iso_utc(body["created_at"])
    _iso_utc(body["updated_at"])
    assert api.get(f"/settlements/{body['id']}").json() == body


def test_a_facility_refers_to_zone_settlement_and_operator_by_code(admin_user, places):
    api = Api(admin_user)
    org = api.post(
        "/organisations/", {"code": "bat-1", "name": "1st battalion", "party": "mission"}
    )
    assert org.status_code == 201, org.content
    assert org.json()["party"] == "mission"
    response = api.post(
        "/facilities/",
        {
            "code": "op-n2",
            "name": "OP North 2",
            "kind": "observation_post",
            "op_role": "corridor_traffic",
            "battalion": "1st battalion",
            "zone": "north",
            "settlement": "T-M",
            "operator": "bat-1",
            "geometry": point(46.7, 39.7),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["zone"], body["settlement"], body["operator"]) == ("north", "T-M", "bat-1")
    facility = Facility.objects.get(code="op-n2")
    assert facility.zone == places.mission_zone
    assert body["visibility"] == ["mission"]


def test_an_update_needs_the_current_version_and_bumps_it(admin_user, places):
    api = Api(admin_user)
    path = f"/settlements/{places.public_settlement.public_id}"
    response = api.patch(path, {"version": 1, "kind": "city", "visibility": ["public"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["kind"]) == (2, "city")
    assert body["display_name"] == "Publictown"  # untouched fields stay


def test_a_stale_version_is_refused_with_409_and_nothing_is_overwritten(admin_user, places):
    api = Api(admin_user)
    path = f"/settlements/{places.public_settlement.public_id}"
    assert api.patch(path, {"version": 1, "display_name": "First"}).status_code == 200
    before = write_counts()
    response = api.patch(path, {"version": 1, "display_name": "Second"})
    assert response.status_code == 409
    assert error_of(response)["field"] == "version"
    assert write_counts() == before
    current = api.get(path).json()
    assert (current["version"], current["display_name"]) == (2, "First")


def test_a_delete_is_a_tombstone_that_takes_the_version(admin_user, places):
    api = Api(admin_user)
    facility = places.side_b_facility
    path = f"/facilities/{facility.public_id}"

    before = write_counts()
    stale = api.delete(path, version=7)
    assert stale.status_code == 409
    assert write_counts() == before

    response = api.delete(path, version=1, reason="closed")
    assert response.status_code == 204
    assert api.get(path).status_code == 404
    assert str(facility.public_id) not in ids(api.get("/facilities/").json())
    row = Facility.objects.get(pk=facility.pk)
    assert (row.is_deleted, row.version) == (True, 2)
    last = LedgerEntry.objects.order_by("-seq").first()
    assert last is not None and (last.action, last.record_id) == ("delete", str(facility.public_id))


def test_history_lists_every_version_from_the_ledger(admin_user, places):
    api = Api(admin_user)
    path = f"/zones/{places.mission_zone.public_id}"
    api.patch(path, {"version": 1, "battalion": "2nd battalion"})
    history = api.get(path + "/history").json()
    assert [h["version"] for h in history] == [1, 2]
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["actor"] == "admin"
    assert "battalion" in history[1]["changed"]
    assert history[1]["data"]["battalion"] == "2nd battalion"
    _iso_utc(history[0]["recorded_at"])


def test_registry_writes_are_for_mission_administrators(mission_user, side_a_user, places):
    settlement = places.public_settlement
    for user in (mission_user, side_a_user):
        api = Api(user)
        before = write_counts()
        patch = api.patch(f"/settlements/{settlement.public_id}", {"version": 1, "kind": "x"})
        delete = api.delete(f"/settlements/{settlement.public_id}", version=1)
        create = api.post("/zones/", {"code": "z9", "name": "Z", "kind": "corridor"})
        assert [patch.status_code, delete.status_code, create.status_code] == [403, 403, 403]
        assert write_counts() == before


def test_parties_are_listed_and_read(side_a_user):
    api = Api(side_a_user)
    page = api.get("/parties/").json()
    codes = [p["code"] for p in page["items"]]
    assert codes == ["mission", "side-a", "side-b", "agencies", "public"]
    one = api.get(f"/parties/{page['items'][1]['id']}").json()
    assert (one["code"], one["scope"]) == ("side-a", "side_a")


def test_parties_cannot_be_written_through_the_api(admin_user, parties):
    party = parties["side_a"]
    response = Api(admin_user).delete(f"/parties/{party.public_id}", version=1)
    assert response.status_code == 405


def test_lists_filter_as_their_selectors_do(admin_user, places):
    api = Api(admin_user)
    services.zone_create(
        actor=None,
        fields={"code": "corr", "name": "Corridor", "kind": "corridor", "geometry": SQUARE},
    )
    assert [z["code"] for z in api.get("/zones/", kind="corridor").json()["items"]] == ["corr"]
    assert [s["pcode"] for s in api.get("/settlements/", q="Beta").json()["items"]] == ["T-B"]
    ops = api.get("/facilities/", kind="observation_post", zone="north").json()["items"]
    assert [f["code"] for f in ops] == ["op-n1"]
    assert api.get("/facilities/", op_role="corridor_traffic").json()["items"] == []
    assert [f["code"] for f in api.get("/facilities/", battalion="1st").json()["items"]] == [
        "op-n1"
    ]
    # Settlements sit at lon 46.1 .. 46.4, lat 39.5: a box around two of them.
    boxed = api.get("/settlements/", bbox="46.15,39.4,46.35,39.6").json()["items"]
    assert sorted(s["pcode"] for s in boxed) == ["T-A", "T-B"]


def test_admin_areas_filter_by_level_and_parent(admin_user):
    api = Api(admin_user)
    api.post("/admin-areas/", {"pcode": "R1", "display_name": "Region", "level": 1})
    api.post(
        "/admin-areas/", {"pcode": "D1", "display_name": "District", "level": 2, "parent": "R1"}
    )
    api.post("/admin-areas/", {"pcode": "D2", "display_name": "Other", "level": 2})
    assert [a["pcode"] for a in api.get("/admin-areas/", level=2).json()["items"]] == ["D1", "D2"]
    children = api.get("/admin-areas/", parent="R1").json()["items"]
    assert [(a["pcode"], a["parent"]) for a in children] == [("D1", "R1")]


def _count_queries(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries)


def test_lists_and_layers_cost_the_same_queries_for_5_rows_as_for_25(admin_user, places):
    api = Api(admin_user)
    services.organisation_create(
        actor=None, fields={"code": "org", "name": "Org", "party": "mission"}
    )
    paths = ("/facilities/", "/settlements/", "/organisations/", "/layers/observation-posts")
    api.get("/me")  # the token's last_used_at is written once, not counted below

    def add_rows(start: int, count: int) -> None:
        for i in range(start, start + count):
            services.facility_create(
                actor=None,
                fields={
                    "code": f"op-{i}",
                    "name": f"OP {i}",
                    "kind": "observation_post",
                    "op_role": "contact_line",
                    "battalion": "1st",
                    "zone": "north",
                    "settlement": "T-A",
                    "operator": "org",
                    "geometry": point(46.6, 39.6),
                },
            )

    add_rows(0, 5)
    few = [_count_queries(api, path) for path in paths]
    add_rows(5, 20)
    many = [_count_queries(api, path) for path in paths]
    assert many == few
