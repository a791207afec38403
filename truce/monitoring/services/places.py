"""Where things are: the zone containing a point, the settlement nearest to one.

Zones and settlements change rarely and are read on every ingest, so each is
held in a per-process shapely STRtree, rebuilt when the ledger shows a write
of that record type since it was built (truce.ledger.cache). These lookups serve
the mission's own record (an observation's zone, an incident's nearest
settlement), so they ignore visibility; selectors apply it when reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape

from truce.core.models import Settlement, Zone, ZoneKind
from truce.ledger.cache import RecordsCache
from truce.ledger.selectors import TypeHead, type_heads
from truce.lib.bearings import GEOD

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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


ZONE_TYPE = Zone.ledger_type()
SETTLEMENT_TYPE = Settlement.ledger_type()
PLACE_TYPES = (ZONE_TYPE, SETTLEMENT_TYPE)
_zones: RecordsCache[ZoneIndex] = RecordsCache([ZONE_TYPE], _build_zones)
_settlements: RecordsCache[SettlementIndex] = RecordsCache([SETTLEMENT_TYPE], _build_settlements)


def zone_index(heads: Mapping[str, TypeHead] | None = None) -> ZoneIndex:
    """The current zones (one small query; a rebuild only after a change)."""
    return _zones.get(heads)


def settlement_index(heads: Mapping[str, TypeHead] | None = None) -> SettlementIndex:
    return _settlements.get(heads)


@dataclass(frozen=True)
class Places:
    """Zones and settlements as of one moment, for one service call to share."""

    zones: ZoneIndex
    settlements: SettlementIndex


def places_now(heads: Mapping[str, TypeHead] | None = None) -> Places:
    """Both indexes, checked against the ledger's type heads (given, or read in one query)."""
    if heads is None:
        heads = type_heads(PLACE_TYPES)
    return Places(_zones.get(heads), _settlements.get(heads))
