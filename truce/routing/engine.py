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
- Shortest path by travel time: two scipy.sparse.csgraph.dijkstra searches,
  forward from the origin and backward from the destination (on the reverse
  CSR), each cut off with `limit` at just over half the expected time (from
  the crow-fly time at the profile's top speed, a lower bound, and the ratio
  past routes on this graph showed); the cheapest meeting is provably optimal
  when it costs at most twice the limit, else the limit is raised (see
  shortest_path). prepare() lays a cost array out once per mask state.
- Hazard areas are buffered in metres in a local equirectangular projection
  centred on each area (see buffered), and matched to segments by the STRtree
  with an exact intersection test.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import shape as shape_of
from shapely.ops import substring

EARTH_RADIUS_M = 6_371_008.8
# Costs are seconds; a zero cost would read as "no edge" to some sparse code.
MIN_COST_S = 1e-6
# Each search first reaches BIDI_MARGIN x half the route's expected time: the
# crow-fly time at top speed (a lower bound) times the ratio of past routes to
# their bound on this graph (2 x BIDI_FACTOR before the first), at least BIDI_MIN_S;
# searches that do not meet grow by BIDI_GROW, twice, then lift the bound.
BIDI_FACTOR = 1.0
BIDI_MARGIN = 1.1
BIDI_MIN_S = 60.0
BIDI_GROW = 1.5


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
    # Nodes either search reached: a mask that blocks no edge touching them
    # cannot have changed the result.
    explored: np.ndarray | None = None


@dataclass
class Prepared:
    """A cost array laid out for the searches: CSR data of both directions with two
    spare slots for the query's virtual node. Searches on it hold its lock."""

    costs: np.ndarray
    weights: np.ndarray
    fwd_data: np.ndarray
    fwd_indices: np.ndarray
    fwd_indptr: np.ndarray
    rev_data: np.ndarray
    rev_indices: np.ndarray
    rev_indptr: np.ndarray
    lock: threading.Lock = field(default_factory=threading.Lock)


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
        self._ratio: dict[float, float] = {}
        self._top: dict[tuple[str, str], float] = {}

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
        # int32 throughout (2^31 edges is far off), so scipy never converts a copy.
        self.indptr = np.zeros(n + 2, dtype=np.int32)  # one spare row: the query's origin
        np.cumsum(np.bincount(tail, minlength=n), out=self.indptr[1 : n + 1])
        self.indptr[n + 1] = self.indptr[n]
        # The reverse graph (for the search back from the destination): the same
        # edges sorted by (head, tail); a query's reverse costs are weights[rev_order].
        self.rev_order = np.lexsort((tail, head))
        self.rev_head = tail[self.rev_order].astype(np.int32)
        self.rev_indptr = np.zeros(n + 2, dtype=np.int32)
        np.cumsum(np.bincount(head, minlength=n), out=self.rev_indptr[1 : n + 1])
        self.rev_indptr[n + 1] = self.rev_indptr[n]
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

    def profile_top_speed(self, profile: Any) -> float:
        """The profile's top speed on this graph (m/s), a bound for any masked costs."""
        key = ("top", profile.name)
        found = self._top.get(key)
        if found is None:
            found = self._top[key] = self.top_speed_mps(self.segment_costs(profile))
        return found

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
        # Distances in plain degrees overstate east-west ones by 1/cos(lat) at most:
        # only lines within that factor of the nearest can be the nearest in metres.
        raw = shapely.distance(self.lines[candidates], shapely.points(lon, lat))
        candidates = candidates[raw <= raw.min() / coslat + 1e-12]
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

    def shortest_path(
        self,
        origin: Snap,
        destination: Snap,
        costs: np.ndarray,
        top_speed_mps: float | None = None,
        at_most_s: float | None = None,
        prepared: Prepared | None = None,
    ) -> Path | None:
        """Fastest path between two snaps under per-segment costs (inf = blocked).

        Bidirectional and bounded: one search forward from the origin and one
        backward from the destination, each cut off at T seconds. Every path
        of cost at most 2T then has a node or an edge where the two searches
        meet (the last node within T of the origin and the next one, within T
        of the destination), so the cheapest meeting found is optimal if it
        costs at most 2T. T starts from the crow-fly lower bound; when the
        searches meet too dearly, T becomes half that cost (which then
        suffices), and when they do not meet at all, T grows, then is lifted.
        at_most_s: the cost of a path known to exist (one round then suffices);
        prepared: `prepare(costs)`, kept by a caller that queries one state often.
        """
        s0, t0 = origin.segment, origin.fraction
        s1, t1 = destination.segment, destination.fraction
        c0, c1 = float(costs[s0]), float(costs[s1])
        direct: tuple[float, list[Piece]] | None = None
        if s0 == s1 and math.isfinite(c0) and (t1 >= t0 or not self.oneway[s0]):
            direct = (abs(t1 - t0) * c0, [Piece(s0, t0, t1)])
        if not (math.isfinite(c0) and math.isfinite(c1)):
            return self._path(direct)
        # From the split point to either end of its segment (against a one-way
        # segment's direction only when the point is that end already).
        starts: list[tuple[int, float, Piece]] = [
            (int(self.seg_v[s0]), (1 - t0) * c0, Piece(s0, t0, 1.0))
        ]
        if not self.oneway[s0] or t0 == 0.0:
            starts.append((int(self.seg_u[s0]), t0 * c0, Piece(s0, t0, 0.0)))
        ends: list[tuple[int, float, Piece]] = [(int(self.seg_u[s1]), t1 * c1, Piece(s1, 0.0, t1))]
        if not self.oneway[s1] or t1 == 1.0:
            ends.append((int(self.seg_v[s1]), (1 - t1) * c1, Piece(s1, 1.0, t1)))
        ready = prepared if prepared is not None else self.prepare(costs)
        with ready.lock:
            return self._search(
                ready, origin, destination, starts, ends, direct, top_speed_mps, at_most_s
            )

    def prepare(self, costs: np.ndarray) -> Prepared:
        """Lay a cost array out for searches (done once per mask state by the caller)."""
        weights = costs[self.edge_seg] * self.edge_frac
        spare = np.zeros(2)
        spare_index = np.zeros(2, dtype=np.int32)
        return Prepared(
            costs=costs,
            weights=weights,
            fwd_data=np.concatenate([weights, spare]),
            fwd_indices=np.concatenate([self.edge_head, spare_index]),
            fwd_indptr=self.indptr.copy(),
            rev_data=np.concatenate([weights[self.rev_order], spare]),
            rev_indices=np.concatenate([self.rev_head, spare_index]),
            rev_indptr=self.rev_indptr.copy(),
        )

    def _virtual(
        self,
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        extra: list[tuple[int, float, Piece]],
    ) -> csr_matrix:
        """The CSR matrix with the query's virtual node as its last row (in the spare slots)."""
        n, e = self.n_nodes, len(self.edge_seg)
        for i, (node, cost, _) in enumerate(extra):
            data[e + i] = max(cost, MIN_COST_S)
            indices[e + i] = node
        indptr[n + 1] = e + len(extra)
        return csr_matrix((data, indices, indptr), shape=(n + 1, n + 1), copy=False)

    def _search(
        self,
        ready: Prepared,
        origin: Snap,
        destination: Snap,
        starts: list[tuple[int, float, Piece]],
        ends: list[tuple[int, float, Piece]],
        direct: tuple[float, list[Piece]] | None,
        top_speed_mps: float | None,
        at_most_s: float | None,
    ) -> Path | None:
        n = self.n_nodes
        costs, weights = ready.costs, ready.weights
        forward = self._virtual(ready.fwd_data, ready.fwd_indices, ready.fwd_indptr, starts)
        backward = self._virtual(ready.rev_data, ready.rev_indices, ready.rev_indptr, ends)
        speed = top_speed_mps or self.top_speed_mps(costs)
        lower = _crow_m(origin.point, destination.point) / speed
        # Routes on one network take a fairly steady multiple of the lower bound:
        # aim each search just past half the route, from what past queries took.
        ratio = self._ratio.get(round(speed, 3), BIDI_FACTOR * 2)
        bound = max(0.5 * BIDI_MARGIN * ratio * lower, BIDI_MIN_S)
        if at_most_s is not None and math.isfinite(at_most_s):
            # A path of at most this cost is known to exist: one round suffices.
            bound = at_most_s / 2 * (1 + 1e-9) + MIN_COST_S
        grow = 0
        while True:
            df, pf = dijkstra(
                forward, directed=True, indices=n, return_predecessors=True, limit=bound
            )
            db, pb = dijkstra(
                backward, directed=True, indices=n, return_predecessors=True, limit=bound
            )
            best = self._meeting(df, db, weights, starts, ends, direct)
            if best is not None and (best[0] <= 2 * bound or math.isinf(bound)):
                if lower > 0:
                    seen = best[0] / lower
                    self._ratio[round(speed, 3)] = 0.8 * ratio + 0.2 * seen
                path = self._path(self._assemble(best, pf, pb, starts, ends))
                if path is not None:
                    path.explored = np.isfinite(df[:n]) | np.isfinite(db[:n])
                return path
            if math.isinf(bound):
                return None
            if best is not None:
                bound = best[0] / 2 * (1 + 1e-9)
            else:
                grow += 1
                bound = bound * BIDI_GROW if grow < 3 else np.inf

    def _meeting(
        self,
        df: np.ndarray,
        db: np.ndarray,
        weights: np.ndarray,
        starts: list[tuple[int, float, Piece]],
        ends: list[tuple[int, float, Piece]],
        direct: tuple[float, list[Piece]] | None,
    ) -> tuple[float, str, Any] | None:
        """The cheapest place the two searches meet: ("direct" | "node" | "edge" | "start"
        | "end", where), with its cost."""
        n = self.n_nodes
        found: list[tuple[float, str, Any]] = []
        if direct is not None:
            found.append((direct[0], "direct", None))
        both = df[:n] + db[:n]
        node = int(np.argmin(both))
        if math.isfinite(both[node]):
            found.append((float(both[node]), "node", node))
        reach_f, reach_b = np.isfinite(df[:n]), np.isfinite(db[:n])
        # The edges out of nodes the forward search reached, by their CSR rows.
        tails = np.flatnonzero(reach_f)
        first = self.indptr[tails].astype(np.int64)
        counts = self.indptr[tails + 1] - first
        shift = np.repeat(first - (np.cumsum(counts) - counts), counts)
        edges = np.arange(int(counts.sum()), dtype=np.int64) + shift
        edges = edges[reach_b[self.edge_head[edges]]]
        if len(edges):
            total = df[self.edge_tail[edges]] + weights[edges] + db[self.edge_head[edges]]
            k = int(np.argmin(total))
            if math.isfinite(total[k]):
                found.append((float(total[k]), "edge", int(edges[k])))
        for i, (x, cost, _) in enumerate(starts):
            if math.isfinite(db[x]):
                found.append((cost + float(db[x]), "start", i))
        for i, (x, cost, _) in enumerate(ends):
            if math.isfinite(df[x]):
                found.append((float(df[x]) + cost, "end", i))
        return min(found, key=lambda f: f[0]) if found else None

    def _assemble(
        self,
        best: tuple[float, str, Any],
        pf: np.ndarray,
        pb: np.ndarray,
        starts: list[tuple[int, float, Piece]],
        ends: list[tuple[int, float, Piece]],
        direct: tuple[float, list[Piece]] | None = None,
    ) -> tuple[float, list[Piece]]:
        cost, kind, where = best
        if kind == "direct":
            return cost, [p for p in [self._direct_piece(starts, ends)] if p is not None]
        if kind == "node":
            return cost, self._to(pf, where, starts) + self._from(pb, where, ends)
        if kind == "edge":
            a, b = int(self.edge_tail[where]), int(self.edge_head[where])
            return cost, [
                *self._to(pf, a, starts),
                self._edge_piece(where),
                *self._from(pb, b, ends),
            ]
        if kind == "start":
            node, _, piece = starts[where]
            return cost, [piece, *self._from(pb, node, ends)]
        node, _, piece = ends[where]
        return cost, [*self._to(pf, node, starts), piece]

    @staticmethod
    def _direct_piece(
        starts: list[tuple[int, float, Piece]], ends: list[tuple[int, float, Piece]]
    ) -> Piece | None:
        first, last = starts[0][2], ends[0][2]
        return Piece(first.segment, first.start, last.end)

    def _edge_piece(self, edge: int) -> Piece:
        seg = int(self.edge_seg[edge])
        return Piece(seg, 0.0, 1.0) if self.edge_dir[edge] > 0 else Piece(seg, 1.0, 0.0)

    def _between(self, a: int, b: int) -> Piece:
        lo, hi = self.indptr[a], self.indptr[a + 1]
        return self._edge_piece(int(lo + np.searchsorted(self.edge_head[lo:hi], b)))

    def _to(
        self, pred: np.ndarray, node: int, starts: list[tuple[int, float, Piece]]
    ) -> list[Piece]:
        """Pieces from the origin to a node, along the forward search's predecessors."""
        n = self.n_nodes
        chain = [node]
        while chain[-1] != n:
            previous = int(pred[chain[-1]])
            if previous < 0:
                raise RuntimeError("broken predecessor chain")
            chain.append(previous)
        chain.reverse()
        first = next(p for x, _, p in starts if x == chain[1])
        return [first, *(self._between(a, b) for a, b in itertools.pairwise(chain[1:]))]

    def _from(
        self, pred: np.ndarray, node: int, ends: list[tuple[int, float, Piece]]
    ) -> list[Piece]:
        """Pieces from a node to the destination, along the backward search's predecessors."""
        n = self.n_nodes
        chain = [node]
        while chain[-1] != n:
            following = int(pred[chain[-1]])
            if following < 0:
                raise RuntimeError("broken predecessor chain")
            chain.append(following)
        last = next(p for x, _, p in ends if x == chain[-2])
        return [*(self._between(a, b) for a, b in itertools.pairwise(chain[:-1])), last]

    def _path(self, found: tuple[float, list[Piece]] | None) -> Path | None:
        if found is None:
            return None
        cost, raw = found
        pieces: list[Piece] = []
        for p in raw:
            # Two halves of a split parallel edge come out as the same piece twice.
            if p.start != p.end and (not pieces or pieces[-1] != p):
                pieces.append(p)
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
    """A lon/lat shape grown by buffer_m metres.

    In a local equirectangular projection centred on the shape (x east, y north,
    metres): for hazard areas of a few kilometres the scale error is far below a
    metre, and it costs microseconds where building a pyproj transformer per
    area costs milliseconds (which a hazard update waits for).
    """
    if buffer_m <= 0:
        return area
    centre = area.centroid
    lon0, lat0 = centre.x, centre.y
    scale = np.array([math.cos(math.radians(lat0)), 1.0]) * math.radians(1.0) * EARTH_RADIUS_M
    origin = np.array([lon0, lat0])

    def forward(xy: np.ndarray) -> np.ndarray:
        return (xy - origin) * scale

    def backward(xy: np.ndarray) -> np.ndarray:
        return xy / scale + origin

    grown = shapely.buffer(shapely.transform(area, forward), buffer_m, quad_segs=8)
    return shapely.transform(grown, backward)
