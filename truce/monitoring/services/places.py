"""Where things are: the zone containing a point, the settlement nearest to one.

Zones and settlements change rarely and are read on every ingest, so each is
held in a per-process shapely STRtree, rebuilt when a cheap fingerprint of the
table (row count, sum of versions, last update) changes. These lookups serve
the mission's own record (an observation's zone, an incident's nearest
settlement), so they ignore visibility; selectors apply it when reading.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from django.db import connection
from shapely.geometry import shape

from truce.core.models import Settlement, Zone, ZoneKind
from truce.lib.bearings import GEOD

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

T = TypeVar("T")


def _fingerprints() -> dict[str, tuple[Any, ...]]:
    """Row count, sum of versions, last update and last id of zones and settlements (one query).

    Any create, update or tombstone changes at least one of them.
    """
    q = connection.ops.quote_name
    parts = [
        f"SELECT '{m._meta.model_name}', COUNT(*), SUM({q('version')}), "  # noqa: S608
        f"MAX({q('updated_at')}), MAX({q('id')}) FROM {q(m._meta.db_table)}"
        for m in (Zone, Settlement)
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


class _Cached(Generic[T]):
    """A value rebuilt whenever its table's fingerprint changes (thread-safe)."""

    def __init__(self, model: type[Zone] | type[Settlement], build: Callable[[], T]) -> None:
        self._name = str(model._meta.model_name)
        self._build = build
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._value: T | None = None

    def get(self, stamps: dict[str, tuple[Any, ...]] | None = None) -> T:
        stamp = (stamps or _fingerprints())[self._name]
        with self._lock:
            if self._value is None or stamp != self._stamp:
                self._value = self._build()
                self._stamp = stamp
            return self._value


@dataclass(frozen=True)
class ZoneIndex:
    tree: shapely.STRtree | None
    ids: IntArray
    # Lower ranks win where zones overlap: a zone of responsibility before a corridor.
    ranks: IntArray
    by_id: dict[int, Zone]

    def zones_at(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> IntArray:
        """The id of the zone containing each point (0 where none, or the point is NaN)."""
        lon_a = np.asarray(lon, float)
        lat_a = np.asarray(lat, float)
        result = np.zeros(lon_a.shape, np.int64)
        ok = np.isfinite(lon_a) & np.isfinite(lat_a)
        if self.tree is None or not ok.any():
            return result
        where = np.flatnonzero(ok)
        points = shapely.points(lon_a[where], lat_a[where])
        hit_point, hit_zone = self.tree.query(points, predicate="intersects")
        if hit_point.size == 0:
            return result
        # Per point, keep the best-ranked zone: sort by (point, rank) and take the first.
        order = np.lexsort((self.ranks[hit_zone], hit_point))
        hit_point, hit_zone = hit_point[order], hit_zone[order]
        first = np.ones(hit_point.size, bool)
        first[1:] = hit_point[1:] != hit_point[:-1]
        result[where[hit_point[first]]] = self.ids[hit_zone[first]]
        return result


def _build_zones() -> ZoneIndex:
    zones = [z for z in Zone.objects.filter(is_deleted=False).order_by("code") if z.geometry]
    if not zones:
        return ZoneIndex(None, np.zeros(0, np.int64), np.zeros(0, np.int64), {})
    geoms = [shape(z.geometry) for z in zones]
    ranks = [
        (0 if z.kind == ZoneKind.RESPONSIBILITY else 1) * len(zones) + i
        for i, z in enumerate(zones)
    ]
    return ZoneIndex(
        shapely.STRtree(geoms),
        np.array([z.pk for z in zones], np.int64),
        np.array(ranks, np.int64),
        {z.pk: z for z in zones},
    )


@dataclass(frozen=True)
class SettlementIndex:
    tree: shapely.STRtree | None
    ids: IntArray
    lon: FloatArray
    lat: FloatArray
    lat0: float
    by_id: dict[int, Settlement]

    def nearest(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
        """Nearest settlement id (0 if none) and the geodesic distance in metres (NaN if none).

        The tree holds longitudes scaled by cos(lat0) so that degrees are
        roughly square near the settlements; the distance itself is geodesic.
        """
        lon_a = np.asarray(lon, float)
        lat_a = np.asarray(lat, float)
        ids = np.zeros(lon_a.shape, np.int64)
        dist = np.full(lon_a.shape, np.nan)
        ok = np.isfinite(lon_a) & np.isfinite(lat_a)
        if self.tree is None or not ok.any():
            return ids, dist
        where = np.flatnonzero(ok)
        scale = math.cos(math.radians(self.lat0))
        points = shapely.points(lon_a[where] * scale, lat_a[where])
        hit_point, hit_tree = self.tree.query_nearest(points, all_matches=False)
        targets = where[hit_point]
        ids[targets] = self.ids[hit_tree]
        _, _, meters = GEOD.inv(
            lon_a[targets], lat_a[targets], self.lon[hit_tree], self.lat[hit_tree]
        )
        dist[targets] = np.asarray(meters, float)
        return ids, dist


def _build_settlements() -> SettlementIndex:
    rows = [
        s
        for s in Settlement.objects.filter(is_deleted=False, min_lon__isnull=False).order_by("id")
        if s.geometry and s.geometry.get("type") == "Point"
    ]
    if not rows:
        empty = np.zeros(0)
        return SettlementIndex(None, np.zeros(0, np.int64), empty, empty, 0.0, {})
    lon = np.array([s.min_lon for s in rows], float)
    lat = np.array([s.min_lat for s in rows], float)
    lat0 = float(lat.mean())
    scale = math.cos(math.radians(lat0))
    return SettlementIndex(
        shapely.STRtree(shapely.points(lon * scale, lat)),
        np.array([s.pk for s in rows], np.int64),
        lon,
        lat,
        lat0,
        {s.pk: s for s in rows},
    )


_zones: _Cached[ZoneIndex] = _Cached(Zone, _build_zones)
_settlements: _Cached[SettlementIndex] = _Cached(Settlement, _build_settlements)


def zone_index() -> ZoneIndex:
    """The current zones (one fingerprint query; a rebuild only after a change)."""
    return _zones.get()


def settlement_index() -> SettlementIndex:
    return _settlements.get()


@dataclass(frozen=True)
class Places:
    """Zones and settlements as of one moment, for one service call to share."""

    zones: ZoneIndex
    settlements: SettlementIndex


def places_now() -> Places:
    """Both indexes, checked against the database with a single query."""
    stamps = _fingerprints()
    return Places(_zones.get(stamps), _settlements.get(stamps))
