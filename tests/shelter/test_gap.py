"""Expected arrivals against free places: stated estimates, projections, by area and date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.shelter.conftest import DAY, World, make_shelter, point, register
from truce.core import services as core_services
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.shelter import services
from truce.shelter.gap import gap_as_of, gap_by_date


@pytest.fixture
def north(world: World) -> str:
    core_services.admin_area_create(
        actor=None, fields={"pcode": "T-N", "display_name": "North", "level": 1}
    )
    core_services.settlement_create(
        actor=None,
        fields={
            "pcode": "T-N-1",
            "display_name": "Northtown",
            "admin_area": "T-N",
            "geometry": point(46.2, 39.9),
        },
        visibility=["mission"],
    )
    make_shelter("north-hall", "T-N-1", 30, 46.2)
    return "T-N"


def estimate(code: str, people: int, **extra: Any) -> None:
    visibility = extra.pop("visibility", ["mission"])
    services.estimate_create(
        actor=None,
        fields={"code": code, "stated_on": DAY, "people": people, "source": "test", **extra},
        visibility=visibility,
    )


def test_without_an_estimate_the_households_intentions_are_the_projection(
    world: World, north: str, mission_user: User
) -> None:
    register("hh-n1", 6, origin="T-N-1")
    register("hh-n2", 4, origin="T-N-1", expected_on=DAY + dt.timedelta(days=60))
    gap = gap_as_of(mission_user, DAY, horizon_days=30)
    [row] = [r for r in gap.areas if r.key == north]
    assert (row.households, row.expected, row.basis) == (6, 6, "projected")
    assert (row.places, row.free, row.gap) == (30, 30, -24)


def test_a_stated_estimate_for_an_area_replaces_its_projection(
    world: World, north: str, mission_user: User
) -> None:
    register("hh-n1", 6, origin="T-N-1")
    estimate("north-500", 500, area=north)
    [row] = [r for r in gap_as_of(mission_user, DAY).areas if r.key == north]
    assert (row.stated, row.expected, row.gap) == (500, 500, 470)
    assert row.stated_estimate is not None and row.stated_estimate.code == "north-500"


def test_a_whole_area_estimate_gives_the_total(
    world: World, north: str, mission_user: User
) -> None:
    estimate("all-30000", 30000, area_label="Area of operation", qualifier="up_to")
    total = gap_as_of(mission_user, DAY).total
    assert total.expected == 30000
    assert total.places == 6 + 10 + 4 + 30
    assert total.gap == 30000 - total.free


def test_the_latest_estimate_stated_by_the_day_counts(world: World, mission_user: User) -> None:
    estimate("old", 10000, area_label="Area")
    services.estimate_create(
        actor=None,
        fields={
            "code": "new",
            "stated_on": DAY + dt.timedelta(days=2),
            "people": 20000,
            "area_label": "Area",
            "source": "test",
        },
    )
    assert gap_as_of(mission_user, DAY).total.expected == 10000
    assert gap_as_of(mission_user, DAY + dt.timedelta(days=3)).total.expected == 20000


def test_the_gap_by_date_follows_counts_day_by_day(world: World, mission_user: User) -> None:
    estimate("all", 100, area_label="Area")
    services.occupancy_record(
        actor=None, shelter=world.far, counted_on=DAY + dt.timedelta(days=1), people=5
    )
    points = gap_by_date(mission_user, DAY, 3)
    assert [p.day for p in points] == [DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)]
    assert [p.free for p in points] == [20, 15, 15]
    assert [p.gap for p in points] == [80, 85, 85]


def test_a_party_counts_no_hidden_shelter_household_or_estimate(
    world: World, north: str, side_a_user: User
) -> None:
    register("hh-n1", 6, origin="T-N-1")
    estimate("secret", 999, area=north)
    gap = gap_as_of(side_a_user, DAY)
    assert gap.total.places == 0 and gap.total.households == 0 and gap.total.expected == 0


def test_the_figures_trace_to_their_records(world: World, mission_user: User) -> None:
    estimate("all-30000", 30000, area_label="Area of operation", qualifier="up_to")
    query = FigureQuery(user=mission_user, as_of=DAY)
    expected = figure_value("shelter_expected_arrivals", query)
    assert expected.value == 30000 and [r.code for r in expected.records] == ["all-30000"]
    places = figure_value("shelter_places", query)
    assert places.value == 20 and {r.code for r in places.records} == {"near", "far", "b-hall"}
    assert figure_value("shelter_gap", query).value == 30000 - 20


def test_recent_inbound_flows_carry_forward_into_the_projection(
    world: World, north: str, mission_user: User
) -> None:
    from truce.population.services import flow_count_record

    core_services.facility_create(
        actor=None,
        fields={
            "code": "cp-north",
            "name": "Checkpoint North",
            "kind": "checkpoint",
            "settlement": "T-N-1",
            "geometry": point(46.2, 39.9),
        },
        visibility=["mission"],
    )
    for offset in range(7):
        flow_count_record(
            actor=None,
            point="cp-north",
            day=DAY - dt.timedelta(days=offset),
            direction="inbound",
            escorted=False,
            people=10,
        )
    flow_count_record(
        actor=None, point="cp-north", day=DAY, direction="outbound", escorted=False, people=99
    )
    [row] = [r for r in gap_as_of(mission_user, DAY, horizon_days=30).areas if r.key == north]
    # 70 people in 7 days: 10 a day, carried forward a week; outbound ignored.
    assert (row.flows, row.expected) == (70, 70)
