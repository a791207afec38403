"""The shelter API: shelters, occupancy, estimates, the gap, runs and placements.

Every list and detail is tried by a user of another party, who must see nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.api_client import Api, error_of
from tests.shelter.conftest import DAY, World
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.shelter import services
from truce.shelter.allocation import allocation_run
from truce.shelter.models import AllocationRun, Placement, Shelter


def new_shelter(**extra: Any) -> dict[str, Any]:
    return {
        "code": "gym",
        "name": "Gym",
        "settlement": "T-PUB",
        "kind": "collective_centre",
        "capacity": 50,
        **extra,
    }


def test_a_writer_creates_and_updates_a_shelter_with_its_version(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    created = api.post("/shelter/shelters", new_shelter(), **{"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["capacity"] == 50 and body["location_approximate"] is True
    again = api.post("/shelter/shelters", new_shelter(), **{"Idempotency-Key": "k1"})
    assert again.status_code == 201 and Shelter.objects.filter(code="gym").count() == 1
    updated = api.patch(f"/shelter/shelters/{body['id']}", {"version": 1, "status": "full"})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = api.patch(f"/shelter/shelters/{body['id']}", {"version": 1, "status": "open"})
    assert stale.status_code == 409
    history = api.get(f"/shelter/shelters/{body['id']}/history").json()
    assert [h["data"]["status"] for h in history] == ["open", "full"]


def test_a_negative_capacity_is_422_naming_capacity_and_writes_nothing(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    before = LedgerEntry.objects.count()
    response = api.post("/shelter/shelters", new_shelter(capacity=-1))
    assert response.status_code == 422
    assert error_of(response)["field"] == "capacity"
    assert LedgerEntry.objects.count() == before


def test_occupancy_above_capacity_without_reason_is_422_naming_the_field(
    world: World, mission_user: User
) -> None:
    api = Api(mission_user)
    path = f"/shelter/shelters/{world.near.public_id}/occupancy"
    bad = api.post(path, {"counted_on": DAY.isoformat(), "people": 8})
    assert bad.status_code == 422
    assert error_of(bad)["field"] == "overcrowding_reason"
    ok = api.post(
        path, {"counted_on": DAY.isoformat(), "people": 8, "overcrowding_reason": "night"}
    )
    assert ok.status_code == 201
    listed = api.get(path).json()
    assert [c["people"] for c in listed] == [8]
    detail = api.get(f"/shelter/shelters/{world.near.public_id}", as_of=DAY.isoformat()).json()
    assert (detail["occupied"], detail["free"]) == (8, 0)


def test_a_party_may_not_write_shelters(world: World, side_b_user: User) -> None:
    api = Api(side_b_user)
    assert api.post("/shelter/shelters", new_shelter(settlement="T-B")).status_code == 403
    path = f"/shelter/shelters/{world.b_hall.public_id}/occupancy"
    assert api.post(path, {"counted_on": DAY.isoformat(), "people": 1}).status_code == 403


@pytest.fixture
def estimate(world: World) -> None:
    services.estimate_create(
        actor=None,
        fields={
            "code": "mission-estimate",
            "area_label": "Area",
            "stated_on": DAY,
            "people": 1000,
            "source": "Mission",
        },
    )


def test_another_party_sees_no_shelter_count_estimate_run_or_placement(
    world: World, estimate: None, mission_user: User, side_a_user: User
) -> None:
    allocation_run(actor=mission_user, as_of=DAY)
    run = AllocationRun.objects.get()
    placement = Placement.objects.first()
    assert placement is not None
    api = Api(side_a_user)
    assert api.get("/shelter/shelters").json()["items"] == []
    assert api.get("/shelter/shelters.geojson").json()["features"] == []
    assert api.get(f"/shelter/shelters/{world.near.public_id}").status_code == 404
    assert api.get(f"/shelter/shelters/{world.near.public_id}/history").status_code == 404
    assert api.get(f"/shelter/shelters/{world.near.public_id}/occupancy").status_code == 404
    assert api.get("/shelter/estimates").json()["items"] == []
    assert api.get("/shelter/runs").json()["items"] == []
    assert api.get(f"/shelter/runs/{run.public_id}").status_code == 404
    assert api.get(f"/shelter/runs/{run.public_id}/placements").status_code == 404
    assert api.get(f"/shelter/placements/{placement.public_id}").status_code == 404
    gap = api.get("/shelter/gap", as_of=DAY.isoformat()).json()
    assert gap["total"]["places"] == 0 and gap["total"]["expected"] == 0


def test_side_b_reads_only_the_placement_shared_with_it_without_personal_data(
    world: World, mission_user: User, side_b_user: User
) -> None:
    allocation_run(actor=mission_user, as_of=DAY)
    shared = Placement.objects.get(household__code="hh-shared")
    other = Placement.objects.get(household__code="hh-a")
    api = Api(side_b_user)
    response = api.get(f"/shelter/placements/{shared.public_id}")
    if shared.shelter is None or shared.shelter.code == "b-hall":
        body = response.json()
        assert body["household"]["code"] == "hh-shared"
        assert body["household"]["head_name"] == "" and body["household"]["phone"] == ""
        assert "head_name" in body["household"]["redacted_fields"]
    else:
        # Placed in a shelter side B may not see: the placement stays hidden too.
        assert response.status_code == 404
    assert api.get(f"/shelter/placements/{other.public_id}").status_code == 404


def test_placements_of_a_run_show_personal_data_only_to_roles_with_the_right(
    world: World, mission_user: User, agency_user: User, parties: dict
) -> None:  # type: ignore[type-arg]
    from tests.conftest import _user

    services.shelter_update(
        actor=None, shelter=world.b_hall, expected_version=1, changes={"status": "closed"}
    )
    allocation_run(actor=mission_user, as_of=DAY)
    run = AllocationRun.objects.get()
    agency = Api(agency_user).get(f"/shelter/runs/{run.public_id}/placements").json()["items"]
    assert {p["household"]["head_name"] for p in agency} >= {"Head of hh-a"}
    analyst = _user(parties, "analyst", "mission", "analyst")
    rows = Api(analyst).get(f"/shelter/runs/{run.public_id}/placements").json()["items"]
    assert len(rows) == 4
    assert {p["household"]["head_name"] for p in rows} == {""}
    assert all(p["reason"] for p in rows)


def test_a_run_through_the_api_and_a_dry_run(world: World, mission_user: User) -> None:
    api = Api(mission_user)
    dry = api.post("/shelter/runs", {"as_of": DAY.isoformat(), "dry_run": True})
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert not AllocationRun.objects.exists()
    made = api.post("/shelter/runs", {"as_of": DAY.isoformat()})
    assert made.status_code == 201
    assert made.json()["placed_people"] + made.json()["unplaced_people"] == 14
    again = api.post("/shelter/runs", {"as_of": DAY.isoformat()})
    assert again.json()["supersedes"] == made.json()["id"]
    listed = api.get("/shelter/runs").json()["items"]
    assert {r["status"] for r in listed} == {"current", "superseded"}


def test_only_the_right_role_runs_the_allocation_through_the_api(
    world: World, agency_user: User, side_a_user: User
) -> None:
    for user in (agency_user, side_a_user):
        response = Api(user).post("/shelter/runs", {"as_of": DAY.isoformat()})
        assert response.status_code == 403
    assert not AllocationRun.objects.exists()


def test_the_gap_endpoint_gives_expected_free_and_gap(
    world: World, estimate: None, mission_user: User
) -> None:
    body = Api(mission_user).get("/shelter/gap", as_of=DAY.isoformat()).json()
    total = body["total"]
    assert total["expected"] == 1000 and total["basis"] == "stated"
    assert total["places"] == 20 and total["free"] == 20
    assert total["gap"] == 980


def test_estimates_are_created_and_bad_periods_refused(world: World, analyst_api: Api) -> None:
    good = analyst_api.post(
        "/shelter/estimates",
        {"code": "e1", "area": None, "area_label": "North", "stated_on": "2020-11-21", "people": 5},
    )
    assert good.status_code == 201, good.content
    bad = analyst_api.post(
        "/shelter/estimates",
        {
            "code": "e2",
            "area_label": "North",
            "stated_on": "2020-11-21",
            "people": 5,
            "period_start": "2020-11-25",
            "period_end": "2020-11-22",
        },
    )
    assert bad.status_code == 422 and error_of(bad)["field"] == "period_end"
    patched = analyst_api.patch(
        f"/shelter/estimates/{good.json()['id']}", {"version": 1, "people": 7}
    )
    assert patched.json()["people"] == 7


@pytest.fixture
def analyst_api(parties: dict) -> Api:  # type: ignore[type-arg]
    from tests.conftest import _user

    return Api(_user(parties, "analyst", "mission", "analyst"))


def test_the_shelter_layer_carries_capacity_and_free_places(
    world: World, mission_user: User, side_b_user: User
) -> None:
    features = Api(mission_user).get("/shelter/shelters.geojson", as_of=DAY.isoformat()).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in features["features"]}
    assert by_code["near"]["capacity"] == 6 and by_code["near"]["free"] == 6
    side_b = Api(side_b_user).get("/shelter/shelters.geojson").json()
    assert [f["properties"]["code"] for f in side_b["features"]] == ["b-hall"]
