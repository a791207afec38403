"""Totals for a period and an area equal the sums over the rows each party may see."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.conftest import Places
from tests.mineaction.conftest import DAY, MineAction, hazard, line, task
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.selectors import BBoxFilter
from truce.mineaction import rollups, selectors, services, task_services

pytestmark = pytest.mark.django_db

SCOPES = ("public", "side_a", "side_b", "agencies", "mission")


def test_each_party_counts_only_what_it_may_see(
    ma: MineAction, admin_user: User, side_a_user: User, side_b_user: User
) -> None:
    where = rollups.Where()
    mission = rollups.mine_action_totals(admin_user, where)
    side_b = rollups.mine_action_totals(side_b_user, where)
    side_a = rollups.mine_action_totals(side_a_user, where)
    assert mission.cleared_m2 == 70_000 and side_b.cleared_m2 == 70_000
    assert side_a.cleared_m2 == 50_000 and side_a.reduced_m2 == 1000
    assert side_a.items_destroyed == 30 and side_b.items_destroyed == 37
    assert side_a.buildings_checked == 40 and side_b.buildings_checked == 45
    assert side_a.road_km == pytest.approx(ma.public_road.length_m / 1000)
    assert side_b.road_km == pytest.approx(ma.public_road.length_m / 1000 + 12.5)
    assert side_a.hazards["open"].count == 1 and mission.hazards["open"].count == 3


def test_a_period_and_an_area_select_rows(ma: MineAction, places: Places, admin_user: User) -> None:
    later = dt.date(2020, 12, 1)
    task_services.land_release_record(
        actor=None, activity=ma.public_task, fields={"reported_on": later, "cleared_m2": 5000}
    )
    before = rollups.mine_action_totals(admin_user, rollups.Where(end=DAY))
    after = rollups.mine_action_totals(admin_user, rollups.Where(start=DAY + dt.timedelta(1)))
    assert (before.cleared_m2, after.cleared_m2) == (70_000, 5000)
    at_place = rollups.mine_action_totals(
        admin_user, rollups.Where(settlement=places.public_settlement.pcode)
    )
    assert at_place.cleared_m2 == 55_000  # the public hazard lies in the public settlement
    assert at_place.buildings_checked == 45
    box = BBoxFilter(46.25, 39.4, 46.35, 39.6)  # around side B's hazard and road
    boxed = rollups.mine_action_totals(admin_user, rollups.Where(bbox=box))
    assert boxed.cleared_m2 == 20_000 and boxed.road_km == 12.5


def test_a_hidden_place_filters_to_nothing(
    ma: MineAction, places: Places, side_a_user: User
) -> None:
    totals = rollups.mine_action_totals(
        side_a_user, rollups.Where(settlement=places.side_b_settlement.pcode)
    )
    assert (totals.cleared_m2, totals.buildings_checked, totals.road_km) == (0, 0, 0)


def test_hazard_status_on_a_day_comes_from_its_versions(ma: MineAction, admin_user: User) -> None:
    services.hazard_area_change_status(
        actor=None,
        hazard=ma.public_hazard,
        expected_version=1,
        status="closed",
        since=dt.date(2020, 11, 25),
        released_by=ma.public_result,
    )
    states = dict(
        (h.reference, s) for h, s in rollups.hazard_states_on(admin_user, dt.date(2020, 11, 24))
    )
    assert states["HA-PUB"] == "open"
    states = dict(
        (h.reference, s) for h, s in rollups.hazard_states_on(admin_user, dt.date(2020, 11, 25))
    )
    assert states["HA-PUB"] == "closed"


def test_randomised_totals_equal_sums_over_visible_rows(
    places: Places,
    org: object,
    admin_user: User,
    side_a_user: User,
    side_b_user: User,
    agency_user: User,
) -> None:
    rng = random.Random(5)
    areas = [
        hazard(f"HA-R{i}", 46.0 + 0.02 * i, rng.sample(SCOPES, rng.randint(1, 3))) for i in range(6)
    ]
    for i in range(25):
        on = rng.choice(areas)
        visibility = rng.sample(SCOPES, rng.randint(1, 3))
        t = task(f"T-R{i}", on, visibility)
        task_services.land_release_record(
            actor=None,
            activity=t,
            fields={
                "reported_on": DAY + dt.timedelta(days=rng.randint(0, 30)),
                "cleared_m2": rng.randint(1, 20_000),
                "cancelled_m2": rng.randint(0, 5_000),
            },
            visibility=rng.sample(SCOPES, rng.randint(1, 3)),
        )
        task_services.device_count_record(
            actor=None,
            activity=t,
            fields={
                "reported_on": DAY + dt.timedelta(days=rng.randint(0, 30)),
                "category": rng.choice(["uxo", "ap_mine", "cluster_submunition"]),
                "found": 50,
                "destroyed": rng.randint(0, 50),
            },
            visibility=rng.sample(SCOPES, rng.randint(1, 3)),
        )
        task_services.road_check_record(
            actor=None,
            fields={
                "reference": f"RC-R{i}",
                "name": "r",
                "organisation": "eng",
                "checked_on": DAY + dt.timedelta(days=rng.randint(0, 30)),
                "result": "clear",
                "geometry": line(46.0, 39.0 + i / 100, 0.01 * rng.randint(1, 9)),
                "stated_km": rng.choice([None, float(rng.randint(1, 9))]),
            },
            visibility=rng.sample(SCOPES, rng.randint(1, 3)),
        )
    start, end = DAY + dt.timedelta(days=5), DAY + dt.timedelta(days=25)
    for user in (admin_user, side_a_user, side_b_user, agency_user, None):
        where = rollups.Where(start=start, end=end)
        totals = rollups.mine_action_totals(user, where)
        results = list(selectors.results_visible_to(user, start=start, end=end))
        devices = list(selectors.devices_visible_to(user, start=start, end=end))
        roads = list(selectors.road_checks_visible_to(user, start=start, end=end))
        assert totals.cleared_m2 == pytest.approx(sum(r.cleared_m2 for r in results))
        assert totals.cancelled_m2 == pytest.approx(sum(r.cancelled_m2 for r in results))
        assert totals.items_destroyed == sum(d.destroyed for d in devices)
        assert totals.road_km == pytest.approx(sum(r.km for r in roads))
        # And every row counted is one the reader may see, from an activity it may see.
        visible_tasks = set(selectors.activities_visible_to(user).values_list("pk", flat=True))
        assert all(r.activity_id in visible_tasks for r in results)
        figure = figure_value("mineaction_items_destroyed", FigureQuery(user=user, as_of=end))
        upto = selectors.devices_visible_to(user, end=end)
        assert figure.value == sum(d.destroyed for d in upto)
        assert {r.pk for r in figure.records} == {d.pk for d in upto}


def test_figures_list_their_records(ma: MineAction, side_a_user: User) -> None:
    query = FigureQuery(user=side_a_user, as_of=DAY)
    cleared = figure_value("mineaction_land_cleared_ha", query)
    assert cleared.value == 5.0 and cleared.records == [ma.public_result]
    road = figure_value("mineaction_road_checked_km", query)
    assert road.records == [ma.public_road]
    buildings = figure_value("mineaction_buildings_checked", query)
    assert buildings.value == 40
    open_areas = figure_value("mineaction_hazards_open", query)
    assert open_areas.value == 1 and open_areas.records == [ma.public_hazard]


def test_cumulative_series_grows(ma: MineAction, admin_user: User) -> None:
    task_services.land_release_record(
        actor=None,
        activity=ma.public_task,
        fields={"reported_on": DAY + dt.timedelta(days=3), "cleared_m2": 10_000},
    )
    series = rollups.cumulative_series(admin_user, rollups.Where())
    assert [p.cleared_ha for p in series] == [7.0, 8.0]
    assert series[-1].items_destroyed == 37
