"""The demo's shelter picture as of 20 Nov 2020, loaded through the services.

The briefing: "up to 30,000" arrivals expected, room for "about 5,000". Loaded once
for the module (rolled back at its end); each test runs in a savepoint inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.ledger.models import LedgerEntry
from truce.population.models import Household
from truce.shelter.models import (
    AllocationRun,
    ArrivalEstimate,
    OccupancyReport,
    Placement,
    RunStatus,
    Shelter,
)

SECTIONS = briefings_sections("population", "shelter")

SCENARIO = "briefings-2020"
BRIEFING_DAY = dt.date(2020, 11, 20)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def figure(key: str, username: str = "duty") -> Any:
    return figure_value(key, FigureQuery(user=user(username), as_of=BRIEFING_DAY))


def test_expected_arrivals_are_the_briefings_up_to_30000(scenario: LoadReport) -> None:
    value = figure("shelter_expected_arrivals")
    assert value.value == 30000
    assert [r.code for r in value.records] == ["emercom-2020-11-20-expected-arrivals"]
    assert "Emergencies Ministry" in value.sources[0]


def test_shelter_places_total_the_briefings_about_5000(scenario: LoadReport) -> None:
    value = figure("shelter_places")
    assert value.value == 5000
    assert len(value.records) == Shelter.objects.count() == 16


def test_the_gap_is_expected_arrivals_less_free_places(scenario: LoadReport) -> None:
    free = figure("shelter_free_places").value
    gap = figure("shelter_gap").value
    assert 0 < free <= 5000 - 315
    assert gap == 30000 - free


def test_the_public_sees_the_stated_estimate_but_no_shelter(scenario: LoadReport) -> None:
    assert figure("shelter_expected_arrivals", "viewer").value == 30000
    assert figure("shelter_places", "viewer").value == 0
    assert figure("shelter_places", "liaison-b").value == 0


def test_the_demo_allocation_ran_on_the_registered_households(scenario: LoadReport) -> None:
    run = AllocationRun.objects.get(status=RunStatus.CURRENT)
    moving = Household.objects.filter(intention__in=["return", "relocate"]).count()
    assert run.households == Placement.objects.filter(run=run).count()
    assert run.households <= moving
    if moving:
        assert run.placed_households > 0
        assert all(p.reason for p in Placement.objects.filter(run=run))


def test_occupancy_history_is_loaded_for_two_days(scenario: LoadReport) -> None:
    assert OccupancyReport.objects.count() == 32
    assert ArrivalEstimate.objects.count() == 1


def test_loading_twice_writes_nothing(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    report = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
    assert LedgerEntry.objects.count() == before
    shelter_sections = [s for s in report.sections if s.type.startswith("shelter.")]
    assert shelter_sections and all(s.created == s.updated == 0 for s in shelter_sections)
