"""The demo's logistics, loaded through the services; a second load writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.ledger.models import LedgerEntry
from truce.logistics import selectors
from truce.logistics.models import Consignment, Item, StatedTotal, StockMovement, Warehouse

SECTIONS = briefings_sections("logistics")


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


def test_catalogue_warehouses_stock_and_consignments_load(scenario: LoadReport) -> None:
    assert Item.objects.count() == 10
    assert Warehouse.objects.count() == 3
    assert StockMovement.objects.count() == 11
    analyst = user("analyst")
    assert selectors.stock_level(analyst, "wh-rostov", "cement") == 500
    assert selectors.stock_level(analyst, "wh-rostov", "blanket") == 7990
    convoy = Consignment.objects.get(reference="cm-2020-11-21")
    assert selectors.consignment_weight_kg(analyst, convoy) == Decimal(300_000)
    refs = set(Consignment.objects.values_list("reference", flat=True))
    assert refs == {"hum-2020-11-20", "cm-2020-11-21", "cm-2020-12-03", "cm-2020-12-19"}
    construction = sum(
        (
            selectors.consignment_weight_kg(analyst, c)
            for c in Consignment.objects.filter(reference__startswith="cm-")
        ),
        Decimal(0),
    )
    assert construction > 800_000  # "over 800 tonnes" by the later briefing


def test_figures_list_their_records(scenario: LoadReport) -> None:
    analyst = user("analyst")
    tonnage = figure_value("logistics_consignments_t", FigureQuery(analyst))
    assert tonnage.value == 888.5  # 820 t of construction materials and 68.5 t of the first
    assert tonnage.breakdown["Construction materials"] == 820
    assert len(tonnage.records) == 4
    on_21_nov = figure_value(
        "logistics_consignments_t", FigureQuery(analyst, dt.date(2020, 11, 21))
    )
    assert on_21_nov.value == 368.5
    stock = figure_value("logistics_stock_on_hand_t", FigureQuery(analyst))
    assert stock.breakdown["Construction materials"] == 500 + 250 + 119.5 + 100
    assert len(stock.records) == 9  # the latest movement of each level
    stated = figure_value("logistics_cargo_stated", FigureQuery(analyst))
    assert stated.value == 1_500_000
    assert "11 Jan 2021" in stated.sources[0]
    assert StatedTotal.objects.count() == 2


def test_other_parties_see_only_what_is_shared(scenario: LoadReport) -> None:
    side_a = user("liaison-a")
    # wh-rostov is shared with the agencies only: side A sees no stock there.
    assert figure_value("logistics_stock_on_hand_t", FigureQuery(side_a)).value == 0
    assert figure_value("logistics_consignments_t", FigureQuery(side_a)).value == 888.5
    assert selectors.consignments_visible_to(side_a).count() == 4


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    report = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    assert LedgerEntry.objects.count() == before
    assert all(r.created == 0 and r.updated == 0 for r in report.sections)
