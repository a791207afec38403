"""A party sees nothing of the other party's or the mission's records, by any endpoint.

Each reader is checked against an explicit list of what it may see, written
out here rather than derived from the selectors under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import SQUARE, Places
from tests.core.api_client import Api, error_of, point
from truce.core import services
from truce.core.models import AdminArea, Facility, Organisation, Record, Settlement, User


@dataclass
class World:
    places: Places
    mission_area: AdminArea
    side_a_in_mission_area: Settlement
    side_a_op_in_mission_zone: Facility
    side_b_org: Organisation
    agency_shelter: Facility


@pytest.fixture
def world(places: Places) -> World:
    area = services.admin_area_create(
        actor=None,
        fields={"pcode": "M-AREA", "display_name": "Mission area", "level": 1, "geometry": SQUARE},
        visibility=["mission"],
    )
    settlement = services.settlement_create(
        actor=None,
        fields={
            "pcode": "T-A2",
            "display_name": "Alphahamlet",
            "admin_area": "M-AREA",
            "geometry": point(46.25, 39.45),
        },
        visibility=["side_a"],
    )
    services.settlement_update(
        actor=None, settlement=settlement, expected_version=1, changes={"kind": "village"}
    )
    op = services.facility_create(
        actor=None,
        fields={
            "code": "op-a",
            "name": "OP shared with A",
            "kind": "observation_post",
            "op_role": "contact_line",
            "battalion": "1st battalion",
            "zone": "north",
            "geometry": point(46.65, 39.65),
        },
        visibility=["side_a"],
    )
    org = services.organisation_create(
        actor=None,
        fields={"code": "b-ministry", "name": "Side B ministry", "party": "side-b"},
        visibility=["side_b"],
    )
    shelter = services.facility_create(
        actor=None,
        fields={
            "code": "sh-1",
            "name": "Shelter",
            "kind": "shelter",
            "geometry": point(46.3, 39.3),
        },
        visibility=["agencies"],
    )
    return World(places, area, settlement, op, org, shelter)


def _everything(w: World) -> dict[str, list[Record]]:
    p = w.places
    return {
        "settlements": [
            p.public_settlement,
            p.side_a_settlement,
            p.side_b_settlement,
            p.mission_settlement,
            w.side_a_in_mission_area,
        ],
        "zones": [p.mission_zone],
        "facilities": [
            p.side_b_facility,
            p.mission_op,
            w.side_a_op_in_mission_zone,
            w.agency_shelter,
        ],
        "admin-areas": [w.mission_area],
        "organisations": [w.side_b_org],
    }


def _visible_to(reader: str, w: World) -> dict[str, set[str]]:
    p = w.places
    allowed: dict[str, list[Record]] = {
        "side_a_user": [
            p.public_settlement,
            p.side_a_settlement,
            w.side_a_in_mission_area,
            w.side_a_op_in_mission_zone,
        ],
        "side_b_user": [p.public_settlement, p.side_b_settlement, p.side_b_facility, w.side_b_org],
        "agency_user": [p.public_settlement, w.agency_shelter],
    }[reader]
    return {
        registry: {str(r.public_id) for r in rows if r in allowed}
        for registry, rows in _everything(w).items()
    }


def _hidden_from(reader: str, w: World) -> list[tuple[str, Record]]:
    visible = _visible_to(reader, w)
    return [
        (registry, record)
        for registry, rows in _everything(w).items()
        for record in rows
        if str(record.public_id) not in visible[registry]
    ]


READERS = ["side_a_user", "side_b_user", "agency_user"]


def _walk(api: Api, path: str, **params: Any) -> tuple[list[str], int]:
    """Every id of a list, one row per page, and how many pages it took."""
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        response = api.get(path, limit=1, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.content
        page = response.json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


@pytest.mark.parametrize("reader", READERS)
def test_lists_hold_exactly_what_the_party_may_see_and_pages_count_nothing_more(
    request, world, reader
):
    api = Api(request.getfixturevalue(reader))
    for registry, expected in _visible_to(reader, world).items():
        seen, pages = _walk(api, f"/{registry}/")
        assert sorted(seen) == sorted(expected), registry
        assert pages == max(1, len(expected)), registry


@pytest.mark.parametrize("reader", READERS)
def test_hidden_records_are_404_on_detail_history_update_and_delete(request, world, reader):
    api = Api(request.getfixturevalue(reader))
    hidden = _hidden_from(reader, world)
    assert hidden
    for registry, record in hidden:
        path = f"/{registry}/{record.public_id}"
        responses = [
            api.get(path),
            api.get(path + "/history"),
            api.patch(path, {"version": record.version, "source": "probe"}),
            api.delete(path, version=record.version),
        ]
        for response in responses:
            assert response.status_code == 404, (registry, record, response.content)
            assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("reader", READERS)
def test_layers_never_show_a_hidden_record(request, world, reader):
    api = Api(request.getfixturevalue(reader))
    hidden = {str(record.public_id) for _, record in _hidden_from(reader, world)}
    visible = set().union(*_visible_to(reader, world).values())
    shown: set[str] = set()
    for layer in ("settlements", "admin-areas", "zones", "observation-posts", "facilities"):
        collection = api.get(f"/layers/{layer}").json()
        shown |= {feature["id"] for feature in collection["features"]}
    assert not shown & hidden
    assert shown == visible - {str(world.side_b_org.public_id)}


@pytest.mark.parametrize("reader", READERS)
def test_filters_and_bbox_never_reach_a_hidden_record(request, world, reader):
    api = Api(request.getfixturevalue(reader))
    visible = _visible_to(reader, world)
    everywhere = "-180,-90,180,90"
    for registry in ("settlements", "zones", "facilities", "admin-areas"):
        seen, _ = _walk(api, f"/{registry}/", bbox=everywhere)
        assert set(seen) == visible[registry], registry
    for name in ("Betaville", "Missionville", "Alphaville", "T-B", "T-M", "T-A"):
        found = {s["id"] for s in api.get("/settlements/", q=name).json()["items"]}
        assert found <= visible["settlements"], name
    # Filtering by a hidden zone or area must not say which visible rows lie in it.
    assert api.get("/facilities/", zone="north").json()["items"] == []
    assert api.get("/settlements/", admin_area="M-AREA").json()["items"] == []
    assert api.get("/admin-areas/", parent="M-AREA").json()["items"] == []
    assert api.get("/zones/", q="north").json()["items"] == []


def test_a_reference_to_a_hidden_record_is_null_everywhere(side_a_user, world):
    api = Api(side_a_user)
    op, settlement = world.side_a_op_in_mission_zone, world.side_a_in_mission_area

    assert api.get(f"/facilities/{op.public_id}").json()["zone"] is None
    listed = {f["id"]: f for f in api.get("/facilities/").json()["items"]}
    assert listed[str(op.public_id)]["zone"] is None
    layer = api.get("/layers/observation-posts").json()["features"]
    assert [f["properties"]["zone"] for f in layer] == [None]

    assert api.get(f"/settlements/{settlement.public_id}").json()["admin_area"] is None
    history = api.get(f"/settlements/{settlement.public_id}/history").json()
    assert [h["version"] for h in history] == [1, 2]
    assert all(h["data"]["admin_area"] is None for h in history)
    assert "M-AREA" not in str(history) and str(world.mission_area.public_id) not in str(history)


def test_the_mission_sees_the_references_others_do_not(mission_user, world):
    api = Api(mission_user)
    assert api.get(f"/facilities/{world.side_a_op_in_mission_zone.public_id}").json()["zone"] == (
        "north"
    )
    settlement = world.side_a_in_mission_area
    history = api.get(f"/settlements/{settlement.public_id}/history").json()
    assert {h["data"]["admin_area"] for h in history} == {str(world.mission_area.public_id)}


def test_history_leaves_out_versions_that_were_not_shared_with_the_reader(
    admin_user, side_a_user, places
):
    admin = Api(admin_user)
    path = f"/settlements/{places.mission_settlement.public_id}"
    admin.patch(path, {"version": 1, "display_name": "Secret name"})
    admin.patch(path, {"version": 2, "display_name": "Shared name", "visibility": ["side_a"]})
    history = Api(side_a_user).get(path + "/history").json()
    assert [h["version"] for h in history] == [3]
    assert history[0]["data"]["display_name"] == "Shared name"
    assert "Secret name" not in str(history)


@pytest.mark.parametrize("reader", [*READERS, "admin_user"])
def test_the_ledger_endpoints_are_404_outside_the_mission(request, world, reader):
    user: User = request.getfixturevalue(reader)
    api = Api(user)
    for path in ("/ledger/head", "/ledger/verify"):
        response = api.get(path)
        if user.is_mission:
            assert response.status_code == 200
        else:
            assert response.status_code == 404
            assert "seq" not in response.content.decode()


def test_a_party_learns_only_its_own_share_of_a_records_visibility(
    places, side_a_user, side_b_user, mission_user
):
    """Shared with both sides: side A must not learn that side B sees it too."""
    zone = services.zone_create(
        actor=None,
        fields={
            "code": "south",
            "name": "Southern zone",
            "kind": "responsibility",
            "geometry": SQUARE,
        },
        visibility=["both_sides", "agencies"],
    )
    path = f"/zones/{zone.public_id}"
    assert Api(side_a_user).get(path).json()["visibility"] == ["side_a"]
    assert Api(side_b_user).get(path).json()["visibility"] == ["side_b"]
    assert Api(mission_user).get(path).json()["visibility"] == [
        "mission",
        "side_a",
        "side_b",
        "agencies",
    ]
    history = Api(side_a_user).get(f"{path}/history").json()
    assert [v["data"]["visibility"] for v in history] == [["side_a"]]
