"""Mine action totals for a period and an area: selectors, visibility-filtered.

Every total is an aggregate over the rows the reader may see (through
truce.mineaction.selectors), so a total never counts a hidden record and always
equals the sum over the rows the same reader gets from the lists. The figures
(truce/mineaction/figures.py), the totals page, its CSV and the API read these.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import F, FloatField, Sum, Value
from django.db.models.functions import Coalesce

from truce.ledger.models import LedgerEntry
from truce.mineaction import selectors
from truce.mineaction.models import DeviceCategory, HazardArea, HazardStatus

if TYPE_CHECKING:
    from truce.core.models import User
    from truce.core.selectors import BBoxFilter

M2_PER_HA = 10_000.0


@dataclass(frozen=True)
class Where:
    """A period (by result or check date, both ends included) and an area."""

    start: dt.date | None = None
    end: dt.date | None = None
    admin_area: str | None = None
    settlement: str | None = None
    bbox: BBoxFilter | None = None

    def places(self) -> dict[str, Any]:
        return {"admin_area": self.admin_area, "settlement": self.settlement, "bbox": self.bbox}

    def period(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}


@dataclass
class HazardTally:
    count: int = 0
    area_m2: float = 0.0


@dataclass
class Totals:
    where: Where
    cleared_m2: float = 0.0
    reduced_m2: float = 0.0
    cancelled_m2: float = 0.0
    road_km: float = 0.0
    road_checks: int = 0
    buildings_checked: int = 0
    building_checks: int = 0
    items_found: int = 0
    items_destroyed: int = 0
    destroyed_by_category: dict[str, int] = field(default_factory=dict)
    hazards: dict[str, HazardTally] = field(default_factory=dict)

    @property
    def cleared_ha(self) -> float:
        return self.cleared_m2 / M2_PER_HA

    @property
    def reduced_ha(self) -> float:
        return self.reduced_m2 / M2_PER_HA

    @property
    def cancelled_ha(self) -> float:
        return self.cancelled_m2 / M2_PER_HA


def _road_km() -> Any:
    # The operator's stated km when given (it follows the real road), else the drawn line's.
    return Sum(Coalesce(F("stated_km"), F("length_m") / Value(1000.0), output_field=FloatField()))


def mine_action_totals(user: User | None, where: Where) -> Totals:
    """ha cleared (and reduced, cancelled), km of road, buildings, items destroyed, hazards."""
    totals = Totals(where=where)
    results = selectors.results_visible_to(user, **where.period(), **where.places())
    agg = results.aggregate(c=Sum("cancelled_m2"), r=Sum("reduced_m2"), x=Sum("cleared_m2"))
    totals.cancelled_m2 = float(agg["c"] or 0.0)
    totals.reduced_m2 = float(agg["r"] or 0.0)
    totals.cleared_m2 = float(agg["x"] or 0.0)

    roads = selectors.road_checks_visible_to(user, **where.period(), **where.places())
    agg = roads.aggregate(km=_road_km())
    totals.road_km = float(agg["km"] or 0.0)
    totals.road_checks = roads.count()

    buildings = selectors.building_checks_visible_to(user, **where.period(), **where.places())
    totals.buildings_checked = int(buildings.aggregate(n=Sum("buildings"))["n"] or 0)
    totals.building_checks = buildings.count()

    devices = selectors.devices_visible_to(user, **where.period(), **where.places())
    by_category = {
        row["category"]: int(row["n"] or 0)
        for row in devices.values("category").annotate(n=Sum("destroyed")).order_by("category")
    }
    totals.destroyed_by_category = {c: by_category.get(c, 0) for c in DeviceCategory.values}
    totals.items_destroyed = sum(by_category.values())
    totals.items_found = int(devices.aggregate(n=Sum("found"))["n"] or 0)

    totals.hazards = {s: HazardTally() for s in HazardStatus.values}
    for hazard, status in hazard_states_on(user, where.end, **where.places()):
        tally = totals.hazards[status]
        tally.count += 1
        tally.area_m2 += hazard.area_m2
    return totals


def hazard_states_on(
    user: User | None,
    day: dt.date | None,
    *,
    admin_area: str | None = None,
    settlement: str | None = None,
    bbox: BBoxFilter | None = None,
) -> list[tuple[HazardArea, str]]:
    """Each visible hazard area reported by `day` with its status on that day.

    The status on a day is read from the hazard's versions in the ledger: the
    version whose status began latest, on or before the day (open before any).
    Without a day, the current status.
    """
    hazards = selectors.hazard_areas_visible_to(
        user, admin_area=admin_area, settlement=settlement, bbox=bbox
    )
    if day is None:
        return [(h, h.status) for h in hazards]
    rows = list(hazards.filter(reported_on__lte=day))
    by_id = {str(h.public_id): h for h in rows}
    best: dict[str, tuple[str, str]] = {}
    entries = (
        LedgerEntry.objects.filter(record_type=HazardArea.ledger_type(), record_id__in=by_id)
        .order_by("seq")
        .values_list("record_id", "payload")
    )
    cutoff = day.isoformat()
    for record_id, payload in entries:
        data = json.loads(payload)
        since, status = data.get("status_since"), data.get("status")
        if not since or since > cutoff or status not in HazardStatus.values:
            continue
        # A later version beginning on the same day or later supersedes the earlier.
        if record_id not in best or since >= best[record_id][0]:
            best[record_id] = (since, status)
    return [(h, best.get(pid, ("", HazardStatus.OPEN.value))[1]) for pid, h in by_id.items()]


def released_by_hazard(user: User | None, hazards: list[HazardArea]) -> dict[int, dict[str, float]]:
    """Per hazard, the m2 cancelled, reduced and cleared in results the user may see."""
    rows = (
        selectors.results_visible_to(user)
        .filter(activity__hazard__in=hazards)
        .values("activity__hazard_id")
        .annotate(c=Sum("cancelled_m2"), r=Sum("reduced_m2"), x=Sum("cleared_m2"))
        .order_by()
    )
    out: dict[int, dict[str, float]] = {}
    for row in rows:
        c, r, x = float(row["c"] or 0), float(row["r"] or 0), float(row["x"] or 0)
        out[row["activity__hazard_id"]] = {
            "cancelled_m2": c,
            "reduced_m2": r,
            "cleared_m2": x,
            "released_m2": c + r + x,
        }
    return out


@dataclass(frozen=True)
class SeriesPoint:
    day: dt.date
    cleared_ha: float
    items_destroyed: int


def cumulative_series(user: User | None, where: Where) -> list[SeriesPoint]:
    """Cumulative ha cleared and items destroyed, one point per day with a report."""
    cleared: dict[dt.date, float] = defaultdict(float)
    destroyed: dict[dt.date, int] = defaultdict(int)
    results = selectors.results_visible_to(user, **where.period(), **where.places())
    for row in results.values("reported_on").annotate(x=Sum("cleared_m2")).order_by():
        cleared[row["reported_on"]] += float(row["x"] or 0)
    devices = selectors.devices_visible_to(user, **where.period(), **where.places())
    for day, n in devices.values_list("reported_on").annotate(n=Sum("destroyed")).order_by():
        destroyed[day] += int(n or 0)
    points: list[SeriesPoint] = []
    ha = 0.0
    items = 0
    for day in sorted(set(cleared) | set(destroyed)):
        ha += cleared.get(day, 0.0) / M2_PER_HA
        items += destroyed.get(day, 0)
        points.append(SeriesPoint(day, ha, items))
    return points
