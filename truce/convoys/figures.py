"""Convoy figures: construction materials delivered, convoys departed, lorries on the road.

Each counts only what the reader may see and lists the records behind it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.convoys.models import ConvoyStatus
from truce.convoys.selectors import (
    convoys_visible_to,
    deliveries_visible_to,
    lorries_visible_to,
    seen_delivery,
)
from truce.core.figures import FigureQuery, figure

CONSTRUCTION = "construction_materials"


@figure(
    "convoys_construction_materials_delivered_t",
    label=_("Construction materials delivered"),
    unit="t",
    description=(
        "Tonnes of construction materials delivered to settlements, shelters and "
        "organisations up to the day (delivery records), by settlement."
    ),
)
def _construction_delivered(query: FigureQuery) -> Any:
    rows = deliveries_visible_to(query.user).filter(item__category=CONSTRUCTION)
    if query.as_of is not None:
        rows = rows.filter(delivered_on__lte=query.as_of)
    records = list(rows)
    total = sum((d.weight_t for d in records), Decimal(0))
    by_place: dict[str, float] = {}
    for d in records:
        # The breakdown names only the places the reader may see; the rest are "other".
        seen = seen_delivery(query.user, d)
        place = seen.seen_settlement or seen.seen_shelter or seen.seen_recipient  # type: ignore[attr-defined]
        name = str(place) if place is not None else "other"
        by_place[name] = by_place.get(name, 0.0) + float(d.weight_t)
    return float(total), records, by_place


def _departed(query: FigureQuery) -> list[Any]:
    rows = (
        convoys_visible_to(query.user)
        .filter(departed_at__isnull=False)
        .exclude(status=ConvoyStatus.CANCELLED)
    )
    if query.as_of is not None:
        rows = rows.filter(departed_at__date__lte=query.as_of)
    return list(rows)


@figure(
    "convoys_departed",
    label=_("Convoys departed"),
    unit="convoys",
    description="Convoys that left their warehouse up to the day, by status.",
)
def _convoys_departed(query: FigureQuery) -> Any:
    convoys = _departed(query)
    by_status: dict[str, int] = {}
    for convoy in convoys:
        by_status[convoy.status] = by_status.get(convoy.status, 0) + 1
    return len(convoys), convoys, by_status


@figure(
    "convoys_lorries",
    label=_("Lorries of convoys departed"),
    unit="lorries",
    description=(
        "Lorries of the convoys that left on the day (all days without a date), by convoy."
    ),
)
def _convoys_lorries(query: FigureQuery) -> Any:
    rows = convoys_visible_to(query.user).filter(departed_at__isnull=False)
    if query.as_of is not None:
        rows = rows.filter(departed_at__date=query.as_of)
    lorries = []
    by_convoy: dict[str, int] = {}
    for convoy in rows:
        found = lorries_visible_to(query.user, convoy=convoy)
        lorries.extend(found)
        by_convoy[convoy.reference] = len(found)
    return len(lorries), lorries, by_convoy
