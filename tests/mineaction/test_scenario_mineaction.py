"""The demo's mine action records: the briefings' figures computed from them.

Each figure is checked twice: against the sum over the loaded rows (so the
figure is what the records say), and against the briefing's stated value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from shapely.geometry import LineString, shape

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.lib import geo
from truce.mineaction.models import (
    Activity,
    BuildingCheck,
    DeviceCount,
    HazardArea,
    LandRelease,
    RoadCheck,
)

SECTIONS = briefings_sections("mineaction")
FIRST_BRIEFING = dt.date(2020, 11, 20)
# The trilateral meeting, as population/baselines.yaml dates the later briefing.
LATER_BRIEFING = dt.date(2021, 1, 11)
CIVILIAN_TRAFFIC_FROM = dt.date(2020, 11, 17)
# The corridor road, roughly (the demo's convoy route): Goris ... Stepanakert.
CORRIDOR = LineString(
    [
        (46.342, 39.511),
        (46.431, 39.513),
        (46.530, 39.548),
        (46.535, 39.585),
        (46.550, 39.637),
        (46.643, 39.688),
        (46.750, 39.760),
        (46.753, 39.818),
    ]
)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def _query(day: dt.date, username: str | None = None) -> FigureQuery:
    user = User.objects.get(username=username) if username else None
    return FigureQuery(user=user, as_of=day)


def test_land_cleared_by_the_later_briefing(scenario: LoadReport) -> None:
    figure = figure_value("mineaction_land_cleared_ha", _query(LATER_BRIEFING))
    rows = LandRelease.objects.filter(reported_on__lte=LATER_BRIEFING, is_deleted=False)
    assert figure.value == pytest.approx(sum(r.cleared_m2 for r in rows) / 10_000, abs=0.005)
    assert 479 < figure.value < 480  # "over 479 ha"
    assert figure.sources and all("Scenario illustration" in s for s in figure.sources)


def test_road_buildings_and_items_by_the_later_briefing(scenario: LoadReport) -> None:
    query = _query(LATER_BRIEFING)
    road = figure_value("mineaction_road_checked_km", query)
    roads = RoadCheck.objects.filter(checked_on__lte=LATER_BRIEFING)
    assert road.value == pytest.approx(sum(r.km for r in roads), abs=0.05)
    assert round(road.value) == 182
    buildings = figure_value("mineaction_buildings_checked", query)
    assert buildings.value == sum(b.buildings for b in BuildingCheck.objects.all()) == 710
    items = figure_value("mineaction_items_destroyed", query)
    assert items.value == sum(d.destroyed for d in DeviceCount.objects.all())
    assert items.value > 22_000  # "over 22,000"
    # Found and destroyed: every item counted was found too.
    assert sum(d.found for d in DeviceCount.objects.all()) >= items.value


def test_the_public_reads_the_same_figures(scenario: LoadReport) -> None:
    for key in ("mineaction_land_cleared_ha", "mineaction_items_destroyed"):
        mission = figure_value(key, _query(LATER_BRIEFING, "analyst"))
        public = figure_value(key, FigureQuery(user=None, as_of=LATER_BRIEFING))
        assert public.value == mission.value


def test_corridor_and_28_km_road_checked_by_17_november(scenario: LoadReport) -> None:
    checks = RoadCheck.objects.filter(checked_on__lte=CIVILIAN_TRAFFIC_FROM)
    names = [c.name for c in checks]
    assert any("Lachin corridor" in n for n in names)
    (stepanakert,) = [c for c in checks if "Road to Stepanakert" in c.name]
    assert stepanakert.stated_km == 28.0 and stepanakert.result in ("clear", "cleared")
    assert all(c.result in ("clear", "cleared") for c in checks)
    # As of the first briefing the figure counts them, and only them so far.
    road = figure_value("mineaction_road_checked_km", _query(FIRST_BRIEFING))
    assert {r.pk for r in road.records} == {c.pk for c in checks}


def test_corridor_hazards_closed_by_17_november_and_open_ones_far_away(
    scenario: LoadReport,
) -> None:
    corridor_m = []
    for hazard in HazardArea.objects.all():
        polygon = shape(hazard.geometry)
        # Nearest corridor point in degrees, then its geodesic distance in metres.
        nearest = CORRIDOR.interpolate(CORRIDOR.project(polygon.centroid))
        edge = polygon.exterior.interpolate(polygon.exterior.project(nearest))
        metres = geo.geodesic_length_m(LineString([edge, nearest]))
        if hazard.status == "open":
            assert metres >= 3000, (hazard.reference, metres)
        else:
            corridor_m.append((metres, hazard))
        assert hazard.location_approximate
    near = [h for m, h in corridor_m if m < 3000]
    assert near and all(h.status_since <= CIVILIAN_TRAFFIC_FROM for h in near)
    assert all(h.released_by is not None for h in near)
    open_now = figure_value("mineaction_hazards_open", _query(LATER_BRIEFING))
    assert open_now.value == HazardArea.objects.filter(status="open").count() >= 4


def test_dates_lie_between_14_november_and_the_later_briefing(scenario: LoadReport) -> None:
    start = dt.date(2020, 11, 14)
    for model, name in (
        (LandRelease, "reported_on"),
        (DeviceCount, "reported_on"),
        (RoadCheck, "checked_on"),
        (BuildingCheck, "checked_on"),
        (Activity, "start_date"),
    ):
        days = list(model.objects.values_list(name, flat=True))
        assert days and min(days) >= start and max(days) <= LATER_BRIEFING, model
    assert set(Activity.objects.values_list("organisation__code", flat=True)) <= {"bn1", "bn2"}


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    again = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    mine = [s for s in again.sections if s.type.startswith("mineaction.")]
    assert len(mine) == 5
    assert all(s.created == 0 and s.updated == 0 for s in mine)
