"""The demo's convoys: follow the 21 Nov convoy from the depot to its deliveries; the
figures equal sums over the records; a second load writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.convoys import selectors
from truce.convoys.models import Convoy, Delivery, Lorry
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.logistics.models import StockMovement

SECTIONS = briefings_sections("logistics", "convoys")


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party", "organisation").get(username=username)


def test_the_21_november_convoy_from_the_depot_to_its_deliveries(scenario: LoadReport) -> None:
    icrc = user("icrc")
    convoy = selectors.convoy_get(icrc, "cv-2020-11-21")
    assert convoy.origin.code == "wh-rostov"
    assert convoy.departed_at == dt.datetime(2020, 11, 21, 5, 0, tzinfo=dt.UTC)
    assert convoy.status == "arrived"
    assert len(selectors.lorries_visible_to(icrc, convoy=convoy)) == 30
    assert selectors.convoy_tonnage(icrc, convoy) == Decimal(300)
    dispatched = StockMovement.objects.filter(reference="cv-2020-11-21", reason="dispatched")
    assert dispatched.count() == 4
    statuses = [e.status for e in selectors.events_of(icrc, convoy)]
    assert statuses == ["preparing", "in_transit", "unloading", "arrived"]
    losses = list(selectors.losses_of(icrc, convoy))
    assert [(x.load.item.code, x.quantity, x.reason) for x in losses] == [
        ("window-glass", Decimal(20), "damaged")
    ]
    delivered = selectors.deliveries_visible_to(icrc, convoy=convoy)
    assert {d.settlement.pcode for d in delivered} == {
        "AZ-XA-001",
        "AZ-XCI-001",
        "AZ-XVD-001",
        "AZ-TAR-001",
    }
    received_t = sum(
        (
            load.weight_t * load.received_quantity / load.quantity
            for load in selectors.loads_of(icrc, convoy)
        ),
        Decimal(0),
    )
    assert sum((d.weight_t for d in delivered), Decimal(0)) == received_t == Decimal("299.8")
    # Drivers: the ICRC is not the convoy's owner (the response centre), so they are withheld.
    assert all(
        lorry.driver_name == "" for lorry in selectors.lorries_visible_to(icrc, convoy=convoy)
    )
    assert selectors.lorries_visible_to(user("admin"), convoy=convoy)[0].driver_name


def test_figures_are_sums_over_the_records(scenario: LoadReport) -> None:
    admin = user("admin")
    day = dt.date(2021, 1, 11)
    built = figure_value(
        "convoys_construction_materials_delivered_t", FigureQuery(admin, as_of=day)
    )
    rows = Delivery.objects.filter(
        item__category="construction_materials", delivered_on__lte=day, is_deleted=False
    )
    assert built.value == float(sum((d.weight_t for d in rows), Decimal(0)))
    assert built.value is not None and built.value > 800
    assert len(built.records) == rows.count()
    by_21_nov = figure_value(
        "convoys_construction_materials_delivered_t",
        FigureQuery(admin, as_of=dt.date(2020, 11, 26)),
    )
    assert by_21_nov.value == pytest.approx(299.8)
    departed = figure_value("convoys_departed", FigureQuery(admin, as_of=day))
    assert departed.value == Convoy.objects.filter(departed_at__date__lte=day).count() == 5
    first = figure_value("convoys_departed", FigureQuery(admin, as_of=dt.date(2020, 11, 20)))
    assert [c.reference for c in first.records] == ["cv-2020-11-20"]
    lorries = figure_value("convoys_lorries", FigureQuery(admin, as_of=dt.date(2020, 11, 21)))
    assert lorries.value == Lorry.objects.filter(convoy__reference="cv-2020-11-21").count() == 30
    by_item = selectors.totals_by_item(admin)
    assert sum((r.weight_t for r in by_item), Decimal(0)) == sum(
        (d.weight_t for d in Delivery.objects.all()), Decimal(0)
    )


def test_the_pipeline_follows_construction_materials_from_consignment_to_delivery(
    scenario: LoadReport,
) -> None:
    rows = {row.category: row.stages for row in selectors.pipeline(user("admin"))}
    stages = rows["construction_materials"]
    assert stages["consigned"] == Decimal("820.0")
    assert stages["departed"] == Decimal("820.0")
    assert stages["delivered"] == Decimal("819.8")


def test_the_map_shows_the_convoy_on_the_road_and_the_public_sees_none(
    scenario: LoadReport,
) -> None:
    layer = selectors.in_transit_geojson(user("icrc"))
    refs = {f["properties"]["reference"] for f in layer["features"]}
    assert refs == {"cv-2021-01-09"}
    assert selectors.in_transit_geojson(user("viewer"))["features"] == []
    assert not selectors.convoys_visible_to(user("viewer")).exists()


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    again = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    assert again.created == 0


def test_a_side_sees_the_convoy_but_not_the_depot_or_checkpoint_hidden_from_it(
    scenario: LoadReport,
) -> None:
    side_b = user("liaison-b")
    convoy = selectors.seen_places(side_b, selectors.convoy_get(side_b, "cv-2020-11-21"))
    assert convoy.seen_origin is None  # wh-rostov is shared with the agencies only
    assert convoy.seen_crossing_points == []  # bg-tegh is the mission's
    assert all(lorry.driver_phone == "" for lorry in selectors.lorries_visible_to(side_b))
    mission = selectors.seen_places(
        user("admin"), selectors.convoy_get(user("admin"), convoy.reference)
    )
    assert mission.seen_origin is not None and mission.seen_crossing_points == ["bg-tegh"]
