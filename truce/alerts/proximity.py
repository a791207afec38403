"""Distances from event positions to settlements or the corridor, in metres.

Targets are projected once into a transverse Mercator centred on them (scale
exactly 1 on its central meridian, so across a mission area a distance is
true to far better than the metre) and indexed in an STRtree, cached per
process. The cache key carries the ledger's last settlement or zone entry
(truce.ledger.selectors.type_heads), so an edited settlement or corridor is
picked up by the next observation without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db.models import QuerySet
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from truce.alerts.rules import TARGET_CORRIDOR
from truce.core.models import Settlement, Zone, ZoneKind
from truce.ledger.selectors import TypeHead, type_heads
from truce.lib import geo

_MAX_ENTRIES = 32


@dataclass(frozen=True)
class Target:
    """A settlement or corridor as an alert names it.

    `names` are a settlement's names by language ("display" being the
    mission's own), so an alert can name it in each reader's language
    without reading the settlement again.
    """

    kind: str
    code: str
    name: str
    public_id: str
    names: tuple[tuple[str, str], ...] = ()


NAME_LANGUAGES = ("en", "ru", "hy", "az")


def place_names(settlement: Settlement) -> tuple[tuple[str, str], ...]:
    """("display", the mission's name), then each language that has a name of its own."""
    names = [("display", settlement.display_name)]
    for language in NAME_LANGUAGES:
        name = getattr(settlement, f"name_{language}", "")
        if name:
            names.append((language, name))
    return tuple(names)


@dataclass(frozen=True)
class Hit:
    target: Target
    distance_m: float


class TargetIndex:
    """Projected target geometries in an STRtree, for exact nearest-within queries."""

    def __init__(self, targets: list[Target], shapes: list[BaseGeometry]) -> None:
        self.targets = targets
        bounds = shapely.total_bounds(np.array(shapes, dtype=object))
        lon0 = (bounds[0] + bounds[2]) / 2
        lat0 = (bounds[1] + bounds[3]) / 2
        self._transformer = Transformer.from_crs(
            "EPSG:4326",
            f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 "
            "+datum=WGS84 +units=m +no_defs",
            always_xy=True,
        )
        projected = [shapely.transform(shape, self._project) for shape in shapes]
        self._tree = shapely.STRtree(projected)

    def _project(self, coords: Any) -> Any:
        x, y = self._transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def nearest_within(
        self, positions: list[tuple[float, float]], distance_m: float
    ) -> list[Hit | None]:
        """For each (lon, lat), the nearest target no farther than distance_m, or None."""
        if not positions:
            return []
        coords = np.array(positions, dtype=float)
        points = shapely.points(self._project(coords))
        hits: list[Hit | None] = [None] * len(positions)
        found, distances = self._tree.query_nearest(
            points, max_distance=distance_m, return_distance=True
        )
        # Equidistant targets come back together; the first one names the hit.
        for (point_index, target_index), distance in zip(found.T, distances, strict=True):
            if hits[point_index] is None:
                hits[point_index] = Hit(self.targets[target_index], float(distance))
        return hits


_cache: dict[tuple[Any, ...], TargetIndex | None] = {}
_lock = threading.Lock()


def _rows(target: str, pcodes: tuple[str, ...] | None) -> QuerySet[Any]:
    if target == TARGET_CORRIDOR:
        zones: QuerySet[Any] = Zone.objects.filter(
            kind=ZoneKind.CORRIDOR, is_deleted=False, geometry__isnull=False
        )
        return zones
    settlements: QuerySet[Any] = Settlement.objects.filter(is_deleted=False, geometry__isnull=False)
    if pcodes:
        settlements = settlements.filter(pcode__in=pcodes)
    return settlements


def _build(target: str, rows: QuerySet[Any]) -> TargetIndex | None:
    targets: list[Target] = []
    shapes: list[BaseGeometry] = []
    for row in rows.order_by("pk"):
        try:
            shape = geo.parse_geometry(row.geometry)
        except geo.GeometryError:
            continue  # stored through the write path, so valid; a bad row is skipped
        if target == TARGET_CORRIDOR:
            targets.append(Target("corridor", row.code, row.name, str(row.public_id)))
        else:
            targets.append(
                Target(
                    "settlement", row.pcode, row.display_name, str(row.public_id), place_names(row)
                )
            )
        shapes.append(shape)
    return TargetIndex(targets, shapes) if shapes else None


TARGET_TYPES = (Settlement.ledger_type(), Zone.ledger_type())


def target_index(
    target: str,
    pcodes: tuple[str, ...] | None = None,
    heads: Mapping[str, TypeHead] | None = None,
) -> TargetIndex | None:
    """The index of a rule's targets (None when there are none to be near)."""
    record_type = Zone.ledger_type() if target == TARGET_CORRIDOR else Settlement.ledger_type()
    if heads is None or record_type not in heads:
        heads = type_heads(TARGET_TYPES)
    key = (target, pcodes, heads[record_type])
    if key in _cache:
        return _cache[key]
    index = _build(target, _rows(target, pcodes))
    with _lock:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[key] = index
    return index


def clear_cache() -> None:
    with _lock:
        _cache.clear()
