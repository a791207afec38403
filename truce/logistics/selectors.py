"""Reads of aid logistics, each filtered by party visibility.

Stock levels, movements and rollups are seen by whoever sees the warehouse facility
(and the item); a warehouse's capacity by whoever sees its Warehouse record.
Levels and running totals read a few rows (the kept levels and the daily rollups),
never the movements themselves; a stock card reads a page of movements, each with
the balance it left.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from truce.core.errors import NotFound
from truce.core.models import Facility, FacilityKind, User
from truce.core.sharing import visibility_q, visible, visible_counts
from truce.logistics.models import (
    Consignment,
    ConsignmentLine,
    Item,
    Pledge,
    Request,
    StatedTotal,
    StockDaily,
    StockItemDaily,
    StockLevel,
    StockMovement,
    StockTotal,
    Warehouse,
)

ZERO = Decimal(0)


def _seen(user: User | None, prefix: str) -> Q:
    """Rows whose related record (by `prefix`) the user may see and that is not deleted."""
    return visibility_q(user, prefix=f"{prefix}__") & Q(**{f"{prefix}__is_deleted": False})


def items_visible_to(user: User | None) -> QuerySet[Item]:
    return visible(Item.objects.all(), user)


def item_get(user: User | None, code: str) -> Item:
    item = items_visible_to(user).filter(code=code).first()
    if item is None:
        raise NotFound("no such item")
    return item


def warehouse_facilities_visible_to(user: User | None) -> QuerySet[Facility]:
    return visible(Facility.objects.filter(kind=FacilityKind.WAREHOUSE), user)


def warehouse_get(user: User | None, code: str) -> Facility:
    """A warehouse facility by code (NotFound if hidden: never a 403)."""
    facility = warehouse_facilities_visible_to(user).filter(code=code).first()
    if facility is None:
        raise NotFound("no such warehouse")
    return facility


def warehouse_record_of(user: User | None, facility: Facility) -> Warehouse | None:
    return visible(Warehouse.objects.filter(facility=facility), user).first()


def _facility(user: User | None, warehouse: Facility | str) -> Facility:
    code = warehouse.code if isinstance(warehouse, Facility) else str(warehouse)
    return warehouse_get(user, code)


def _item(user: User | None, item: Item | str) -> Item:
    return item_get(user, item.code if isinstance(item, Item) else str(item))


def stock_levels_visible_to(user: User | None) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(_seen(user, "warehouse"), _seen(user, "item")).select_related(
        "warehouse", "item"
    )


def stock_level(user: User | None, warehouse: Facility | str, item: Item | str) -> Decimal:
    """The current quantity (in the item's unit); NotFound for a hidden warehouse or item."""
    place = _facility(user, warehouse)
    goods = _item(user, item)
    row = StockLevel.objects.filter(warehouse=place, item=goods).values_list("quantity").first()
    return row[0] if row else ZERO


@dataclass(frozen=True)
class WarehouseStock:
    """A warehouse with what it holds, its weight and the capacity left."""

    facility: Facility
    record: Warehouse | None
    levels: list[StockLevel]
    weight_t: Decimal

    @property
    def capacity_t(self) -> Decimal | None:
        return self.record.capacity_t if self.record else None

    @property
    def free_t(self) -> Decimal | None:
        if self.capacity_t is None:
            return None
        return self.capacity_t - self.weight_t

    @property
    def used_share(self) -> float | None:
        if not self.capacity_t:
            return None
        return float(self.weight_t / self.capacity_t)


def warehouse_stock(user: User | None, warehouse: Facility | str) -> WarehouseStock:
    """What a warehouse holds (levels above zero) and its free capacity in tonnes."""
    place = _facility(user, warehouse)
    # The facility is known: join only the items (a facility row carries its geometry).
    levels = list(
        StockLevel.objects.filter(_seen(user, "item"), warehouse=place, quantity__gt=0)
        .select_related("item")
        # Only what the page shows: no timestamps or ids to parse for every row.
        .only(
            "quantity",
            "warehouse_id",
            "item__code",
            "item__name",
            "item__category",
            "item__unit",
            "item__unit_weight_kg",
        )
        .order_by("item__category", "item__name")
    )
    for level in levels:
        level.warehouse = place
    weight_kg = sum((lv.quantity * lv.item.unit_weight_kg for lv in levels), ZERO)
    return WarehouseStock(
        facility=place,
        record=warehouse_record_of(user, place),
        levels=levels,
        weight_t=weight_kg / 1000,
    )


def warehouses_with_stock(user: User | None) -> list[WarehouseStock]:
    return [warehouse_stock(user, f) for f in warehouse_facilities_visible_to(user)]


def movements_visible_to(user: User | None) -> QuerySet[StockMovement]:
    return (
        visible(StockMovement.objects.all(), user)
        .filter(_seen(user, "item"))
        .select_related("warehouse", "item", "consignment", "created_by")
    )


def stock_card(
    user: User | None,
    warehouse: Facility | str,
    item: Item | str,
    *,
    limit: int = 100,
    before_id: int | None = None,
) -> list[StockMovement]:
    """The newest movements of an item at a warehouse, each with its running balance.

    Pages backwards by id (`before_id`), so a card of millions of movements reads
    `limit` rows from the (warehouse, item, id) index.
    """
    place = _facility(user, warehouse)
    goods = _item(user, item)
    rows = movements_visible_to(user).filter(warehouse=place, item=goods)
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    return list(rows.order_by("-id")[:limit])


def running_totals(
    user: User | None,
    *,
    item: Item | str | None = None,
    warehouse: Facility | str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Decimal]:
    """Net quantity moved per reason over a period, from the rollups.

    Without a period it reads the all-time totals (a row per warehouse, item and
    reason); an item's period over every warehouse reads the per-item daily rows
    keyed by visibility; a period at one warehouse, its daily rows.
    """
    rows: QuerySet[Any]
    if start is None and end is None:
        rows = StockTotal.objects.filter(_seen(user, "warehouse"), _seen(user, "item"))
    elif warehouse is None:
        rows = visible_counts(StockItemDaily.objects.all(), user).filter(_seen(user, "item"))
    else:
        rows = StockDaily.objects.filter(_seen(user, "warehouse"), _seen(user, "item"))
    # One dict of filters for the three rollups (the type checker sees one model only).
    filters: dict[str, Any] = {}
    if item is not None:
        filters["item__code"] = item.code if isinstance(item, Item) else str(item)
    if warehouse is not None:
        filters["warehouse"] = _facility(user, warehouse)
    if start is not None:
        filters["day__gte"] = start
    if end is not None:
        filters["day__lte"] = end
    rows = rows.filter(**filters)
    totals = rows.values("reason").annotate(total=Sum("quantity")).order_by("reason")
    return {row["reason"]: row["total"] or ZERO for row in totals}


def daily_totals(
    user: User | None, *, item: Item | str, warehouse: Facility | str | None = None
) -> list[dict[str, Any]]:
    """Per day: the net change per reason and the running balance at the day's end."""
    rows = StockDaily.objects.filter(
        _seen(user, "warehouse"), _seen(user, "item"), item=_item(user, item)
    )
    if warehouse is not None:
        rows = rows.filter(warehouse=_facility(user, warehouse))
    per_day: dict[dt.date, dict[str, Decimal]] = defaultdict(dict)
    for row in rows.values("day", "reason").annotate(total=Sum("quantity")).order_by("day"):
        per_day[row["day"]][row["reason"]] = row["total"]
    balance = ZERO
    result = []
    for day in sorted(per_day):
        balance += sum(per_day[day].values(), ZERO)
        result.append({"day": day, "reasons": per_day[day], "balance": balance})
    return result


def stock_by_category(user: User | None) -> dict[str, Decimal]:
    """Tonnes on hand per item category over every warehouse the user sees."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for level in stock_levels_visible_to(user).filter(quantity__gt=0):
        totals[level.item.category] += level.quantity * level.item.unit_weight_kg / 1000
    return dict(totals)


def requests_visible_to(user: User | None) -> QuerySet[Request]:
    return (
        visible(Request.objects.all(), user)
        .filter(_seen(user, "item"))
        .select_related("item", "requested_by", "settlement", "facility")
    )


def request_get(user: User | None, public_id: uuid.UUID | str) -> Request:
    row = requests_visible_to(user).filter(public_id=_uuid(public_id)).first()
    if row is None:
        raise NotFound("no such request")
    return row


def pledges_visible_to(user: User | None) -> QuerySet[Pledge]:
    return (
        visible(Pledge.objects.all(), user)
        .filter(_seen(user, "item"))
        .select_related("item", "donor", "request")
    )


def pledge_get(user: User | None, public_id: uuid.UUID | str) -> Pledge:
    row = pledges_visible_to(user).filter(public_id=_uuid(public_id)).first()
    if row is None:
        raise NotFound("no such pledge")
    return row


def consignments_visible_to(user: User | None) -> QuerySet[Consignment]:
    lines = visible(ConsignmentLine.objects.select_related("item"), user)
    return (
        visible(Consignment.objects.all(), user)
        .select_related("origin", "owner", "pledge")
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="visible_lines"))
    )


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such record") from None


def consignment_get(user: User | None, public_id: uuid.UUID | str) -> Consignment:
    """A consignment by public id (NotFound if hidden)."""
    row = consignments_visible_to(user).filter(public_id=_uuid(public_id)).first()
    if row is None:
        raise NotFound("no such consignment")
    return row


def consignment_by_reference(user: User | None, reference: str) -> Consignment:
    row = consignments_visible_to(user).filter(reference=reference).first()
    if row is None:
        raise NotFound("no such consignment")
    return row


def consignment_lines(user: User | None, consignment: Consignment) -> list[ConsignmentLine]:
    lines = getattr(consignment, "visible_lines", None)
    if lines is not None:
        return list(lines)
    return list(visible(consignment.lines.select_related("item"), user))


def consignment_weight_kg(user: User | None, consignment: Consignment) -> Decimal:
    return sum((line.weight_kg for line in consignment_lines(user, consignment)), ZERO)


def stated_totals_visible_to(user: User | None) -> QuerySet[StatedTotal]:
    return visible(StatedTotal.objects.all(), user)


def stated_total_get(user: User | None, code: str) -> StatedTotal:
    row = stated_totals_visible_to(user).filter(code=code).first()
    if row is None:
        raise NotFound("no such stated total")
    return row
