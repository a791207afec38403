"""The bulk path for stock movements: many at once, the same invariants as one at a time.

For imports of a warehouse's history and for the benchmark (bench/stock_levels.py),
where writing millions of movements one service call each would take hours. One call
is one transaction. It keeps what `stock_receive` / `stock_dispatch` / `stock_adjust`
keep:

- the ledger head is taken first (the one lock order), then the levels of every
  (warehouse, item) the batch touches are locked (`select_for_update`);
- movements are applied in the order given; a movement that would take a level below
  zero (or an outgoing reason with a positive quantity, or the reverse) refuses the
  whole batch with InvalidInput naming `quantity` and the row; nothing is written;
- each movement stores the balance it left; the levels, the daily rollups and the
  all-time totals per reason are updated by the batch's sums, so they equal what
  the movements add up to (the CHECK constraints stand behind it).

What differs, and why: the movements are written by one executemany, and the ledger
gets one entry for the batch (its count, the ids written, the net per level and a
SHA-256 of the rows) instead of one entry per movement; the rows themselves are the
record. Visibility is the warehouse's, as in the services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from truce.core.errors import InvalidInput
from truce.core.models import Facility, User
from truce.core.sharing import SHARE_COLUMNS
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib.time import utcnow
from truce.logistics.models import (
    OUTGOING,
    Reason,
    StockDaily,
    StockItemDaily,
    StockLevel,
    StockMovement,
    StockTotal,
)
from truce.logistics.services import ensure_logistics_writer

# (warehouse facility id, item id, reason, signed quantity, occurred_at, reference)
Row = tuple[int, int, str, Decimal | int, dt.datetime, str]


@dataclass(frozen=True)
class BulkResult:
    movements: int
    levels: int
    batch_id: str


def _check_sign(number: int, reason: str, quantity: Decimal) -> None:
    if reason not in Reason.values:
        raise InvalidInput(f"row {number}: unknown reason {reason!r}", field="reason")
    if quantity == 0:
        raise InvalidInput(f"row {number}: quantity must not be zero", field="quantity")
    if reason in OUTGOING and quantity > 0:
        raise InvalidInput(f"row {number}: a {reason} movement takes out", field="quantity")
    if reason == Reason.RECEIVED and quantity < 0:
        raise InvalidInput(f"row {number}: a receipt cannot be negative", field="quantity")


@transaction.atomic
def stock_movements_bulk(
    *, actor: User | None, rows: Iterable[Row], source: str = ""
) -> BulkResult:
    """Write many movements in one transaction (see the module's docstring)."""
    ensure_logistics_writer(actor)
    rows = list(rows)
    head = ledger_lock()
    del head
    pairs = {(r[0], r[1]) for r in rows}
    facilities = {f.pk: f for f in Facility.objects.filter(pk__in={p[0] for p in pairs})}
    levels: dict[tuple[int, int], Decimal] = {}
    existing = StockLevel.objects.select_for_update().filter(
        warehouse_id__in={p[0] for p in pairs}, item_id__in={p[1] for p in pairs}
    )
    for level in existing:
        levels[(level.warehouse_id, level.item_id)] = level.quantity
    now = utcnow()
    ops = connection.ops
    daily: dict[tuple[int, int, dt.date, str], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    totals: dict[tuple[int, int, str], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    per_item: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    counts: dict[tuple[int, int], int] = defaultdict(int)
    digest = hashlib.sha256()
    columns = [
        "public_id",
        "version",
        *SHARE_COLUMNS.values(),
        "created_at",
        "updated_at",
        "created_by_id",
        "updated_by_id",
        "source",
        "confidence",
        "is_deleted",
        "deleted_at",
        "warehouse_id",
        "item_id",
        "reason",
        "quantity",
        "balance_after",
        "occurred_at",
        "consignment_id",
        "reference",
        "note",
    ]
    stamp = ops.adapt_datetimefield_value(now)
    who = actor.pk if actor is not None else None
    shares: dict[int, list[bool]] = {}
    values = []
    for number, (wh, item, reason, quantity, moment, reference) in enumerate(rows, start=1):
        if wh not in facilities:
            raise InvalidInput(f"row {number}: unknown warehouse {wh}", field="warehouse")
        amount = Decimal(quantity)
        _check_sign(number, reason, amount)
        balance = levels.get((wh, item), Decimal(0)) + amount
        if balance < 0:
            raise InvalidInput(
                f"row {number}: the level would fall below zero ({balance})", field="quantity"
            )
        levels[(wh, item)] = balance
        counts[(wh, item)] += 1
        day = moment.astimezone(dt.UTC).date()
        cell = daily[(wh, item, day, reason)]
        cell[0] += amount
        cell[1] += 1
        total = totals[(wh, item, reason)]
        total[0] += amount
        total[1] += 1
        if wh not in shares:
            facility = facilities[wh]
            shares[wh] = [bool(getattr(facility, c)) for c in SHARE_COLUMNS.values()]
        by_item = per_item[(item, day, reason, *shares[wh])]
        by_item[0] += amount
        by_item[1] += 1
        row = (
            uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4(),
            1,
            *shares[wh],
            stamp,
            stamp,
            who,
            who,
            source,
            "",
            False,
            None,
            wh,
            item,
            reason,
            str(amount),
            str(balance),
            ops.adapt_datetimefield_value(moment),
            None,
            reference,
            "",
        )
        digest.update(repr(row[len(columns) - 9 :]).encode())
        values.append(row)
    table = StockMovement._meta.db_table
    q = ops.quote_name
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {q(table)}")  # noqa: S608
        first_after = cursor.fetchone()[0]
        for start in range(0, len(values), 20_000):
            cursor.executemany(sql, values[start : start + 20_000])
    _upsert_levels(levels, counts, now)
    _upsert_rollups(daily, totals)
    _upsert_item_daily(per_item)
    batch_id = str(uuid.uuid4())
    ledger_append(
        actor=actor,
        action="bulk_create",
        record_type="logistics.stockmovementbatch",
        record_id=batch_id,
        record_version=1,
        payload={
            "movements": len(values),
            "after_id": first_after,
            "source": source,
            "rows_sha256": digest.hexdigest(),
            "levels": {f"{w}/{i}": str(v) for (w, i), v in sorted(levels.items())},
        },
    )
    return BulkResult(movements=len(values), levels=len(levels), batch_id=batch_id)


def _upsert_levels(
    levels: dict[tuple[int, int], Decimal], counts: dict[tuple[int, int], int], now: dt.datetime
) -> None:
    found = {
        (lv.warehouse_id, lv.item_id): lv
        for lv in StockLevel.objects.filter(
            warehouse_id__in={k[0] for k in levels}, item_id__in={k[1] for k in levels}
        )
    }
    new = []
    for key, quantity in levels.items():
        level = found.get(key)
        if level is None:
            new.append(
                StockLevel(
                    warehouse_id=key[0],
                    item_id=key[1],
                    quantity=quantity,
                    movements=counts[key],
                    updated_at=now,
                )
            )
        else:
            level.quantity, level.updated_at = quantity, now
            level.movements += counts[key]
    StockLevel.objects.bulk_create(new, batch_size=1000)
    StockLevel.objects.bulk_update(
        list(found.values()), ["quantity", "movements", "updated_at"], batch_size=1000
    )


def _upsert_rollups(
    daily: dict[tuple[int, int, dt.date, str], list[Any]],
    totals: dict[tuple[int, int, str], list[Any]],
) -> None:
    wh = {k[0] for k in totals}
    items = {k[1] for k in totals}
    days = [k[2] for k in daily]
    old_daily = (
        {
            (r.warehouse_id, r.item_id, r.day, r.reason): r
            for r in StockDaily.objects.filter(
                warehouse_id__in=wh, item_id__in=items, day__gte=min(days), day__lte=max(days)
            )
        }
        if days
        else {}
    )
    new_daily, changed_daily = [], []
    for (w, i, day, reason), (quantity, n) in daily.items():
        row = old_daily.get((w, i, day, reason))
        if row is None:
            new_daily.append(
                StockDaily(
                    warehouse_id=w,
                    item_id=i,
                    day=day,
                    reason=reason,
                    quantity=quantity,
                    movements=n,
                )
            )
        else:
            row.quantity += quantity
            row.movements += n
            changed_daily.append(row)
    StockDaily.objects.bulk_create(new_daily, batch_size=5000)
    StockDaily.objects.bulk_update(changed_daily, ["quantity", "movements"], batch_size=5000)
    old_totals = {
        (r.warehouse_id, r.item_id, r.reason): r
        for r in StockTotal.objects.filter(warehouse_id__in=wh, item_id__in=items)
    }
    new_totals, changed_totals = [], []
    for (w, i, reason), (quantity, n) in totals.items():
        total = old_totals.get((w, i, reason))
        if total is None:
            new_totals.append(
                StockTotal(warehouse_id=w, item_id=i, reason=reason, quantity=quantity, movements=n)
            )
        else:
            total.quantity += quantity
            total.movements += n
            changed_totals.append(total)
    StockTotal.objects.bulk_create(new_totals, batch_size=5000)
    StockTotal.objects.bulk_update(changed_totals, ["quantity", "movements"], batch_size=5000)


def _upsert_item_daily(per_item: dict[tuple[Any, ...], list[Any]]) -> None:
    if not per_item:
        return
    flags = list(SHARE_COLUMNS.values())
    days = [k[1] for k in per_item]
    old = {
        (r.item_id, r.day, r.reason, *(getattr(r, f) for f in flags)): r
        for r in StockItemDaily.objects.filter(
            item_id__in={k[0] for k in per_item}, day__gte=min(days), day__lte=max(days)
        )
    }
    new, changed = [], []
    for key, (quantity, n) in per_item.items():
        row = old.get(key)
        if row is None:
            item, day, reason, *shares = key
            new.append(
                StockItemDaily(
                    item_id=item,
                    day=day,
                    reason=reason,
                    quantity=quantity,
                    movements=n,
                    **dict(zip(flags, shares, strict=True)),
                )
            )
        else:
            row.quantity += quantity
            row.movements += n
            changed.append(row)
    StockItemDaily.objects.bulk_create(new, batch_size=5000)
    StockItemDaily.objects.bulk_update(changed, ["quantity", "movements"], batch_size=5000)
