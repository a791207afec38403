"""The demo scenario's damage assessment: 284 destroyed structures in 43 settlements."""

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
from truce.damage import selectors
from truce.damage.models import DamageCount, Structure
from truce.ledger.models import LedgerEntry

SECTIONS = briefings_sections("damage")

SCENARIO = "briefings-2020"
AS_OF = dt.date(2020, 11, 20)


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


def test_the_scenario_records_284_destroyed_structures_in_43_settlements(
    scenario: LoadReport,
) -> None:
    section = next(s for s in scenario.sections if s.type == "damage.structures")
    assert section.created == 284
    live = Structure.objects.filter(is_deleted=False, grade="destroyed")
    assert live.count() == 284
    assert live.values("settlement").distinct().count() == 43


@pytest.mark.parametrize("username", ["analyst", "liaison-a", "liaison-b", "icrc", "viewer"])
def test_the_figures_give_the_briefing_totals_to_every_reader(
    scenario: LoadReport, username: str
) -> None:
    query = FigureQuery(user=user(username), as_of=AS_OF)
    destroyed = figure_value("structures_destroyed", query)
    assert destroyed.value == 284
    assert len(destroyed.records) == 284
    assert sum(destroyed.breakdown.values()) == 284
    settlements = figure_value("settlements_with_destroyed_structures", query)
    assert settlements.value == 43
    assert {s.settlement_id for s in settlements.records} == {
        s.settlement_id for s in destroyed.records
    }


def test_the_needs_totals_are_the_sums_of_the_structures_behind_them(
    scenario: LoadReport,
) -> None:
    query = FigureQuery(user=user("analyst"), as_of=AS_OF)
    for key, column in (
        ("destroyed_glazing_m2", "need_glazing_m2"),
        ("destroyed_roofing_m2", "need_roofing_m2"),
    ):
        value = figure_value(key, query)
        assert isinstance(value.value, float) and value.value > 0
        assert len(value.records) == 284
        assert value.value == pytest.approx(sum(getattr(s, column) for s in value.records))
        assert value.sources  # each structure names the briefing it illustrates


def test_the_figures_before_the_first_assessment_are_zero(scenario: LoadReport) -> None:
    query = FigureQuery(user=user("analyst"), as_of=dt.date(2020, 11, 14))
    assert figure_value("structures_destroyed", query).value == 0


def test_the_rollups_agree_with_the_figures(scenario: LoadReport) -> None:
    totals = selectors.rollup_totals(user("liaison-b"))
    assert totals.by_grade["destroyed"] == 284
    assert len([r for r in selectors.rollup_by_settlement(user("viewer")) if r.place]) == 43
    assert DamageCount.objects.filter(dimension="grade").count() == 43


def test_loading_the_scenario_twice_writes_nothing(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    again = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
    section = next(s for s in again.sections if s.type == "damage.structures")
    assert (section.created, section.updated, section.unchanged) == (0, 0, 284)
    assert LedgerEntry.objects.count() == before
