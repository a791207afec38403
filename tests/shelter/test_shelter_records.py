"""Shelters, occupancy and free places: the write rules and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.shelter.conftest import DAY, World, make_shelter
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.selectors import record_history
from truce.shelter import selectors, services
from truce.shelter.models import OccupancyReport, Shelter


def test_a_negative_capacity_is_refused_naming_capacity_and_nothing_is_written(
    world: World,
) -> None:
    before = (LedgerEntry.objects.count(), Shelter.objects.count())
    with pytest.raises(InvalidInput) as error:
        make_shelter("bad", "T-PUB", -5, 46.1)
    assert error.value.field == "capacity"
    assert "negative" in error.value.message
    assert (LedgerEntry.objects.count(), Shelter.objects.count()) == before


def test_changing_capacity_to_negative_is_refused_and_the_shelter_is_unchanged(
    world: World, admin_user: User
) -> None:
    with pytest.raises(InvalidInput) as error:
        services.shelter_update(
            actor=admin_user, shelter=world.near, expected_version=1, changes={"capacity": -1}
        )
    assert error.value.field == "capacity"
    world.near.refresh_from_db()
    assert (world.near.capacity, world.near.version) == (6, 1)


def test_an_unknown_kind_or_status_is_refused_naming_the_field(world: World) -> None:
    with pytest.raises(InvalidInput) as error:
        make_shelter("odd", "T-PUB", 5, 46.1, kind="castle")
    assert error.value.field == "kind"
    with pytest.raises(InvalidInput) as error:
        make_shelter("odd", "T-PUB", 5, 46.1, status="ajar")
    assert error.value.field == "status"


def test_each_status_change_is_a_new_version_in_the_shelters_timeline(
    world: World, admin_user: User
) -> None:
    full = services.shelter_update(
        actor=admin_user, shelter=world.near, expected_version=1, changes={"status": "full"}
    )
    closed = services.shelter_update(
        actor=admin_user, shelter=full, expected_version=2, changes={"status": "closed"}
    )
    assert closed.version == 3
    statuses = [item.data["status"] for item in record_history(closed, admin_user)]
    assert statuses == ["open", "full", "closed"]
    assert closed.status_since is not None


def test_a_stale_version_is_a_conflict(world: World, admin_user: User) -> None:
    services.shelter_update(
        actor=admin_user, shelter=world.near, expected_version=1, changes={"capacity": 8}
    )
    with pytest.raises(Conflict):
        services.shelter_update(
            actor=admin_user, shelter=world.near, expected_version=1, changes={"capacity": 9}
        )


def test_a_party_may_not_register_a_shelter(world: World, side_a_user: User) -> None:
    with pytest.raises(PermissionDenied):
        services.shelter_create(
            actor=side_a_user,
            fields={"code": "x", "name": "X", "settlement": "T-A", "kind": "school", "capacity": 1},
        )


def test_a_shelter_without_a_point_stands_at_its_settlement_approximately(
    world: World, agency_user: User
) -> None:
    shelter = services.shelter_create(
        actor=agency_user,
        fields={"code": "x", "name": "X", "settlement": "T-PUB", "kind": "tents", "capacity": 40},
    )
    assert shelter.location_approximate
    assert shelter.geometry == world.places.public_settlement.geometry


def test_occupancy_above_capacity_without_a_reason_is_refused_and_nothing_written(
    world: World, mission_user: User
) -> None:
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.occupancy_record(actor=mission_user, shelter=world.near, counted_on=DAY, people=7)
    assert error.value.field == "overcrowding_reason"
    assert "capacity of 6" in error.value.message
    assert LedgerEntry.objects.count() == before
    assert not OccupancyReport.objects.exists()


def test_occupancy_above_capacity_with_a_reason_is_recorded(
    world: World, mission_user: User
) -> None:
    report = services.occupancy_record(
        actor=mission_user,
        shelter=world.near,
        counted_on=DAY,
        people=7,
        overcrowding_reason="a family arrived at night; mattresses in the corridor",
    )
    assert report.people == 7
    rows = {r.shelter.code: r for r in selectors.shelter_places(mission_user, DAY)}
    assert rows["near"].overcrowded and rows["near"].free == 0


def test_a_negative_count_is_refused_naming_people(world: World, mission_user: User) -> None:
    with pytest.raises(InvalidInput) as error:
        services.occupancy_record(actor=mission_user, shelter=world.near, counted_on=DAY, people=-1)
    assert error.value.field == "people"


def test_a_second_count_of_the_same_day_is_a_new_version_not_an_overwrite(
    world: World, mission_user: User
) -> None:
    first = services.occupancy_record(
        actor=mission_user, shelter=world.near, counted_on=DAY, people=2
    )
    second = services.occupancy_record(
        actor=mission_user, shelter=world.near, counted_on=DAY, people=3
    )
    assert second.pk == first.pk and second.version == 2
    assert [i.data["people"] for i in record_history(second, mission_user)] == [2, 3]


def test_free_places_are_capacity_less_the_latest_count(world: World, mission_user: User) -> None:
    services.occupancy_record(
        actor=mission_user, shelter=world.far, counted_on=DAY - dt.timedelta(days=5), people=9
    )
    services.occupancy_record(actor=mission_user, shelter=world.far, counted_on=DAY, people=4)
    rows = {r.shelter.code: r for r in selectors.shelter_places(mission_user, DAY)}
    assert (rows["far"].occupied, rows["far"].free) == (4, 6)
    earlier = {
        r.shelter.code: r
        for r in selectors.shelter_places(mission_user, DAY - dt.timedelta(days=1))
    }
    assert earlier["far"].free == 1


def test_a_closed_shelter_has_no_free_places(world: World, admin_user: User) -> None:
    services.shelter_update(
        actor=admin_user, shelter=world.near, expected_version=1, changes={"status": "closed"}
    )
    rows = {r.shelter.code: r for r in selectors.shelter_places(admin_user, DAY)}
    assert (rows["near"].free, rows["near"].places) == (0, 0)


def test_another_party_sees_no_shelter_and_no_count_of_the_mission(
    world: World, mission_user: User, side_a_user: User, side_b_user: User
) -> None:
    services.occupancy_record(actor=mission_user, shelter=world.near, counted_on=DAY, people=2)
    assert list(selectors.shelters_visible_to(side_a_user)) == []
    assert list(selectors.occupancy_visible_to(side_a_user)) == []
    assert [s.code for s in selectors.shelters_visible_to(side_b_user)] == ["b-hall"]
    assert list(selectors.occupancy_visible_to(side_b_user)) == []
