"""The routing engine: a road graph in CSR arrays, masks, snapping, shortest paths. No Django.

Built once per network version (truce.routing.services caches it in the
process) from plain arrays of the network's segments:

- Nodes are the segments' end nodes. Each segment is one directed edge
  (node_from -> node_to, the geometry's direction) and, unless one-way, one
  edge back. Two segments between the same pair of nodes (parallel edges,
  which a CSR matrix would merge) are kept apart by splitting every extra one
  at a virtual middle node: half the cost on each side. Self-loops are dropped
  (never part of a shortest path).
- Edges are sorted by (tail, head), so an edge's position in the CSR data
  array is its index here: a query's costs are one gather
  (segment cost[edge segment] * edge fraction) with masked segments at +inf,
  and the CSR structure is never rebuilt.
- A query snaps each endpoint to the nearest allowed segment (STRtree over the
  segment lines, distances in a local equirectangular projection around the
  point, accurate to well under a metre at the snap radius) and splits that
  segment at the projected point: the origin is a virtual node appended as
  the CSR's last row with edges to the segment's ends (the fraction of the
  segment's cost to each), the destination is reached from the ends of its
  segment. Fractions are along the line in that projection.
- Shortest path by travel time with scipy.sparse.csgraph.dijkstra, with
  `limit` a multiple of the crow-fly time at the profile's top speed (a lower
  bound of any route's time), and a full search only when that finds nothing.
- Hazard areas are buffered in metres in an azimuthal equidistant projection
  centred on each area (pyproj), and matched to segments by the STRtree with
  an exact intersection test.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import shape as shape_of
from shapely.ops import substring

EARTH_RADIUS_M = 6_371_008.8
# Costs are seconds; a zero cost would read as "no edge" to some sparse code.
MIN_COST_S = 1e-6
# The first search is bounded by LIMIT_FACTOR x the crow-fly lower bound plus
# LIMIT_SLACK_S; a route longer than that (a long detour) takes a full search.
LIMIT_FACTOR = 4.0
LIMIT_SLACK_S = 600.0


@dataclass(frozen=True)
class Snap:
    """Where a point meets the network: segment index, fraction along it, distance."""

    segment: int
    fraction: float
    point: tuple[float, float]
    distance_m: float


@dataclass(frozen=True)
class Piece:
    """Part of a segment travelled from fraction `start` to `end` (end < start: backwards)."""

    segment: int
    start: float
    end: float


@dataclass
class Path:
    pieces: list[Piece]
    duration_s: float
    length_m: float = 0.0
    durations: list[float] = field(default_factory=list)
    lengths: list[float] = field(default_factory=list)


def _line_coords(geometry: Any) -> list[list[float]]:
    return list(geometry["coordinates"]) if isinstance(geometry, dict) else list(geometry)


class RoadGraph:
    """One network version's graph: built once, then queried with per-query masks."""

    def __init__(
        self,
        *,
        keys: Sequence[str],
        node_from: Sequence[int] | np.ndarray,
        node_to: Sequence[int] | np.ndarray,
        oneway: Sequence[bool] | np.ndarray,
        length_m: Sequence[float] | np.ndarray,
        road_class: Sequence[str],
        surface: Sequence[str],
        max_speed_kmh: Sequence[float | None] | np.ndarray,
        max_weight_t: Sequence[float | None] | np.ndarray,
        geometries: Sequence[Any],
    ) -> None:
        self.keys = list(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.n_segments = len(self.keys)
        self.length_m = np.asarray(length_m, dtype=np.float64)
        self.oneway = np.asarray(oneway, dtype=bool)
        self.road_class = np.asarray(road_class, dtype=object)
        self.surface = np.asarray(surface, dtype=object)
        self.max_speed = np.array(
            [np.nan if v is None else v for v in max_speed_kmh], dtype=np.float64
        )
        self.max_weight = np.array(
            [np.inf if v is None else v for v in max_weight_t], dtype=np.float64
        )
        self._build_lines(geometries)
        self._build_edges(
            np.asarray(node_from, dtype=np.int64), np.asarray(node_to, dtype=np.int64)
        )
        self._profile_costs: dict[tuple[str, bool], np.ndarray] = {}
        self._hazard_cache: dict[Any, dict[str, np.ndarray]] = {}

    # --- building ----------------------------------------------------------------------

    def _build_lines(self, geometries: Sequence[Any]) -> None:
        coords = [_line_coords(g) for g in geometries]
        counts = np.fromiter((len(c) for c in coords), dtype=np.int64, count=len(coords))
        flat = np.array([p[:2] for c in coords for p in c], dtype=np.float64).reshape(-1, 2)
        self.lines = shapely.linestrings(flat, indices=np.repeat(np.arange(len(coords)), counts))
        self.tree = shapely.STRtree(self.lines)

    def _build_edges(self, node_from: np.ndarray, node_to: np.ndarray) -> None:
        nodes, inverse = np.unique(np.concatenate([node_from, node_to]), return_inverse=True)
        self.node_ids = nodes
        s = self.n_segments
        u, v = inverse[:s], inverse[s:]
        segs = np.arange(s)
        back = ~self.oneway
        tail = np.concatenate([u, v[back]])
        head = np.concatenate([v, u[back]])
        seg = np.concatenate([segs, segs[back]])
        direction = np.concatenate([np.ones(s, np.int8), -np.ones(int(back.sum()), np.int8)])
        keep = tail != head
        tail, head, seg, direction = tail[keep], head[keep], seg[keep], direction[keep]
        order = np.lexsort((head, tail))
        tail, head, seg, direction = tail[order], head[order], seg[order], direction[order]
        dup = np.zeros(len(tail), dtype=bool)
        dup[1:] = (tail[1:] == tail[:-1]) & (head[1:] == head[:-1])
        n = len(nodes)
        frac = np.ones(len(tail))
        if dup.any():
            k = int(dup.sum())
            middle = n + np.arange(k)
            d_tail, d_head, d_seg, d_dir = tail[dup], head[dup], seg[dup], direction[dup]
            tail = np.concatenate([tail[~dup], d_tail, middle])
            head = np.concatenate([head[~dup], middle, d_head])
            seg = np.concatenate([seg[~dup], d_seg, d_seg])
            direction = np.concatenate([direction[~dup], d_dir, d_dir])
            frac = np.concatenate([np.ones(int((~dup).sum())), np.full(2 * k, 0.5)])
            n += k
            order = np.lexsort((head, tail))
            tail, head, seg = tail[order], head[order], seg[order]
            direction, frac = direction[order], frac[order]
        self.n_nodes = n
        self.edge_tail = tail
        self.edge_head = head.astype(np.int32)
        self.edge_seg = seg
        self.edge_dir = direction
        self.edge_frac = frac
        self.indptr = np.zeros(n + 2, dtype=np.int64)  # one spare row: the query's origin
        np.cumsum(np.bincount(tail, minlength=n), out=self.indptr[1 : n + 1])
        self.indptr[n + 1] = self.indptr[n]
        self.seg_u = u
        self.seg_v = v

    # --- costs -------------------------------------------------------------------------

    def segment_costs(self, profile: Any, *, explain: bool = False) -> np.ndarray:
        """Seconds per segment for a profile (inf where its class is closed to it).

        explain=True: closed classes at a walking pace instead, for the route
        that would exist without the profile's exclusions.
        """
        cache_key = (profile.name, explain)
        found = self._profile_costs.get(cache_key)
        if found is not None:
            return found
        speeds = np.zeros(self.n_segments)
        pairs: dict[tuple[str, str], list[int]] = {}
        for i, pair in enumerate(zip(self.road_class, self.surface, strict=True)):
            pairs.setdefault(pair, []).append(i)
        for (road_class, surface), rows in pairs.items():
            speed = profile.speed_kmh(road_class, surface, None)
            if explain and speed <= 0:
                speed = 5.0
            speeds[rows] = speed
        signed = np.where(np.isnan(self.max_speed) | (self.max_speed <= 0), np.inf, self.max_speed)
        speeds = np.minimum(speeds, signed)
        with np.errstate(divide="ignore"):
            costs = np.where(speeds > 0, self.length_m / (speeds / 3.6), np.inf)
        costs = np.maximum(costs, MIN_COST_S)
        self._profile_costs[cache_key] = costs
        return costs

    def class_excluded(self, profile: Any) -> np.ndarray:
        return ~np.isfinite(self.segment_costs(profile))

    def top_speed_mps(self, costs: np.ndarray) -> float:
        finite = np.isfinite(costs)
        if not finite.any():
            return 1.0
        return float(np.max(self.length_m[finite] / costs[finite]))

    # --- hazards -----------------------------------------------------------------------

    def hazard_segments(
        self, hazards: Iterable[tuple[str, dict[str, Any]]], buffer_m: float, cache_key: Any
    ) -> dict[str, np.ndarray]:
        """Segment indices each hazard (id, GeoJSON polygon) blocks, buffered by buffer_m.

        Cached under cache_key (the hazards' state key and the buffer): a
        hazard write changes the key, and the next query recomputes.
        """
        key = (cache_key, float(buffer_m))
        found = self._hazard_cache.get(key)
        if found is not None:
            return found
        result: dict[str, np.ndarray] = {}
        for hazard_id, geometry in hazards:
            area = buffered(shape_of(geometry), buffer_m)
            result[hazard_id] = np.asarray(
                self.tree.query(area, predicate="intersects"), dtype=np.int64
            )
        if len(self._hazard_cache) > 8:
            self._hazard_cache.clear()
        self._hazard_cache[key] = result
        return result

    # --- snapping ----------------------------------------------------------------------

    def snap(
        self, lon: float, lat: float, max_m: float, allowed: np.ndarray | None = None
    ) -> Snap | None:
        """The nearest segment (among `allowed`, a boolean mask) within max_m metres."""
        dlat = math.degrees(max_m / EARTH_RADIUS_M)
        coslat = max(math.cos(math.radians(lat)), 1e-6)
        dlon = dlat / coslat
        box = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
        candidates = np.asarray(self.tree.query(box), dtype=np.int64)
        if allowed is not None and len(candidates):
            candidates = candidates[allowed[candidates]]
        if not len(candidates):
            return None
        scale = np.array([coslat, 1.0]) * math.radians(1.0) * EARTH_RADIUS_M

        def local(xy: np.ndarray) -> np.ndarray:
            return (xy - np.array([lon, lat])) * scale

        projected = shapely.transform(self.lines[candidates], local)
        origin = shapely.points(0.0, 0.0)
        distances = shapely.distance(projected, origin)
        best = int(np.argmin(distances))
        if distances[best] > max_m:
            return None
        line = projected[best]
        fraction = float(shapely.line_locate_point(line, origin, normalized=True))
        if not math.isfinite(fraction):
            fraction = 0.0
        spot = shapely.line_interpolate_point(
            self.lines[candidates[best]], fraction, normalized=True
        )
        return Snap(int(candidates[best]), fraction, (spot.x, spot.y), float(distances[best]))

    # --- shortest paths ----------------------------------------------------------------

    def shortest_path(self, origin: Snap, destination: Snap, costs: np.ndarray) -> Path | None:
        """Fastest path between two snaps under per-segment costs (inf = blocked)."""
        s0, t0 = origin.segment, origin.fraction
        s1, t1 = destination.segment, destination.fraction
        c0, c1 = costs[s0], costs[s1]
        best: tuple[float, list[Piece]] | None = None
        if s0 == s1 and math.isfinite(c0):
            if t1 >= t0:
                best = ((t1 - t0) * c0, [Piece(s0, t0, t1)])
            elif not self.oneway[s0]:
                best = ((t0 - t1) * c0, [Piece(s0, t0, t1)])
        if not (math.isfinite(c0) and math.isfinite(c1)):
            return self._path(best)
        n = self.n_nodes
        # From the split point to either end of its segment (against a one-way
        # segment's direction only when the point is that end already).
        starts: list[tuple[int, float]] = [(int(self.seg_v[s0]), (1 - t0) * c0)]
        if not self.oneway[s0] or t0 == 0.0:
            starts.append((int(self.seg_u[s0]), t0 * c0))
        weights = costs[self.edge_seg] * self.edge_frac
        data = np.concatenate([weights, [max(c, MIN_COST_S) for _, c in starts]])
        indices = np.concatenate(
            [self.edge_head, np.array([node for node, _ in starts], dtype=np.int32)]
        )
        indptr = self.indptr.copy()
        indptr[n + 1] = indptr[n] + len(starts)
        graph = csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
        ends: list[tuple[int, float, Piece]] = [(int(self.seg_u[s1]), t1 * c1, Piece(s1, 0.0, t1))]
        if not self.oneway[s1] or t1 == 1.0:
            ends.append((int(self.seg_v[s1]), (1 - t1) * c1, Piece(s1, 1.0, t1)))
        crow = _crow_m(origin.point, destination.point)
        bound = LIMIT_FACTOR * crow / self.top_speed_mps(costs) + LIMIT_SLACK_S
        for limit in (bound, np.inf):
            dist, pred = dijkstra(
                graph, directed=True, indices=n, return_predecessors=True, limit=limit
            )
            found = self._best_end(dist, ends, best)
            if found is not None and (found[0] <= limit or math.isinf(limit)):
                if found[1] is None:
                    return self._path(best)
                node, cost, last = found[1]
                pieces = self._walk(pred, node, n, origin)
                pieces.append(last)
                return self._path((cost, pieces))
            if best is not None and best[0] <= limit:
                return self._path(best)
        return self._path(best)

    @staticmethod
    def _best_end(
        dist: np.ndarray,
        ends: list[tuple[int, float, Piece]],
        best: tuple[float, list[Piece]] | None,
    ) -> tuple[float, tuple[int, float, Piece] | None] | None:
        choice: tuple[float, tuple[int, float, Piece] | None] | None = (
            (best[0], None) if best is not None else None
        )
        for node, extra, piece in ends:
            total = float(dist[node]) + extra
            if math.isfinite(total) and (choice is None or total < choice[0]):
                choice = (total, (node, total, piece))
        return choice

    def _walk(self, pred: np.ndarray, node: int, origin_row: int, origin: Snap) -> list[Piece]:
        chain = [node]
        while chain[-1] != origin_row:
            previous = int(pred[chain[-1]])
            if previous < 0:
                raise RuntimeError("broken predecessor chain")
            chain.append(previous)
        chain.reverse()
        first = chain[1]
        s0, t0 = origin.segment, origin.fraction
        pieces = [Piece(s0, t0, 1.0 if first == self.seg_v[s0] else 0.0)]
        for a, b in itertools.pairwise(chain[1:]):
            lo, hi = self.indptr[a], self.indptr[a + 1]
            pos = lo + int(np.searchsorted(self.edge_head[lo:hi], b))
            seg = int(self.edge_seg[pos])
            forward = self.edge_dir[pos] > 0
            piece = Piece(seg, 0.0, 1.0) if forward else Piece(seg, 1.0, 0.0)
            if pieces and pieces[-1] == piece and self.edge_frac[pos] < 1.0:
                continue  # the second half of a split parallel edge
            pieces.append(piece)
        return pieces

    def _path(self, found: tuple[float, list[Piece]] | None) -> Path | None:
        if found is None:
            return None
        cost, pieces = found
        pieces = [p for p in pieces if p.start != p.end]
        lengths = [float(self.length_m[p.segment]) * abs(p.end - p.start) for p in pieces]
        return Path(
            pieces=pieces, duration_s=float(cost), length_m=float(sum(lengths)), lengths=lengths
        )

    def piece_durations(self, path: Path, costs: np.ndarray) -> list[float]:
        return [float(costs[p.segment]) * abs(p.end - p.start) for p in path.pieces]

    def geometry(self, path: Path) -> dict[str, Any]:
        """The path as one GeoJSON LineString."""
        coords: list[list[float]] = []
        for piece in path.pieces:
            line = self.lines[piece.segment]
            if piece.start == 0.0 and piece.end == 1.0:
                part = shapely.get_coordinates(line)
            elif piece.start == 1.0 and piece.end == 0.0:
                part = shapely.get_coordinates(line)[::-1]
            else:
                part = shapely.get_coordinates(
                    substring(line, piece.start, piece.end, normalized=True)
                )
                if piece.start > piece.end and len(part) > 1:
                    # substring returns a reversed part; make sure it runs start -> end
                    first = shapely.line_interpolate_point(line, piece.start, normalized=True)
                    if _d2(part[0], (first.x, first.y)) > _d2(part[-1], (first.x, first.y)):
                        part = part[::-1]
            for xy in part.tolist():
                if not coords or coords[-1] != xy:
                    coords.append(xy)
        if len(coords) == 1:
            coords.append(list(coords[0]))
        return {"type": "LineString", "coordinates": coords}


def _d2(a: Any, b: Any) -> float:
    return float((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2)


def _crow_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine), metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def buffered(area: Any, buffer_m: float) -> Any:
    """A lon/lat shape grown by buffer_m metres (azimuthal equidistant around its centre)."""
    if buffer_m <= 0:
        return area
    centre = area.centroid
    local = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +units=m +datum=WGS84"
    )
    there = pyproj.Transformer.from_crs("EPSG:4326", local, always_xy=True)
    back = pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True)

    def forward(xy: np.ndarray) -> np.ndarray:
        x, y = there.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    def backward(xy: np.ndarray) -> np.ndarray:
        x, y = back.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    grown = shapely.buffer(shapely.transform(area, forward), buffer_m, quad_segs=8)
    return shapely.transform(grown, backward)
