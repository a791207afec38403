"""Reads of mine action records, filtered by the reader's party (ARCHITECTURE.md, 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum

from truce.core.models import User
from truce.core.sharing import visible
from truce.mineaction.models import HazardArea, HazardStatus


def hazard_areas_visible_to(user: User | None) -> QuerySet[HazardArea]:
    return visible(HazardArea.objects.filter(is_deleted=False), user)


@dataclass(frozen=True)
class HazardShape:
    """What routing needs of an open hazard area: who it is and where."""

    public_id: str
    reference: str
    name: str
    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]


def open_hazards_for_routing() -> list[HazardShape]:
    """Every open hazard area, whoever may read it.

    Routes avoid all open hazards the mission knows of, not only those the
    asking user may read: safety comes first. What a route reports of a
    hazard it avoided is filtered by the reader (truce.routing decides that).
    """
    rows = HazardArea.objects.filter(is_deleted=False, status=HazardStatus.OPEN).values_list(
        "public_id", "reference", "name", "geometry", "min_lon", "min_lat", "max_lon", "max_lat"
    )
    # The write path requires a polygon, so geometry and its box are never null here.
    return [
        HazardShape(str(pid), ref, name, geom, (x0, y0, x1, y1))  # type: ignore[arg-type]
        for pid, ref, name, geom, x0, y0, x1, y1 in rows
    ]


def hazards_state_key() -> tuple[int, int]:
    """Changes whenever any hazard area is written (one aggregate over the table).

    Every write (create, update, tombstone) adds one to some row's version, so
    (rows, sum of versions) strictly changes. Routing caches the edges blocked
    by open hazards under this key, so a hazard update applies to the very
    next route query.
    """
    agg = HazardArea.objects.aggregate(n=Count("id"), v=Sum("version"))
    return (int(agg["n"] or 0), int(agg["v"] or 0))
