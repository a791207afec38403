"""The demo's airlift and units, loaded through the services; the figures match the briefing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.deployment.models import AirliftFlight, UnitDeployment

SECTIONS = briefings_sections("deployment")
BRIEFING_DAY = dt.date(2020, 11, 20)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def test_the_airlift_figures_are_the_sums_of_the_flight_records(scenario: LoadReport) -> None:
    query = FigureQuery(user=user("analyst"), as_of=BRIEFING_DAY)
    flights = figure_value("deployment_airlift_flights", query)
    people = figure_value("deployment_airlift_personnel", query)
    kit = figure_value("deployment_airlift_equipment_units", query)
    rows = AirliftFlight.objects.filter(flown_on__lte=BRIEFING_DAY, is_deleted=False)
    sums = rows.aggregate(people=Sum("personnel"), kit=Sum("equipment_units"))
    assert flights.value == rows.count()
    assert people.value == sums["people"]
    assert kit.value == sums["kit"]
    # B1, line 39: "250 flights have been made to carry 1,960 people and 552 units of equipment".
    assert (flights.value, people.value, kit.value) == (250, 1960, 552)
    assert len(flights.records) == 250 and "B1, line 39" in flights.sources[0]
    assert all(f.destination == "Yerevan (Zvartnots)" for f in rows)
    assert {f.flown_on for f in rows} <= {
        dt.date(2020, 11, 10) + dt.timedelta(days=d) for d in range(11)
    }


def test_a_day_earlier_counts_fewer_flights(scenario: LoadReport) -> None:
    earlier = figure_value(
        "deployment_airlift_flights",
        FigureQuery(user=user("analyst"), as_of=dt.date(2020, 11, 12)),
    )
    assert earlier.value == AirliftFlight.objects.filter(flown_on__lte="2020-11-12").count()
    assert isinstance(earlier.value, int) and earlier.value < 250


def test_the_units_and_their_stated_strengths(scenario: LoadReport) -> None:
    rows = {d.unit.code: d for d in UnitDeployment.objects.select_related("unit")}
    assert set(rows) == {"bn1", "bn2", "bg-reserve"}
    assert rows["bg-reserve"].personnel == 188
    assert rows["bn1"].personnel is None  # not stated in the briefing, not invented


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    again = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    for section in again.sections:
        if section.type.startswith("deployment."):
            assert section.created == 0 and section.updated == 0, section.type
