"""Mine action figures: the running totals the briefings quote.

Asked "as of" a day, a figure counts the results and checks reported up to
that day (from the start); the area is an admin area's or a settlement's
P-code. Each figure lists the records it sums, so it can be traced to them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.core.models import Settlement
from truce.mineaction import rollups, selectors
from truce.mineaction.models import DeviceCategory, HazardStatus


def _places(query: FigureQuery) -> dict[str, Any]:
    if not query.area:
        return {}
    if Settlement.objects.filter(pcode=query.area).exists():
        return {"settlement": query.area}
    return {"admin_area": query.area}


def _period(query: FigureQuery) -> dict[str, Any]:
    return {"end": query.as_of} if query.as_of else {}


@figure(
    "mineaction_land_cleared_ha",
    label=_("Land cleared"),
    unit="ha",
    description=(
        "Hectares cleared in the land release results reported up to the day (cancelled and "
        "reduced land shown beside it, not counted)."
    ),
)
def _land_cleared(query: FigureQuery) -> Any:
    results = list(selectors.results_visible_to(query.user, **_period(query), **_places(query)))
    cleared = sum(r.cleared_m2 for r in results) / rollups.M2_PER_HA
    breakdown = {
        str(_("reduced (ha)")): round(sum(r.reduced_m2 for r in results) / rollups.M2_PER_HA, 2),
        str(_("cancelled (ha)")): round(
            sum(r.cancelled_m2 for r in results) / rollups.M2_PER_HA, 2
        ),
    }
    return round(cleared, 2), [r for r in results if r.cleared_m2 > 0], breakdown


@figure(
    "mineaction_road_checked_km",
    label=_("Road checked"),
    unit="km",
    description=(
        "Kilometres of road checked up to the day: the operator's stated km where it reports "
        "one, otherwise the geodesic length of the line checked."
    ),
)
def _road_checked(query: FigureQuery) -> Any:
    rows = list(selectors.road_checks_visible_to(query.user, **_period(query), **_places(query)))
    return round(sum(r.km for r in rows), 1), rows


@figure(
    "mineaction_buildings_checked",
    label=_("Buildings checked"),
    unit="buildings",
    description="Buildings checked for explosive ordnance up to the day.",
)
def _buildings(query: FigureQuery) -> Any:
    rows = list(
        selectors.building_checks_visible_to(query.user, **_period(query), **_places(query))
    )
    return sum(r.buildings for r in rows), rows


@figure(
    "mineaction_items_destroyed",
    label=_("Explosive items destroyed"),
    unit="items",
    description="Explosive items destroyed up to the day, by category.",
)
def _items(query: FigureQuery) -> Any:
    rows = list(selectors.devices_visible_to(query.user, **_period(query), **_places(query)))
    labels = dict(DeviceCategory.choices)
    by_category: dict[str, int] = {}
    for row in rows:
        name = str(labels[row.category])
        by_category[name] = by_category.get(name, 0) + row.destroyed
    return sum(r.destroyed for r in rows), rows, by_category


@figure(
    "mineaction_hazards_open",
    label=_("Open hazard areas"),
    unit="areas",
    description=(
        "Hazard areas open on the day (reported by then, not yet closed or handed over), "
        "with their area in ha."
    ),
)
def _hazards_open(query: FigureQuery) -> Any:
    states = rollups.hazard_states_on(query.user, query.as_of, **_places(query))
    rows = [h for h, status in states if status == HazardStatus.OPEN]
    area = sum(h.area_m2 for h in rows) / rollups.M2_PER_HA
    return len(rows), rows, {str(_("area (ha)")): round(area, 2)}
