"""Logistics figures: stock on hand, consignments' tonnage, and cargo totals as stated.

Each counts only what the reader may see and lists its supporting records: the
latest movement of each stock level (its balance is the level), the consignments,
the stated totals. A stated total is a figure of its own, never added to a computed one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Max, Sum
from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.logistics.models import ConsignmentStatus, ItemCategory, StockDaily
from truce.logistics.selectors import (
    _seen,
    consignment_lines,
    consignments_visible_to,
    movements_visible_to,
    stated_totals_visible_to,
)

_CATEGORY = dict(ItemCategory.choices)


def _t(kg: Decimal) -> float:
    return round(float(kg) / 1000, 3)


@figure(
    "logistics_stock_on_hand_t",
    label=_("Stock on hand"),
    unit="t",
    description=(
        "Tonnes held in the warehouses the reader sees (on the day, from the daily rollups, "
        "or now from the kept levels), by item category."
    ),
)
def _stock_on_hand(query: FigureQuery) -> Any:
    rows = StockDaily.objects.filter(_seen(query.user, "warehouse"), _seen(query.user, "item"))
    if query.as_of is not None:
        rows = rows.filter(day__lte=query.as_of)
    pairs = rows.values("warehouse_id", "item_id", "item__category", "item__unit_weight_kg")
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for row in pairs.annotate(total=Sum("quantity")):
        by_category[str(_CATEGORY[row["item__category"]])] += (
            row["total"] * row["item__unit_weight_kg"]
        )
    moves = movements_visible_to(query.user)
    if query.as_of is not None:
        end = dt.datetime.combine(query.as_of + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
        moves = moves.filter(occurred_at__lt=end)
    latest = moves.values("warehouse_id", "item_id").annotate(last=Max("id")).values("last")
    records = list(movements_visible_to(query.user).filter(id__in=latest))
    total = sum(by_category.values(), Decimal(0))
    return _t(total), records, {k: _t(v) for k, v in by_category.items() if v}


@figure(
    "logistics_consignments_t",
    label=_("Consignments' tonnage"),
    unit="t",
    description=(
        "Weight of the consignments made up by the day (not cancelled), by item category "
        "and by origin warehouse."
    ),
)
def _consignments(query: FigureQuery) -> Any:
    rows = consignments_visible_to(query.user).exclude(status=ConsignmentStatus.CANCELLED)
    if query.as_of is not None:
        rows = rows.filter(prepared_on__lte=query.as_of)
    consignments = list(rows)
    breakdown: dict[str, Decimal] = defaultdict(Decimal)
    total = Decimal(0)
    origin_label = str(_("from"))
    for consignment in consignments:
        for line in consignment_lines(query.user, consignment):
            breakdown[str(_CATEGORY[line.item.category])] += line.weight_kg
            breakdown[f"{origin_label} {consignment.origin.code}"] += line.weight_kg
            total += line.weight_kg
    return _t(total), consignments, {k: _t(v) for k, v in breakdown.items()}


@figure(
    "logistics_cargo_stated",
    label=_("Humanitarian cargo, as stated"),
    unit="t",
    description=(
        "Cargo totals as a source states them (for example the later briefing's), with the "
        "source; shown beside the computed totals and never added to them."
    ),
)
def _cargo_stated(query: FigureQuery) -> Any:
    rows = stated_totals_visible_to(query.user)
    if query.as_of is not None:
        rows = rows.filter(as_of__lte=query.as_of)
    stated = list(rows.order_by("-as_of", "code"))
    general = [s for s in stated if not s.category]
    value = float(general[0].quantity) if general else None
    breakdown = {f"{s.qualifier} {s.what}".strip(): float(s.quantity) for s in stated}
    return value, stated, breakdown
