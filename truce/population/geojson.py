"""Map layers of displacement and returns, each built from a selector.

Returns by destination settlement (proportional circles on the map), and the
registered households by origin settlement as counts only: a layer never
carries personal data, and counts only what the reader may see.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Sum

from truce.core.models import Settlement
from truce.population.selectors import households_visible_to, returns_by_destination

if TYPE_CHECKING:
    from truce.core.models import User


def _point(settlement: Settlement) -> dict[str, Any] | None:
    geometry = settlement.geometry
    if not geometry or geometry.get("type") != "Point":
        return None
    return dict(geometry)


def returns_layer(
    user: User | None, *, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    """People returned per destination settlement, as GeoJSON points."""
    features = []
    for total in returns_by_destination(user, since=since, until=until):
        geometry = _point(total.settlement)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "pcode": total.settlement.pcode,
                    "name": total.settlement.display_name,
                    "people": total.people,
                    "movements": total.movements,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def household_origins_layer(user: User | None) -> dict[str, Any]:
    """Visible households and people per origin settlement (counts only)."""
    rows = (
        households_visible_to(user)
        .order_by()
        .values("origin_settlement_id")
        .annotate(households=Count("id"), people=Sum("size"))
    )
    counts = {row["origin_settlement_id"]: row for row in rows}
    features = []
    for pk, settlement in Settlement.objects.in_bulk(list(counts)).items():
        geometry = _point(settlement)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "pcode": settlement.pcode,
                    "name": settlement.display_name,
                    "households": counts[pk]["households"],
                    "people": counts[pk]["people"] or 0,
                },
            }
        )
    features.sort(key=lambda f: str(f["properties"]["pcode"]))  # type: ignore[index]
    return {"type": "FeatureCollection", "features": features}
