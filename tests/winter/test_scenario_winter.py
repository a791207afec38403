"""The demo's winter picture, loaded through the services; a second load writes nothing."""

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
from truce.winter.models import SupplyNeed, UtilityReport
from truce.winter.selectors import readiness

SECTIONS = briefings_sections("winter")

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


def test_every_row_is_loaded_with_its_source(scenario: LoadReport) -> None:
    assert UtilityReport.objects.count() == 28
    assert SupplyNeed.objects.count() == 10
    assert all("Scenario illustration" in r.source for r in UtilityReport.objects.all())


def test_stepanakert_on_the_briefing_day(scenario: LoadReport) -> None:
    state = readiness(user("analyst"), as_of=BRIEFING_DAY)
    (city,) = [row for row in state.rows if row.settlement.pcode == "AZ-XA-001"]
    cells = {u: r.state if r else None for u, r in city.reports.items()}
    # Gas was out from 2 Oct and partly back from 18 Nov.
    assert cells == {"power": "partial", "gas": "partial", "heat": "partial", "water": "working"}
    before = readiness(user("analyst"), as_of=dt.date(2020, 11, 17))
    (city,) = [row for row in before.rows if row.settlement.pcode == "AZ-XA-001"]
    assert city.reports["gas"] is not None and city.reports["gas"].state == "out"


def test_side_b_sees_the_reports_shared_with_it_and_no_needs_of_the_agencies(
    scenario: LoadReport,
) -> None:
    mission = figure_value(
        "winter_settlements_with_utility_out", FigureQuery(user("analyst"), BRIEFING_DAY)
    )
    side_b = figure_value(
        "winter_settlements_with_utility_out", FigureQuery(user("liaison-b"), BRIEFING_DAY)
    )
    side_a = figure_value(
        "winter_settlements_with_utility_out", FigureQuery(user("liaison-a"), BRIEFING_DAY)
    )
    assert mission.value == 7
    assert side_b.value == 4  # the three villages shared with the agencies only are not counted
    assert side_a.value == 0
    medical = figure_value("winter_medical_needs_open", FigureQuery(user("analyst"), BRIEFING_DAY))
    assert medical.value == 6
    assert (
        figure_value(
            "winter_medical_needs_open", FigureQuery(user("liaison-b"), BRIEFING_DAY)
        ).value
        == 0
    )


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    again = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    assert LedgerEntry.objects.count() == before
    winter = [s for s in again.sections if s.type.startswith("winter.")]
    assert [s.created + s.updated for s in winter] == [0, 0]
