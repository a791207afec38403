"""The bulk path keeps the services' invariants: levels, balances and rollups add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.logistics.conftest import WHEN, Depot
from truce.core.errors import InvalidInput
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.logistics import selectors, services
from truce.logistics.bulk import stock_movements_bulk
from truce.logistics.models import (
    StockDaily,
    StockItemDaily,
    StockLevel,
    StockMovement,
    StockTotal,
)


def test_bulk_movements_keep_levels_balances_and_rollups(depot: Depot, mission_user) -> None:
    services.stock_receive(
        actor=None, warehouse="wh-a", item="cement", quantity=5, occurred_at=WHEN
    )
    wh, cement, flour = depot.agency_wh.pk, depot.cement.pk, depot.flour.pk
    day = dt.timedelta(days=1)
    rows = [
        (wh, cement, "received", 10, WHEN + day, "r1"),
        (wh, cement, "dispatched", -12, WHEN + day, "d1"),
        (wh, flour, "received", 100, WHEN + 2 * day, "r2"),
        (wh, flour, "lost", -1, WHEN + 2 * day, ""),
        (wh, cement, "received", 4, WHEN + 3 * day, "r3"),
    ]
    result = stock_movements_bulk(actor=None, rows=rows, source="test")
    assert result.movements == 5
    assert selectors.stock_level(mission_user, "wh-a", "cement") == 7
    assert selectors.stock_level(mission_user, "wh-a", "flour") == 99
    card = selectors.stock_card(mission_user, "wh-a", "cement")
    assert [m.balance_after for m in card] == [7, 3, 15, 5]
    for level in StockLevel.objects.all():
        moved = StockMovement.objects.filter(warehouse=level.warehouse, item=level.item)
        assert moved.aggregate(s=Sum("quantity"))["s"] == level.quantity
        assert (
            StockDaily.objects.filter(warehouse=level.warehouse, item=level.item).aggregate(
                s=Sum("quantity")
            )["s"]
            == level.quantity
        )
        assert (
            StockTotal.objects.filter(warehouse=level.warehouse, item=level.item).aggregate(
                s=Sum("quantity")
            )["s"]
            == level.quantity
        )
    assert selectors.running_totals(mission_user, item="cement") == {
        "received": Decimal(19),
        "dispatched": Decimal(-12),
    }
    assert StockItemDaily.objects.filter(item=depot.cement).aggregate(s=Sum("quantity"))["s"] == 7
    assert selectors.running_totals(
        mission_user, item="cement", start=(WHEN + day).date(), end=(WHEN + 3 * day).date()
    ) == {"received": Decimal(14), "dispatched": Decimal(-12)}
    assert LedgerEntry.objects.filter(record_type="logistics.stockmovementbatch").count() == 1
    assert ledger_verify().ok
    # Bulk movements are seen by who sees the warehouse, like the services' own.
    assert StockMovement.objects.filter(share_agencies=True).count() == 6


def test_a_batch_that_would_go_below_zero_writes_nothing(depot: Depot) -> None:
    wh, cement = depot.agency_wh.pk, depot.cement.pk
    rows = [
        (wh, cement, "received", 3, WHEN, ""),
        (wh, cement, "dispatched", -4, WHEN, ""),
    ]
    with pytest.raises(InvalidInput) as err:
        stock_movements_bulk(actor=None, rows=rows)
    assert err.value.field == "quantity" and "row 2" in err.value.message
    assert not StockMovement.objects.exists() and not StockLevel.objects.exists()
    with pytest.raises(InvalidInput) as err:
        stock_movements_bulk(actor=None, rows=[(wh, cement, "dispatched", 4, WHEN, "")])
    assert err.value.field == "quantity"
