"""Shapes for the damage choropleth: area polygons where they exist, else settlement cells.

The demo's admin areas carry no boundaries, only its settlements have points.
Then each settlement gets the part of the plane nearer to it than to any other
(a Voronoi cell of the settlement points), clipped to the points' hull widened
by CELL_MARGIN_DEG, so that a cell's colour can stand for its settlement. These
are approximate catchments, not boundaries, and every feature says so.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, mapping, shape

from truce.core.models import AdminArea, Settlement

CELL_MARGIN_DEG = 0.08


def has_polygons(areas: list[AdminArea]) -> bool:
    return any(a.geometry and a.geometry.get("type") in ("Polygon", "MultiPolygon") for a in areas)


def settlement_cells(settlements: list[Settlement]) -> dict[int, dict[str, Any]]:
    """{settlement id: GeoJSON polygon} of approximate cells around the settlement points."""
    points = {
        s.pk: Point(s.geometry["coordinates"][:2])
        for s in settlements
        if s.geometry and s.geometry.get("type") == "Point"
    }
    if not points:
        return {}
    hull = MultiPoint(list(points.values())).convex_hull.buffer(CELL_MARGIN_DEG)
    if len(points) == 1:
        (pk,) = points
        return {pk: mapping(hull)}
    cells = shapely.voronoi_polygons(MultiPoint(list(points.values())), extend_to=hull)
    found: dict[int, dict[str, Any]] = {}
    # Each input point lies in exactly one cell; match them by containment,
    # since the order of the cells is not that of the points.
    remaining = dict(points)
    for cell in shapely.get_parts(cells):
        for pk, point in list(remaining.items()):
            if cell.covers(point):
                clipped = cell.intersection(hull)
                if not clipped.is_empty:
                    found[pk] = mapping(clipped)
                del remaining[pk]
                break
    return found


def area_shape(area: AdminArea) -> dict[str, Any] | None:
    if not area.geometry or area.geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    return mapping(shape(area.geometry))
