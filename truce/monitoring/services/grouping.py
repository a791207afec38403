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
* they are at most TRUCE_GROUPING_WINDOW_MINUTES apart (default 10).

Observations are taken in time order and each joins the incident of its
*best* compatible partner (least time gap / window + footprint gap /
distance) among those already placed: observations of existing incidents
(any time) or earlier ones of the same run. It must also be compatible with
that incident's *leader*, its earliest observation, except that the leader
may be up to TRUCE_GROUPING_MAX_SPAN_MINUTES (default 120) earlier. So an
exchange of fire that goes on around one place stays one incident, while
reports do not chain from one place to the next across a busy front.
Without such a partner an observation starts an incident. Incidents merged
or split by hand are never joined.

The work is linear in the number of compatible pairs: per type family, a
time sweep with an STRtree per slab finds them without comparing every
pair, and the leader rule is enforced by a few vectorised rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from django.conf import settings

from truce.lib import bearings
from truce.monitoring.services.table import BEARING_DISTANCE, GIVEN, ObsTable

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SAME_OBSERVER_DEG = 10.0


@dataclass(frozen=True)
class GroupingParams:
    window_s: float
    distance_m: float
    max_range_m: float
    max_span_s: float
    distance_error: float
    same_observer_deg: float = SAME_OBSERVER_DEG

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
        )


Coordinates = npt.NDArray[np.floating[Any]]
Segments = tuple[Coordinates, Coordinates, Coordinates, Coordinates]


def _footprints(table: ObsTable, params: GroupingParams) -> tuple[Segments, BoolArray]:
    """Footprints as segments (x1, y1, x2, y2) in a local plane; points have no length.

    NaN where an observation has none (the mask says which have one).
    """
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
    if not (point.any() or has_line.any()):
        return (x1, y1, x2, y2), point | has_line
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
    # Metres within a few hundred km of the plane's centre: float32 keeps them
    # to centimetres and halves the work on a million pairs.
    seg = (
        x1.astype(np.float32),
        y1.astype(np.float32),
        x2.astype(np.float32),
        y2.astype(np.float32),
    )
    return seg, point | has_line


def _spatial_pairs(
    table: ObsTable, seg: Segments, located: BoolArray, params: GroupingParams
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pairs (earlier, later) of located observations of one type family within the window
    and the distance, with the distance between their footprints.

    Per family, slabs one window wide are swept in time order; each slab's
    boxes (grown by half the distance) are queried against an STRtree of the
    boxes of the slab and the window before it: every pair is found exactly
    once, no tree holds more than two windows of one family, and only pairs
    whose boxes meet reach the exact (vectorised) segment distance.
    """
    w = int(params.window_s * 1_000_000)
    x1, y1, x2, y2 = seg
    half = params.distance_m / 2
    everywhere = np.flatnonzero(located)
    boxes = np.full(len(table), None, dtype=object)
    boxes[everywhere] = shapely.box(
        np.minimum(x1, x2)[everywhere] - half,
        np.minimum(y1, y2)[everywhere] - half,
        np.maximum(x1, x2)[everywhere] + half,
        np.maximum(y1, y2)[everywhere] + half,
    )
    firsts: list[IntArray] = [np.zeros(0, np.int64)]
    seconds: list[IntArray] = [np.zeros(0, np.int64)]
    for family in np.unique(table.family[located]):
        idx = np.flatnonzero(located & (table.family == family))
        if idx.size < 2:
            continue
        idx = idx[np.argsort(table.t[idx], kind="stable")]
        t = table.t[idx]
        qlo = 0
        while qlo < idx.size:
            qhi = int(np.searchsorted(t, t[qlo] + w, side="right"))
            tlo = int(np.searchsorted(t, t[qlo] - w, side="left"))
            if qhi - tlo > 1:
                qi, ti = shapely.STRtree(boxes[idx[tlo:qhi]]).query(boxes[idx[qlo:qhi]])
                qpos = qlo + qi
                tpos = tlo + ti
                keep = (tpos < qpos) & (t[qpos] - t[tpos] <= w)
                firsts.append(idx[tpos[keep]])
                seconds.append(idx[qpos[keep]])
            qlo = qhi
    a = np.concatenate(firsts)
    b = np.concatenate(seconds)
    gaps = _gaps(seg, a, b)
    near = gaps <= params.distance_m
    return a[near], b[near], gaps[near]


def _gaps(seg: Segments, a: IntArray, b: IntArray) -> FloatArray:
    x1, y1, x2, y2 = seg
    gaps = bearings.segment_distances((x1[a], y1[a], x2[a], y2[a]), (x1[b], y1[b], x2[b], y2[b]))
    return gaps.astype(np.float64)


def _unlocated_pairs(
    table: ObsTable, located: BoolArray, params: GroupingParams
) -> tuple[IntArray, IntArray]:
    """Consecutive observations without a footprint in the same zone and type family."""
    idx = np.flatnonzero(~located & (table.zone > 0))
    if idx.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    idx = idx[np.lexsort((table.t[idx], table.zone[idx], table.family[idx]))]
    a, b = idx[:-1], idx[1:]
    same = (
        (table.family[a] == table.family[b])
        & (table.zone[a] == table.zone[b])
        & (table.t[b] - table.t[a] <= int(params.window_s * 1_000_000))
    )
    return a[same], b[same]


@dataclass(frozen=True)
class _Geometry:
    seg: Segments
    located: BoolArray
    ray: BoolArray


def _compatible(
    table: ObsTable,
    g: _Geometry,
    a: IntArray,
    b: IntArray,
    params: GroupingParams,
    max_seconds: float,
) -> tuple[BoolArray, FloatArray]:
    """Whether rows a[k] and b[k] may be one event (module docstring), and the match cost."""
    seconds = np.abs(table.t[b] - table.t[a]) / 1_000_000
    ok = (table.family[a] == table.family[b]) & (seconds <= max_seconds)
    gap = np.zeros(a.size)
    both = g.located[a] & g.located[b]
    if both.any():
        gap[both] = _gaps(g.seg, a[both], b[both])
    ok &= np.where(
        both,
        gap <= params.distance_m,
        ~g.located[a] & ~g.located[b] & (table.zone[a] == table.zone[b]) & (table.zone[a] > 0),
    )
    ok &= _bearings_agree(table, g, a, b, params)
    return ok, seconds / params.window_s + gap / params.distance_m


def _bearings_agree(
    table: ObsTable, g: _Geometry, a: IntArray, b: IntArray, params: GroupingParams
) -> BoolArray:
    """False where a and b are bearings without distance from one observer, too far apart."""
    same_observer_rays = g.ray[a] & g.ray[b] & (table.observer[a] == table.observer[b])
    with np.errstate(invalid="ignore"):
        agree = (
            bearings.angle_difference_deg(table.bearing[a], table.bearing[b])
            <= params.same_observer_deg
        )
    return np.asarray(~same_observer_rays | agree, bool)


def _geometry(table: ObsTable, params: GroupingParams) -> _Geometry:
    seg, located = _footprints(table, params)
    # Lines without a distance reach back to their observer, so two from one
    # observer always touch there: the angle between them must decide.
    ray = located & np.isfinite(table.bearing) & ~np.isin(table.method, [GIVEN, BEARING_DISTANCE])
    return _Geometry(seg, located, ray)


def best_partners(
    table: ObsTable, assignable: BoolArray, params: GroupingParams, g: _Geometry | None = None
) -> IntArray:
    """For each observation to place, the row of its best compatible partner (-1: none)."""
    n = len(table)
    partner = np.full(n, -1, np.int64)
    if n < 2 or not assignable.any():
        return partner
    g = g or _geometry(table, params)
    a1, b1, gap1 = _spatial_pairs(table, g.seg, g.located, params)
    a2, b2 = _unlocated_pairs(table, g.located, params)
    a = np.concatenate([a1, a2])
    b = np.concatenate([b1, b2])
    gap = np.concatenate([gap1, np.zeros(a2.size)])
    # Both finders keep to one family, one window and the distance; what is
    # left is the rule for two bearings from one observer.
    ok = (assignable[b] | assignable[a]) & _bearings_agree(table, g, a, b, params)
    a, b, gap = a[ok], b[ok], gap[ok]
    seconds = np.abs(table.t[b] - table.t[a]) / 1_000_000
    cost = seconds / params.window_s + gap / params.distance_m
    # a is earlier (in the sweep's order) than b. The later one may join the
    # earlier; an observation to place may also join a placed one that is later.
    forward = assignable[b]
    backward = assignable[a] & ~assignable[b]
    target = np.concatenate([b[forward], a[backward]])
    source = np.concatenate([a[forward], b[backward]])
    costs = np.concatenate([cost[forward], cost[backward]])
    if target.size == 0:
        return partner
    # Per target, the least cost: one sort on target + cost / 4 (costs stay below 2).
    order = np.argsort(target + costs / 4.0, kind="stable")
    target, source = target[order], source[order]
    first = np.ones(target.size, bool)
    first[1:] = target[1:] != target[:-1]
    partner[target[first]] = source[first]
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


def _leaders(table: ObsTable, assignable: BoolArray) -> IntArray:
    """Per row, the row its incident is anchored on: a placed incident's earliest row here."""
    n = len(table)
    leader = np.arange(n, dtype=np.int64)
    placed = np.flatnonzero(~assignable & (table.incident > 0))
    if placed.size:
        placed = placed[np.lexsort((table.t[placed], table.incident[placed]))]
        incidents = table.incident[placed]
        starts = np.ones(placed.size, bool)
        starts[1:] = incidents[1:] != incidents[:-1]
        first_of = placed[starts][np.cumsum(starts) - 1]
        leader[placed] = first_of
    return leader


def plan_groups(table: ObsTable, assignable: BoolArray, params: GroupingParams) -> GroupPlan:
    """Group the observations to place among themselves and the placed ones.

    Each joins its best partner's incident, provided it is also compatible
    with that incident's leader (its earliest observation, up to the maximum
    span earlier): incidents stay around one place instead of chaining across
    a busy front. Where a row is not, it starts its own incident (and takes
    the rows that joined through it along, if they are compatible with it).
    """
    n = len(table)
    rows = np.arange(n, dtype=np.int64)
    g = _geometry(table, params) if n else None
    partner = best_partners(table, assignable, params, g)
    parent = np.where(assignable & (partner >= 0), partner, rows)
    leader = _leaders(table, assignable)
    checked = rows.copy()  # the leader each row was last found compatible with
    bad = np.zeros(n, bool)
    for _ in range(100):
        lead = leader[_roots(parent)]
        check = np.flatnonzero(assignable & (lead != rows) & (lead != checked))
        if check.size == 0 or g is None:
            break
        ok, _ = _compatible(table, g, lead[check], check, params, params.max_span_s)
        checked[check[ok]] = lead[check[ok]]
        bad[:] = False
        bad[check[~ok]] = True
        # Cut only the topmost offenders: those below them may fit their new leader.
        top = bad & ~bad[parent]
        parent[top] = rows[top]
    else:
        parent[bad] = rows[bad]
    root = _roots(parent)
    root_placed = ~assignable[root]
    existing = np.where(assignable, np.where(root_placed, table.incident[root], 0), table.incident)
    new_group = np.full(n, -1, np.int64)
    new_roots = assignable & ~root_placed
    if not new_roots.any():
        return GroupPlan(existing, new_group, 0)
    roots, inverse = np.unique(root[new_roots], return_inverse=True)
    new_group[new_roots] = inverse
    return GroupPlan(existing, new_group, int(roots.size))
