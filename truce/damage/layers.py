"""The damage map's GeoJSON layers, each built from selectors (so from what the reader may see).

- structures: a point per visible structure, coloured by grade;
- choropleth: admin area polygons where the areas have them, otherwise the
  approximate settlement cells of truce.damage.cells, each with the reader's
  tally from the rollups and the value of the chosen measure.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from truce.core.errors import InvalidInput
from truce.core.models import AdminArea, Settlement, User
from truce.core.selectors import BBoxFilter
from truce.core.sharing import visible
from truce.damage import cells, selectors
from truce.damage.models import NEED_KEYS, Grade
from truce.damage.selectors import Tally
from truce.damage.serializers import structure_feature

MEASURES: tuple[str, ...] = (*Grade.values, "total", *NEED_KEYS)
MAX_STRUCTURE_FEATURES = 20_000


def measure_of(tally: Tally, measure: str) -> float:
    if measure in tally.by_grade:
        return tally.by_grade[measure]
    if measure == "total":
        return tally.total
    return tally.needs[measure]


def check_measure(measure: str | None) -> str:
    measure = measure or Grade.DESTROYED.value
    if measure not in MEASURES:
        raise InvalidInput(f"measure must be one of {', '.join(MEASURES)}", field="measure")
    return measure


def structures_collection(
    user: User,
    *,
    settlement: str | None = None,
    area: str | None = None,
    grade: str | None = None,
    use: str | None = None,
    bbox: BBoxFilter | None = None,
) -> dict[str, Any]:
    """The visible structures as points (at most MAX_STRUCTURE_FEATURES; `truncated` says so)."""
    rows = selectors.structures_visible_to(
        user, settlement=settlement, area=area, grade=grade, use=use, bbox=bbox
    )
    found = list(rows[: MAX_STRUCTURE_FEATURES + 1])
    return {
        "type": "FeatureCollection",
        "truncated": len(found) > MAX_STRUCTURE_FEATURES,
        "features": [structure_feature(s, user) for s in found[:MAX_STRUCTURE_FEATURES]],
    }


def choropleth_collection(user: User, *, measure: str | None = None) -> dict[str, Any]:
    """Areas (or approximate settlement cells) with the reader's counts and the measure."""
    measure = check_measure(measure)
    areas = list(visible(AdminArea.objects.filter(level=1), user))
    features: list[dict[str, Any]] = []
    if cells.has_polygons(areas):
        by_id = {a.pk: a for a in areas}
        for row in selectors.rollup_by_area(user):
            area = by_id.get(row.place.pk) if row.place is not None else None
            geometry = cells.area_shape(area) if area is not None else None
            if area is None or geometry is None:
                continue
            url = reverse("damage:rollup-settlements") + f"?area={area.pcode}"
            features.append(_feature(area, geometry, row.tally, measure, url, "area"))
        return _collection(features, measure, approximate=False)
    tallies = {
        r.place.pk: r.tally for r in selectors.rollup_by_settlement(user) if r.place is not None
    }
    settlements = list(visible(Settlement.objects.all(), user))
    shapes = cells.settlement_cells(settlements)
    for s in settlements:
        if s.pk not in shapes:
            continue
        url = reverse("damage:rollup-settlement", kwargs={"pcode": s.pcode})
        tally = tallies.get(s.pk, Tally())
        features.append(_feature(s, shapes[s.pk], tally, measure, url, "cell"))
    return _collection(features, measure, approximate=True)


def _feature(
    place: Settlement | AdminArea,
    geometry: dict[str, Any],
    tally: Tally,
    measure: str,
    url: str,
    kind: str,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": str(place.public_id),
        "geometry": geometry,
        "properties": {
            "name": place.display_name,
            "pcode": place.pcode,
            "kind": kind,
            "value": measure_of(tally, measure),
            "total": tally.total,
            "by_grade": tally.by_grade,
            "url": url,
        },
    }


def _collection(
    features: list[dict[str, Any]], measure: str, *, approximate: bool
) -> dict[str, Any]:
    values = [f["properties"]["value"] for f in features]
    return {
        "type": "FeatureCollection",
        "measure": measure,
        "approximate": approximate,
        "note": _("Approximate settlement catchments (nearest settlement), not boundaries.")
        if approximate
        else _("Administrative areas."),
        "max": max(values, default=0),
        "features": features,
    }
