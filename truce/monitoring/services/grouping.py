"""Which observations saw the same event.

Each observation has a *footprint* in a local metric plane: a given position
is a point; a bearing with a distance is the stretch of the bearing line
between (1 - e) and (1 + e) times that distance (e = TRUCE_DISTANCE_ERROR_MAX,
default 0.3: estimated distances are rough, bearings much less so); a bearing
alone is the line from the observer out to the plausible range
(TRUCE_GROUPING_MAX_RANGE_M, default 15 km). Two observations are
*compatible* when

* they are of one type family: the explosions (impact, airburst, outgoing,
  undetermined) together, any other type only with itself;
* their footprints come within TRUCE_GROUPING_DISTANCE_M (default 3 km): two
  positions close together, a position near a bearing line, two bearings
  crossing within range; two bearings from the same observer must also agree
  within 10 degrees (their lines always meet at the observer). Observations
  with no footprint are compatible only with others without one in the same
  zone;
* where both places are estimated from bearings, they also agree within the
  errors the position fixes assume (TRUCE_BEARING_SIGMA_DEG across the line,
  TRUCE_DISTANCE_ERROR of the distance along it) and an event's own extent
  (TRUCE_GROUPING_EVENT_EXTENT_M, default 300 m: one shelling's rounds land
  some hundreds of metres apart), to TRUCE_GROUPING_SIGMAS (default 3.5)
  standard errors: two bearings with distances by the distance between their
  estimated points (Mahalanobis, the two-dimensional radius of the same
  chance), a bearing with a distance and one without by how far the point
  lies off the line. The fixed 3 km alone lets events a few km apart merge
  wherever reports are dense (measured on simulated days: see
  bench/BENCHMARKS.md, grouping);
* they are at most TRUCE_GROUPING_WINDOW_MINUTES apart (default 10).

Observations are taken in time order and each joins the incident of its
*best* compatible partner (least time gap / window + place gap, the gap in
standard errors over TRUCE_GROUPING_SIGMAS where both places are estimated
from bearings, else the footprint gap over the distance) among those already
placed: observations of existing incidents
(any time) or earlier ones of the same run. It must also be compatible with
that incident's *leader*, its earliest observation, except that the leader
may be up to TRUCE_GROUPING_MAX_SPAN_MINUTES (default 120) earlier. So an
exchange of fire that goes on around one place stays one incident, while
reports do not chain from one place to the next across a busy front.
Without such a partner an observation starts an incident. Incidents merged
or split by hand are never joined.

The result depends only on the observations, not on the order they are
given in: rows are taken in order of time, then id, and ties between equally
good partners go to the earlier one.

The work is linear in the number of compatible pairs, all of it whole-array
numpy: a sweep over footprint boxes sorted by (family, time slab, west edge)
finds the pairs whose boxes meet without comparing every pair, the exact
footprint distance is computed only for those, each observation's best
partner is a per-row minimum (no sort), and the leader rule is enforced by a
few vectorised rounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.conf import settings

from truce.lib import bearings
from truce.monitoring.services.table import BEARING_DISTANCE, GIVEN, ObsTable

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Float32Array = npt.NDArray[np.float32]

SAME_OBSERVER_DEG = 10.0
# Ranges below this count as this, so a bearing reported from right beside
# the event does not claim an absurd precision.
MIN_RANGE_M = bearings.MIN_RANGE_M
# Candidate pairs are generated in chunks of this many rows, which bounds the
# memory of a day's sweep (some tens of MB) without costing loop overhead.
_CHUNK_ROWS = 8_192


@dataclass(frozen=True)
class GroupingParams:
    window_s: float
    distance_m: float
    max_range_m: float
    max_span_s: float
    distance_error: float
    same_observer_deg: float = SAME_OBSERVER_DEG
    sigma_deg: float = bearings.BEARING_SIGMA_DEG
    distance_sigma: float = bearings.DISTANCE_ERROR
    event_extent_m: float = 300.0
    sigmas: float = 3.5

    @classmethod
    def from_settings(cls) -> GroupingParams:
        window = 60.0 * float(getattr(settings, "TRUCE_GROUPING_WINDOW_MINUTES", 10))
        return cls(
            window_s=window,
            distance_m=float(getattr(settings, "TRUCE_GROUPING_DISTANCE_M", 3_000)),
            max_range_m=float(getattr(settings, "TRUCE_GROUPING_MAX_RANGE_M", 15_000)),
            max_span_s=max(
                window, 60.0 * float(getattr(settings, "TRUCE_GROUPING_MAX_SPAN_MINUTES", 120))
            ),
            distance_error=float(getattr(settings, "TRUCE_DISTANCE_ERROR_MAX", 0.3)),
            sigma_deg=float(
                getattr(settings, "TRUCE_BEARING_SIGMA_DEG", bearings.BEARING_SIGMA_DEG)
            ),
            distance_sigma=float(
                getattr(settings, "TRUCE_DISTANCE_ERROR", bearings.DISTANCE_ERROR)
            ),
            event_extent_m=float(getattr(settings, "TRUCE_GROUPING_EVENT_EXTENT_M", 300)),
            sigmas=float(getattr(settings, "TRUCE_GROUPING_SIGMAS", 3.5)),
        )

    @property
    def radius_2d(self) -> float:
        """The Mahalanobis radius in the plane with the same chance as `sigmas` on a line.

        A point estimate is within k standard errors on a line with chance
        erf(k / sqrt 2); in the plane the radius of that chance is
        sqrt(-2 ln(1 - chance)) (3.5 sigmas: 3.92).
        """
        chance = math.erf(self.sigmas / math.sqrt(2.0))
        return math.sqrt(-2.0 * math.log(max(1.0 - chance, 1e-300)))


@dataclass(frozen=True)
class _Rows:
    """The columns grouping reads, in canonical order (time, then id), with footprints.

    A footprint is a segment from (sx, sy) along (ux, uy), in float32 metres
    (a few hundred km from the plane's centre, float32 keeps centimetres and
    halves the work on millions of pairs); a point has u = 0. inv_len2 is
    1 / |u|^2 (0 for a point). Rows without a footprint hold NaN.
    """

    t: IntArray
    family: IntArray
    zone: IntArray
    observer: IntArray
    bearing: FloatArray
    incident: IntArray
    located: BoolArray
    ray: BoolArray  # a bearing without a distance
    estimated: BoolArray  # a bearing with a distance: a point estimate with an error
    sx: Float32Array
    sy: Float32Array
    ux: Float32Array
    uy: Float32Array
    inv_len2: Float32Array
    # Bearings: unit direction; estimated points: where, and the covariance (m^2).
    dx: FloatArray
    dy: FloatArray
    mx: FloatArray
    my: FloatArray
    cxx: FloatArray
    cyy: FloatArray
    cxy: FloatArray

    def __len__(self) -> int:
        return int(self.t.size)


def _rows(table: ObsTable, order: IntArray, params: GroupingParams) -> _Rows:
    n = len(table)
    x1, y1, x2, y2 = (np.full(n, np.nan) for _ in range(4))
    has_pos = np.isfinite(table.lon) & np.isfinite(table.lat)
    has_line = (
        np.isfinite(table.bearing)
        & np.isfinite(table.observer_lon)
        & np.isfinite(table.observer_lat)
        & (~has_pos | (table.method == BEARING_DISTANCE))
    )
    point = has_pos & ~has_line
    estimated = np.zeros(n, bool)
    dx_all, dy_all, distance_all = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if point.any() or has_line.any():
        plane = bearings.plane_for(
            np.concatenate([table.lon, table.observer_lon]),
            np.concatenate([table.lat, table.observer_lat]),
        )
        p = table.planar(plane)
        x1[point], y1[point] = p.x[point], p.y[point]
        x2[point], y2[point] = p.x[point], p.y[point]
        if has_line.any():
            ox, oy, dx, dy = p.ox[has_line], p.oy[has_line], p.dx[has_line], p.dy[has_line]
            distance = table.distance[has_line]
            known = np.isfinite(distance) & (table.method[has_line] == BEARING_DISTANCE)
            near = np.where(known, (1 - params.distance_error) * distance, 0.0)
            far = np.where(known, (1 + params.distance_error) * distance, params.max_range_m)
            x1[has_line], y1[has_line] = ox + near * dx, oy + near * dy
            x2[has_line], y2[has_line] = ox + far * dx, oy + far * dy
            estimated[has_line] = known
            dx_all[has_line], dy_all[has_line] = dx, dy
            distance_all[has_line] = np.where(known, distance, np.nan)
    located = point | has_line
    # Lines without a distance reach back to their observer, so two from one
    # observer always touch there: the angle between them must decide.
    ray = located & np.isfinite(table.bearing) & ~np.isin(table.method, [GIVEN, BEARING_DISTANCE])
    ux, uy = x2 - x1, y2 - y1
    length2 = ux * ux + uy * uy
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_len2 = np.where(length2 > 0, 1.0 / length2, 0.0)
    # An estimated point: the distance along the bearing (the footprint's middle),
    # with the distance's error along the line and the bearing's across it.
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    along2 = (params.distance_sigma * distance_all) ** 2
    across2 = (math.radians(params.sigma_deg) * distance_all) ** 2
    cxx = along2 * dx_all * dx_all + across2 * dy_all * dy_all
    cyy = along2 * dy_all * dy_all + across2 * dx_all * dx_all
    cxy = (along2 - across2) * dx_all * dy_all
    o = order

    def f32(values: FloatArray) -> Float32Array:
        return values[o].astype(np.float32)

    return _Rows(
        t=table.t[o],
        family=table.family[o],
        zone=table.zone[o],
        observer=table.observer[o],
        bearing=table.bearing[o],
        incident=table.incident[o],
        located=located[o],
        ray=ray[o],
        estimated=estimated[o],
        sx=f32(x1),
        sy=f32(y1),
        ux=f32(ux),
        uy=f32(uy),
        inv_len2=f32(inv_len2),
        dx=dx_all[o],
        dy=dy_all[o],
        mx=mx[o],
        my=my[o],
        cxx=cxx[o],
        cyy=cyy[o],
        cxy=cxy[o],
    )


def _expand(queries: IntArray, lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """Every (query, position) with position in [lo, hi) of its query, as two arrays."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    q = np.repeat(queries, counts)
    starts = np.cumsum(counts) - counts
    p = np.arange(total, dtype=np.int64) - np.repeat(starts - lo, counts)
    return q, p


def _box_pairs(rows: _Rows, params: GroupingParams) -> tuple[IntArray, IntArray]:
    """Pairs (a, b), a < b, of located rows of one family within the window whose footprint
    boxes, grown by half the distance, meet; each pair once.

    Sweep and prune: boxes are sorted by (family, time slab one window wide,
    west edge). A box meets those of its own slab whose west edge lies within
    its own x span further on in that order, and those of the next slab whose
    west edge lies within its x span (from the west edge on); the boxes of the
    next slab that start further west find it from their side, looking back.
    Only the candidates whose y spans overlap and whose times are within the
    window are kept.
    """
    located = np.flatnonzero(rows.located)
    empty = np.zeros(0, np.int64)
    if located.size < 2:
        return empty, empty
    # Half the distance, and a metre of slack: the boxes only preselect, and a
    # pair exactly at the distance must not be lost to rounding.
    half = np.float64(params.distance_m / 2 + 1.0)
    sx, sy = rows.sx[located].astype(np.float64), rows.sy[located].astype(np.float64)
    ex, ey = sx + rows.ux[located], sy + rows.uy[located]
    lo_x, hi_x = np.minimum(sx, ex) - half, np.maximum(sx, ex) + half
    lo_y, hi_y = np.minimum(sy, ey) - half, np.maximum(sy, ey) + half
    window = int(params.window_s * 1_000_000)
    t = rows.t[located]
    slab = (t - int(t.min())) // max(window, 1)
    n_slabs = int(slab.max()) + 2  # a gap, so no family's last slab meets the next family
    bucket = rows.family[located] * n_slabs + slab
    x0 = float(lo_x.min())
    span = float(hi_x.max()) - x0 + 1.0
    key = bucket * span + (lo_x - x0)
    order = np.argsort(key, kind="stable")
    key, bucket = key[order], bucket[order]
    lo_x, hi_x, lo_y, hi_y, t = lo_x[order], hi_x[order], lo_y[order], hi_y[order], t[order]
    rows_at = located[order]
    n = key.size
    firsts: list[IntArray] = [empty]
    seconds: list[IntArray] = [empty]
    for start in range(0, n, _CHUNK_ROWS):
        q = np.arange(start, min(start + _CHUNK_ROWS, n), dtype=np.int64)
        here = bucket[q] * span - x0
        nxt = here + span
        same_hi = np.searchsorted(key, here + hi_x[q], side="right")
        next_lo = np.searchsorted(key, nxt + lo_x[q], side="left")
        next_hi = np.searchsorted(key, nxt + hi_x[q], side="right")
        prev_lo = np.searchsorted(key, here - span + lo_x[q], side="right")
        prev_hi = np.searchsorted(key, here - span + hi_x[q], side="right")
        parts = [
            _expand(q, q + 1, same_hi),
            _expand(q, next_lo, next_hi),
            _expand(q, prev_lo, prev_hi),
        ]
        qq = np.concatenate([p[0] for p in parts])
        pp = np.concatenate([p[1] for p in parts])
        keep = (lo_y[pp] <= hi_y[qq]) & (lo_y[qq] <= hi_y[pp]) & (np.abs(t[pp] - t[qq]) <= window)
        a, b = rows_at[qq[keep]], rows_at[pp[keep]]
        firsts.append(np.minimum(a, b))
        seconds.append(np.maximum(a, b))
    return np.concatenate(firsts), np.concatenate(seconds)


def _gaps(rows: _Rows, a: IntArray, b: IntArray) -> FloatArray:
    """Distances (m) between the footprints of rows a[k] and b[k]: zero where they cross,
    otherwise the least of the four end-to-segment distances."""
    ax, ay, aux, auy, ail = rows.sx[a], rows.sy[a], rows.ux[a], rows.uy[a], rows.inv_len2[a]
    bx, by, bux, buy, bil = rows.sx[b], rows.sy[b], rows.ux[b], rows.uy[b], rows.inv_len2[b]
    rx, ry = bx - ax, by - ay  # from a's start to b's start

    def to_segment(
        px: Float32Array,
        py: Float32Array,
        vx: Float32Array,
        vy: Float32Array,
        inv: Float32Array,
    ) -> Float32Array:
        # Squared distance from (px, py), relative to a segment's start, to the segment.
        s = np.clip((px * vx + py * vy) * inv, 0.0, 1.0)
        dx, dy = px - s * vx, py - s * vy
        return np.asarray(dx * dx + dy * dy)

    best = np.minimum(
        np.minimum(
            to_segment(rx, ry, aux, auy, ail),  # b's start to a
            to_segment(rx + bux, ry + buy, aux, auy, ail),  # b's end to a
        ),
        np.minimum(
            to_segment(-rx, -ry, bux, buy, bil),  # a's start to b
            to_segment(aux - rx, auy - ry, bux, buy, bil),  # a's end to b
        ),
    )
    # Proper crossings: each segment's ends on opposite sides of the other.
    cross_a = (aux * ry - auy * rx) * (aux * (ry + buy) - auy * (rx + bux))
    cross_b = (bux * -ry - buy * -rx) * (bux * (auy - ry) - buy * (aux - rx))
    crossing = (cross_a < 0) & (cross_b < 0)
    return np.where(crossing, 0.0, np.sqrt(best.astype(np.float64)))


def _unlocated_pairs(rows: _Rows, params: GroupingParams) -> tuple[IntArray, IntArray]:
    """Consecutive observations without a footprint in the same zone and type family."""
    idx = np.flatnonzero(~rows.located & (rows.zone > 0))
    if idx.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    idx = idx[np.lexsort((idx, rows.zone[idx], rows.family[idx]))]
    a, b = idx[:-1], idx[1:]
    same = (
        (rows.family[a] == rows.family[b])
        & (rows.zone[a] == rows.zone[b])
        & (rows.t[b] - rows.t[a] <= int(params.window_s * 1_000_000))
    )
    return a[same], b[same]


def _bearings_agree(rows: _Rows, a: IntArray, b: IntArray, params: GroupingParams) -> BoolArray:
    """False where a and b are bearings without distance from one observer, too far apart."""
    agree = np.ones(a.size, bool)
    same = np.flatnonzero(rows.ray[a] & rows.ray[b] & (rows.observer[a] == rows.observer[b]))
    if same.size:
        diff = bearings.angle_difference_deg(rows.bearing[a[same]], rows.bearing[b[same]])
        agree[same] = diff <= params.same_observer_deg
    return agree


def _agreement(
    rows: _Rows, a: IntArray, b: IntArray, params: GroupingParams
) -> tuple[BoolArray, FloatArray]:
    """Where both places are estimated from bearings: whether they agree within the errors
    (module docstring), and the gap in standard errors over the limit (0-1; NaN elsewhere)."""
    ok = np.ones(a.size, bool)
    score = np.full(a.size, np.nan)
    extent2 = params.event_extent_m**2
    both = np.flatnonzero(rows.estimated[a] & rows.estimated[b])
    if both.size:
        i, j = a[both], b[both]
        cxx = rows.cxx[i] + rows.cxx[j] + extent2
        cyy = rows.cyy[i] + rows.cyy[j] + extent2
        cxy = rows.cxy[i] + rows.cxy[j]
        ex, ey = rows.mx[j] - rows.mx[i], rows.my[j] - rows.my[i]
        m2 = (cyy * ex * ex - 2 * cxy * ex * ey + cxx * ey * ey) / (cxx * cyy - cxy * cxy)
        radius = params.radius_2d
        ok[both] = m2 <= radius * radius
        score[both] = np.sqrt(m2) / radius
    sigma = math.radians(params.sigma_deg)
    for line, other in ((a, b), (b, a)):
        mixed = np.flatnonzero(rows.ray[line] & rows.estimated[other])
        if mixed.size == 0:
            continue
        r, e = line[mixed], other[mixed]
        ux, uy = rows.dx[r], rows.dy[r]
        px = rows.mx[e] - rows.sx[r].astype(np.float64)
        py = rows.my[e] - rows.sy[r].astype(np.float64)
        along = px * ux + py * uy
        across = py * ux - px * uy
        # The line's error at the point's range, the point's own error across
        # the line, and the event's extent.
        var = (
            (sigma * np.maximum(along, MIN_RANGE_M)) ** 2
            + rows.cxx[e] * uy * uy
            + rows.cyy[e] * ux * ux
            - 2 * rows.cxy[e] * ux * uy
            + extent2
        )
        limit2 = params.sigmas**2 * var
        ok[mixed] = across * across <= limit2
        score[mixed] = np.abs(across) / np.sqrt(limit2)
    return ok, score


def _compatible(
    rows: _Rows, a: IntArray, b: IntArray, params: GroupingParams, max_seconds: float
) -> BoolArray:
    """Whether rows a[k] and b[k] may be one event (module docstring), up to max_seconds apart."""
    seconds = np.abs(rows.t[b] - rows.t[a]) / 1_000_000
    ok = (rows.family[a] == rows.family[b]) & (seconds <= max_seconds)
    both = rows.located[a] & rows.located[b]
    near = np.zeros(a.size, bool)
    where = np.flatnonzero(both & ok)
    if where.size:
        near[where] = _gaps(rows, a[where], b[where]) <= params.distance_m
    ok &= np.where(
        both,
        near,
        ~rows.located[a] & ~rows.located[b] & (rows.zone[a] == rows.zone[b]) & (rows.zone[a] > 0),
    )
    return ok & _bearings_agree(rows, a, b, params) & _agreement(rows, a, b, params)[0]


def _best_partners(rows: _Rows, assignable: BoolArray, params: GroupingParams) -> IntArray:
    """For each row to place, its best compatible partner (-1: none); rows in canonical order."""
    n = len(rows)
    partner = np.full(n, -1, np.int64)
    a1, b1 = _box_pairs(rows, params)
    keep = (assignable[a1] | assignable[b1]) & _bearings_agree(rows, a1, b1, params)
    a1, b1 = a1[keep], b1[keep]
    # The errors first: cheaper than the footprint distance, and they rule out
    # most pairs of estimated positions.
    agree, score1 = _agreement(rows, a1, b1, params)
    a1, b1, score1 = a1[agree], b1[agree], score1[agree]
    gap1 = _gaps(rows, a1, b1)
    near = gap1 <= params.distance_m
    a1, b1, gap1, score1 = a1[near], b1[near], gap1[near], score1[near]
    # Both finders keep to one family and one window; the box pairs are now
    # within the distance, the errors and the rule for one observer's bearings.
    a2, b2 = _unlocated_pairs(rows, params)
    a2, b2 = a2[assignable[a2] | assignable[b2]], b2[assignable[a2] | assignable[b2]]
    a = np.concatenate([a1, a2])
    b = np.concatenate([b1, b2])
    gap = np.concatenate([gap1, np.zeros(a2.size)])
    score = np.concatenate([score1, np.full(a2.size, np.nan)])
    if a.size == 0:
        return partner
    seconds = (rows.t[b] - rows.t[a]) / 1_000_000
    place_gap = np.where(np.isfinite(score), score, gap / params.distance_m)
    cost = seconds / params.window_s + place_gap
    # a is earlier than b (canonical order). The later one may join the
    # earlier; a row to place may also join a placed one that is later.
    forward = assignable[b]
    backward = assignable[a] & ~forward
    target = np.concatenate([b[forward], a[backward]])
    source = np.concatenate([a[forward], b[backward]])
    costs = np.concatenate([cost[forward], cost[backward]])
    # Per target, the least cost, then (ties) the earliest source: two minima, no sort.
    least = np.full(n, np.inf)
    np.minimum.at(least, target, costs)
    best = costs == least[target]
    first = np.full(n, n, np.int64)
    np.minimum.at(first, target[best], source[best])
    has = first < n
    partner[has] = first[has]
    return partner


@dataclass(frozen=True)
class GroupPlan:
    """Where each observation to place goes.

    existing[i] is the incident id it joins (0 if none); new_group[i] the
    index of a new group (-1 if none) among n_new groups. Rows not to place
    keep existing = their incident and new_group = -1.
    """

    existing: IntArray
    new_group: IntArray
    n_new: int


def _roots(parent: IntArray) -> IntArray:
    """Follow parents to the root (pointer jumping: log of the depth rounds)."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


def _leaders(rows: _Rows, assignable: BoolArray) -> IntArray:
    """Per row, the row its incident is anchored on: a placed incident's earliest row here."""
    n = len(rows)
    leader = np.arange(n, dtype=np.int64)
    placed = np.flatnonzero(~assignable & (rows.incident > 0))
    if placed.size:
        # Rows are in time order already: a stable sort by incident keeps it.
        placed = placed[np.argsort(rows.incident[placed], kind="stable")]
        incidents = rows.incident[placed]
        starts = np.ones(placed.size, bool)
        starts[1:] = incidents[1:] != incidents[:-1]
        leader[placed] = placed[starts][np.cumsum(starts) - 1]
    return leader


def canonical_order(table: ObsTable) -> IntArray:
    """Rows by time, then id: the order grouping takes them in, whatever order they came in."""
    return np.lexsort((table.id, table.t)).astype(np.int64)


def plan_groups(table: ObsTable, assignable: BoolArray, params: GroupingParams) -> GroupPlan:
    """Group the observations to place among themselves and the placed ones.

    Each joins its best partner's incident, provided it is also compatible
    with that incident's leader (its earliest observation, up to the maximum
    span earlier): incidents stay around one place instead of chaining across
    a busy front. Where a row is not, it starts its own incident (and takes
    the rows that joined through it along, if they are compatible with it).
    """
    n = len(table)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return GroupPlan(empty, empty, 0)
    order = canonical_order(table)
    rows = _rows(table, order, params)
    place = np.asarray(assignable, bool)[order]
    at = np.arange(n, dtype=np.int64)
    partner = _best_partners(rows, place, params) if n > 1 and place.any() else np.full(n, -1)
    parent = np.where(place & (partner >= 0), partner, at)
    leader = _leaders(rows, place)
    checked = at.copy()  # the leader each row was last found compatible with
    bad = np.zeros(n, bool)
    for _ in range(100):
        lead = leader[_roots(parent)]
        check = np.flatnonzero(place & (lead != at) & (lead != checked))
        if check.size == 0:
            break
        ok = _compatible(rows, lead[check], check, params, params.max_span_s)
        checked[check[ok]] = lead[check[ok]]
        bad[:] = False
        bad[check[~ok]] = True
        # Cut only the topmost offenders: those below them may fit their new leader.
        top = bad & ~bad[parent]
        parent[top] = at[top]
    else:
        parent[bad] = at[bad]
    root = _roots(parent)
    root_placed = ~place[root]
    existing = np.where(place, np.where(root_placed, rows.incident[root], 0), rows.incident)
    new_group = np.full(n, -1, np.int64)
    new_roots = place & ~root_placed
    n_new = 0
    if new_roots.any():
        # Numbered by their first row in canonical order: the same whatever the input order.
        roots, inverse = np.unique(root[new_roots], return_inverse=True)
        new_group[new_roots] = inverse
        n_new = int(roots.size)
    out_existing = np.empty(n, np.int64)
    out_new = np.empty(n, np.int64)
    out_existing[order] = existing
    out_new[order] = new_group
    return GroupPlan(out_existing, out_new, n_new)
