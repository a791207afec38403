"""Observations' footprints in a local plane, and the pairs whose footprints meet.

The geometry grouping.py's rules are judged on: each observation's footprint
(a point, or a stretch of its bearing line), its estimated place and error
where it has a bearing with a distance, the candidate pairs found by a sweep
over the footprints' boxes, and the exact distance between two footprints.
All of it whole-array numpy, in float32 where metres a few hundred km from
the plane's centre allow it (centimetres), halving the work on millions of pairs.
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
CHUNK_ROWS = 8_192


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
class Footprints:
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
    dx: Float32Array
    dy: Float32Array
    mx: Float32Array
    my: Float32Array
    cxx: Float32Array
    cyy: Float32Array
    cxy: Float32Array
    trace: Float32Array  # cxx + cyy

    def __len__(self) -> int:
        return int(self.t.size)


def footprints(table: ObsTable, order: IntArray, params: GroupingParams) -> Footprints:
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

    return Footprints(
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
        dx=f32(dx_all),
        dy=f32(dy_all),
        mx=f32(mx),
        my=f32(my),
        cxx=f32(cxx),
        cyy=f32(cyy),
        cxy=f32(cxy),
        trace=f32(cxx + cyy),
    )


def expand(queries: IntArray, lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
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


def box_pairs(rows: Footprints, params: GroupingParams) -> tuple[IntArray, IntArray]:
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
    for start in range(0, n, CHUNK_ROWS):
        q = np.arange(start, min(start + CHUNK_ROWS, n), dtype=np.int64)
        here = bucket[q] * span - x0
        nxt = here + span
        same_hi = np.searchsorted(key, here + hi_x[q], side="right")
        next_lo = np.searchsorted(key, nxt + lo_x[q], side="left")
        next_hi = np.searchsorted(key, nxt + hi_x[q], side="right")
        prev_lo = np.searchsorted(key, here - span + lo_x[q], side="right")
        prev_hi = np.searchsorted(key, here - span + hi_x[q], side="right")
        parts = [
            expand(q, q + 1, same_hi),
            expand(q, next_lo, next_hi),
            expand(q, prev_lo, prev_hi),
        ]
        qq = np.concatenate([p[0] for p in parts])
        pp = np.concatenate([p[1] for p in parts])
        keep = (lo_y[pp] <= hi_y[qq]) & (lo_y[qq] <= hi_y[pp]) & (np.abs(t[pp] - t[qq]) <= window)
        a, b = rows_at[qq[keep]], rows_at[pp[keep]]
        firsts.append(np.minimum(a, b))
        seconds.append(np.maximum(a, b))
    return np.concatenate(firsts), np.concatenate(seconds)


def gaps(rows: Footprints, a: IntArray, b: IntArray) -> FloatArray:
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
