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
placed: observations of existing incidents (any time) or earlier ones of the
same run. It must also be compatible with that incident's *leader*, its
earliest observation, except that the leader may be up to
TRUCE_GROUPING_MAX_SPAN_MINUTES (default 120) earlier. So an exchange of fire
that goes on around one place stays one incident, while reports do not chain
from one place to the next across a busy front. An observation that does not
fit its best partner's incident takes the best partner whose incident it
does fit (rounds of this, at most four, since one observation leaving an
incident may make another fit elsewhere); without such a partner it starts
an incident. Incidents merged or split by hand are never joined.

The result depends only on the observations, not on the order they are
given in: rows are taken in order of time, then id, and ties between equally
good partners go to the earlier one.

The work is linear in the number of compatible pairs, all of it whole-array
numpy: a sweep over footprint boxes sorted by (family, time slab, west edge)
finds the pairs whose boxes meet without comparing every pair, the exact
footprint distance is computed only for those, each observation's best
partner is a per-row minimum (no sort), and the leader rule and the second
choices are enforced by a few vectorised rounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truce.lib import bearings
from truce.monitoring.services.footprints import (
    MIN_RANGE_M,
    Footprints,
    GroupingParams,
    box_pairs,
    footprints,
    gaps,
)
from truce.monitoring.services.table import ObsTable

__all__ = ["GroupPlan", "GroupingParams", "canonical_order", "plan_groups"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Rounds of rows cut from an incident finding another (each round can free others).
_REJOIN_ROUNDS = 4


def _unlocated_pairs(rows: Footprints, params: GroupingParams) -> tuple[IntArray, IntArray]:
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


def _bearings_agree(
    rows: Footprints, a: IntArray, b: IntArray, params: GroupingParams
) -> BoolArray:
    """False where a and b are bearings without distance from one observer, too far apart."""
    agree = np.ones(a.size, bool)
    same = np.flatnonzero(rows.ray[a] & rows.ray[b] & (rows.observer[a] == rows.observer[b]))
    if same.size:
        diff = bearings.angle_difference_deg(rows.bearing[a[same]], rows.bearing[b[same]])
        agree[same] = diff <= params.same_observer_deg
    return agree


def _agreement(
    rows: Footprints, a: IntArray, b: IntArray, params: GroupingParams
) -> tuple[BoolArray, FloatArray]:
    """Where both places are estimated from bearings: whether they agree within the errors
    (module docstring), and the gap in standard errors over the limit (0-1; NaN elsewhere)."""
    ok = np.ones(a.size, bool)
    score = np.full(a.size, np.nan)
    extent2 = params.event_extent_m**2
    both = np.flatnonzero(rows.estimated[a] & rows.estimated[b])
    if both.size:
        radius2 = params.radius_2d**2
        i, j = a[both], b[both]
        ex, ey = rows.mx[j] - rows.mx[i], rows.my[j] - rows.my[i]
        # The covariance's trace bounds its largest eigenvalue: a pair further apart
        # than the radius times its square root is out, without the full form.
        d2 = ex * ex + ey * ey
        near = d2 <= radius2 * (rows.trace[i] + rows.trace[j] + 2 * extent2)
        ok[both] = near
        w = np.flatnonzero(near)
        i, j, ex, ey = i[w], j[w], ex[w], ey[w]
        cxx = rows.cxx[i] + rows.cxx[j] + extent2
        cyy = rows.cyy[i] + rows.cyy[j] + extent2
        cxy = rows.cxy[i] + rows.cxy[j]
        m2 = (cyy * ex * ex - 2 * cxy * ex * ey + cxx * ey * ey) / (cxx * cyy - cxy * cxy)
        ok[both[w]] = m2 <= radius2
        score[both[w]] = np.sqrt(m2 / radius2)
    sigma = math.radians(params.sigma_deg)
    for line, other in ((a, b), (b, a)):
        mixed = np.flatnonzero(rows.ray[line] & rows.estimated[other])
        if mixed.size == 0:
            continue
        r, e = line[mixed], other[mixed]
        ux, uy = rows.dx[r], rows.dy[r]
        px = rows.mx[e] - rows.sx[r]
        py = rows.my[e] - rows.sy[r]
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
    rows: Footprints, a: IntArray, b: IntArray, params: GroupingParams, max_seconds: float
) -> BoolArray:
    """Whether rows a[k] and b[k] may be one event (module docstring), up to max_seconds apart.

    The cheap tests first (family, time, zone), then the errors, and the
    footprint distance only for the pairs still in question.
    """
    seconds = np.abs(rows.t[b] - rows.t[a]) / 1_000_000
    ok = (rows.family[a] == rows.family[b]) & (seconds <= max_seconds)
    both = rows.located[a] & rows.located[b]
    unlocated = (
        ~rows.located[a] & ~rows.located[b] & (rows.zone[a] == rows.zone[b]) & (rows.zone[a] > 0)
    )
    ok &= both | unlocated
    where = np.flatnonzero(ok & both)
    if where.size:
        i, j = a[where], b[where]
        fits = _bearings_agree(rows, i, j, params) & _agreement(rows, i, j, params)[0]
        fits[fits] = gaps(rows, i[fits], j[fits]) <= params.distance_m
        ok[where] = fits
    return ok


@dataclass(frozen=True)
class _Candidates:
    """Who may join whom: row target[k] may join the incident of row source[k], at cost[k]."""

    target: IntArray
    source: IntArray
    cost: FloatArray


def _candidates(rows: Footprints, assignable: BoolArray, params: GroupingParams) -> _Candidates:
    """Every compatible pair with a row to place, as (target, source, cost); canonical rows."""
    empty = _Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    a1, b1 = box_pairs(rows, params)
    keep = (assignable[a1] | assignable[b1]) & _bearings_agree(rows, a1, b1, params)
    a1, b1 = a1[keep], b1[keep]
    # The errors first: cheaper than the footprint distance, and they rule out
    # most pairs of estimated positions.
    agree, score1 = _agreement(rows, a1, b1, params)
    a1, b1, score1 = a1[agree], b1[agree], score1[agree]
    gap1 = gaps(rows, a1, b1)
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
        return empty
    seconds = (rows.t[b] - rows.t[a]) / 1_000_000
    place_gap = np.where(np.isfinite(score), score, gap / params.distance_m)
    cost = seconds / params.window_s + place_gap
    # a is earlier than b (canonical order). The later one may join the
    # earlier; a row to place may also join a placed one that is later.
    forward = assignable[b]
    backward = assignable[a] & ~forward
    return _Candidates(
        np.concatenate([b[forward], a[backward]]),
        np.concatenate([a[forward], b[backward]]),
        np.concatenate([cost[forward], cost[backward]]),
    )


def _least(n: int, target: IntArray, source: IntArray, cost: FloatArray) -> IntArray:
    """Per row, the source of its least-cost candidate, ties to the earliest (-1: none).

    Two minima over the rows (ufunc.at), no sort: linear in the candidates.
    """
    partner = np.full(n, -1, np.int64)
    if target.size == 0:
        return partner
    least = np.full(n, np.inf)
    np.minimum.at(least, target, cost)
    best = cost == least[target]
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


def _leaders(rows: Footprints, assignable: BoolArray) -> IntArray:
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


def _keep_to_leaders(
    rows: Footprints,
    parent: IntArray,
    leader: IntArray,
    place: BoolArray,
    checked: IntArray,
    params: GroupingParams,
) -> None:
    """Cut rows away from incidents whose leader they are not compatible with (in place).

    Only the topmost offenders are cut in a round: those below them may fit
    their new leader. checked[i] is the leader row i was last found to fit.
    """
    at = np.arange(len(rows), dtype=np.int64)
    bad = np.zeros(len(rows), bool)
    for _ in range(100):
        lead = leader[_roots(parent)]
        check = np.flatnonzero(place & (lead != at) & (lead != checked))
        if check.size == 0:
            return
        ok = _compatible(rows, lead[check], check, params, params.max_span_s)
        checked[check[ok]] = lead[check[ok]]
        bad[:] = False
        bad[check[~ok]] = True
        top = bad & ~bad[parent]
        parent[top] = at[top]
    parent[bad] = at[bad]


def _rejoin(
    rows: Footprints,
    candidates: _Candidates,
    parent: IntArray,
    leader: IntArray,
    place: BoolArray,
    checked: IntArray,
    params: GroupingParams,
) -> bool:
    """Rows cut from their best partner's incident join their best partner whose incident's
    leader they do fit, if any (in place); whether any did.

    "Its best compatible partner" is then read as the rule says: best among
    the partners whose incident it may join, not the best one overall.
    """
    at = np.arange(len(rows), dtype=np.int64)
    root = _roots(parent)
    cut = place & (parent == at)
    mask = cut[candidates.target]
    target, source = candidates.target[mask], candidates.source[mask]
    cost = candidates.cost[mask]
    lead = leader[root[source]]
    # Not into its own incident (those rows joined through it), nor one it does not fit.
    other = root[source] != target
    target, source, cost, lead = target[other], source[other], cost[other], lead[other]
    ok = _compatible(rows, lead, target, params, params.max_span_s)
    target, source, cost, lead = target[ok], source[ok], cost[ok], lead[ok]
    if target.size == 0:
        return False
    choice = _least(len(rows), target, source, cost)
    moved = np.flatnonzero(choice >= 0)
    parent[moved] = choice[moved]
    checked[moved] = leader[root[choice[moved]]]
    return True


def canonical_order(table: ObsTable) -> IntArray:
    """Rows by time, then id: the order grouping takes them in, whatever order they came in."""
    return np.lexsort((table.id, table.t)).astype(np.int64)


def plan_groups(table: ObsTable, assignable: BoolArray, params: GroupingParams) -> GroupPlan:
    """Group the observations to place among themselves and the placed ones.

    Each joins its best partner's incident, provided it is also compatible
    with that incident's leader (its earliest observation, up to the maximum
    span earlier): incidents stay around one place instead of chaining across
    a busy front. Where a row is not, it joins its best partner whose
    incident's leader it does fit, or else starts its own incident (and takes
    the rows that joined through it along, if they are compatible with it).
    """
    n = len(table)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return GroupPlan(empty, empty, 0)
    order = canonical_order(table)
    rows = footprints(table, order, params)
    place = np.asarray(assignable, bool)[order]
    at = np.arange(n, dtype=np.int64)
    if n > 1 and place.any():
        candidates = _candidates(rows, place, params)
    else:
        candidates = _Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    partner = _least(n, candidates.target, candidates.source, candidates.cost)
    parent = np.where(place & (partner >= 0), partner, at)
    leader = _leaders(rows, place)
    checked = at.copy()  # the leader each row was last found compatible with
    for _ in range(_REJOIN_ROUNDS):
        _keep_to_leaders(rows, parent, leader, place, checked, params)
        if not _rejoin(rows, candidates, parent, leader, place, checked, params):
            break
    else:
        _keep_to_leaders(rows, parent, leader, place, checked, params)
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
