"""Stock: every change a movement with a reason, levels never below zero, bad input refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.logistics.conftest import WHEN, Depot
from truce.core.errors import InvalidInput, NotFound, PermissionDenied
from truce.ledger.models import LedgerEntry
from truce.logistics import selectors, services
from truce.logistics.models import StockDaily, StockLevel, StockMovement


def receive(depot: Depot, quantity: object, **kw: object) -> StockMovement:
    return services.stock_receive(
        actor=None, warehouse="wh-a", item="cement", quantity=quantity, occurred_at=WHEN, **kw
    )


def test_receive_dispatch_and_count_keep_level_card_and_rollups(depot, mission_user):
    receive(depot, "100", reference="truck-1")
    services.stock_dispatch(
        actor=None,
        warehouse=depot.agency_wh,
        item=depot.cement,
        quantity=30,
        occurred_at=WHEN + dt.timedelta(hours=1),
        reference="convoy-1",
    )
    services.stock_adjust(
        actor=None,
        warehouse="wh-a",
        item="cement",
        reason="damaged",
        quantity="2.5",
        occurred_at=WHEN + dt.timedelta(days=1),
        note="wet bags",
    )
    count = services.stock_adjust(
        actor=None,
        warehouse="wh-a",
        item="cement",
        reason="counted",
        quantity="66",
        occurred_at=WHEN + dt.timedelta(days=1, hours=2),
    )
    assert count.quantity == Decimal("-1.5")  # the count records the difference
    assert selectors.stock_level(mission_user, "wh-a", "cement") == Decimal("66")
    card = selectors.stock_card(mission_user, "wh-a", "cement")
    assert [m.reason for m in card] == ["counted", "damaged", "dispatched", "received"]
    assert [m.balance_after for m in card] == [66, Decimal("67.5"), 70, 100]
    assert card[2].reference == "convoy-1"
    totals = selectors.running_totals(mission_user, item="cement")
    assert totals == {
        "received": Decimal(100),
        "dispatched": Decimal(-30),
        "damaged": Decimal("-2.5"),
        "counted": Decimal("-1.5"),
    }
    # Rollups and level equal the movements summed.
    assert sum(r.quantity for r in StockDaily.objects.all()) == 66
    assert LedgerEntry.objects.filter(record_type="logistics.stockmovement").count() == 4
    assert selectors.running_totals(mission_user, item="cement", start=dt.date(2020, 11, 21)) == {
        "damaged": Decimal("-2.5"),
        "counted": Decimal("-1.5"),
    }
    days = selectors.daily_totals(mission_user, item="cement")
    assert [d["balance"] for d in days] == [70, 66]


def test_dispatch_of_more_than_the_stock_is_refused_and_writes_nothing(depot):
    receive(depot, 10)
    before = (StockMovement.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(InvalidInput) as err:
        services.stock_dispatch(
            actor=None, warehouse="wh-a", item="cement", quantity=11, occurred_at=WHEN
        )
    assert err.value.field == "quantity"
    assert "holds 10" in err.value.message
    assert (StockMovement.objects.count(), LedgerEntry.objects.count()) == before
    assert StockLevel.objects.get().quantity == 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": -5}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"item": "caviar"}, "item"),
        ({"item": "cement", "unit": "bushels"}, "unit"),
        ({"item": "cement", "unit": "pieces"}, "unit"),
        ({"warehouse": "op-n1"}, "warehouse"),
        ({"warehouse": "nowhere"}, "warehouse"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(depot, kwargs, field):
    args = {"warehouse": "wh-a", "item": "cement", "quantity": 1, "occurred_at": WHEN, **kwargs}
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as err:
        services.stock_receive(actor=None, **args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert LedgerEntry.objects.count() == before
    assert not StockMovement.objects.exists()


def test_units_convert_between_kg_and_tonnes(depot):
    receive(depot, 2500, unit="kg")
    assert StockLevel.objects.get().quantity == Decimal("2.5")


def test_adjust_and_dispatch_reasons_are_checked(depot):
    receive(depot, 5)
    with pytest.raises(InvalidInput) as err:
        services.stock_adjust(
            actor=None,
            warehouse="wh-a",
            item="cement",
            reason="received",
            quantity=1,
            occurred_at=WHEN,
        )
    assert err.value.field == "reason"
    with pytest.raises(InvalidInput) as err:
        services.stock_dispatch(
            actor=None,
            warehouse="wh-a",
            item="cement",
            quantity=1,
            occurred_at=WHEN,
            reason="lost",
        )
    assert err.value.field == "reason"


def test_database_refuses_a_negative_level(depot):
    """The CHECK constraint stands behind the service's own check."""
    from django.db import IntegrityError, transaction

    receive(depot, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.update(quantity=-1)


def test_writers_are_checked(depot, side_b_user, agency_writer):
    with pytest.raises(PermissionDenied):
        services.stock_receive(
            actor=side_b_user, warehouse="wh-b", item="cement", quantity=1, occurred_at=WHEN
        )
    moved = services.stock_receive(
        actor=agency_writer, warehouse="wh-a", item="cement", quantity=1, occurred_at=WHEN
    )
    assert moved.created_by == agency_writer
    # An agency writer cannot reach side B's warehouse: as unknown as a missing one.
    with pytest.raises(InvalidInput) as err:
        services.stock_receive(
            actor=agency_writer, warehouse="wh-b", item="cement", quantity=1, occurred_at=WHEN
        )
    assert err.value.field == "warehouse"


def test_another_party_sees_no_stock(depot, side_a_user, side_b_user, agency_user):
    receive(depot, 7)
    services.stock_receive(
        actor=None, warehouse="wh-b", item="cement", quantity=3, occurred_at=WHEN
    )
    assert selectors.stock_level(agency_user, "wh-a", "cement") == 7
    with pytest.raises(NotFound):
        selectors.stock_level(side_a_user, "wh-a", "cement")
    with pytest.raises(NotFound):
        selectors.stock_card(side_a_user, "wh-a", "cement")
    assert not selectors.movements_visible_to(side_a_user).exists()
    assert not selectors.stock_levels_visible_to(side_a_user).exists()
    assert selectors.running_totals(side_a_user) == {}
    # Side B sees its own warehouse only.
    assert [lv.warehouse.code for lv in selectors.stock_levels_visible_to(side_b_user)] == ["wh-b"]
    assert selectors.running_totals(side_b_user) == {"received": Decimal(3)}
    # An item's period over every warehouse: the per-item rows keyed by visibility.
    period = {"item": "cement", "start": WHEN.date(), "end": WHEN.date()}
    assert selectors.running_totals(side_b_user, **period) == {"received": Decimal(3)}
    assert selectors.running_totals(agency_user, **period) == {"received": Decimal(7)}
    assert selectors.running_totals(side_a_user, **period) == {}


def test_free_capacity(depot, agency_user):
    receive(depot, 120)
    services.stock_receive(
        actor=None, warehouse="wh-a", item="flour", quantity=5000, occurred_at=WHEN
    )
    stock = selectors.warehouse_stock(agency_user, "wh-a")
    assert stock.weight_t == 125
    assert stock.free_t == 375
    assert selectors.stock_by_category(agency_user) == {
        "construction_materials": Decimal(120),
        "food": Decimal(5),
    }
