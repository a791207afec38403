"""Positions of observed events and of incidents (the geometry is in truce.lib.bearings).

An observation's event position is the one given (lon/lat), else the
observer's position carried along the bearing for the distance on the
ellipsoid, else none. An incident's position is fixed from all its
observations, in this order of preference:

1. positions given by the mission's own observers (a drone, a patrol on the
   spot): their mean, with their spread as uncertainty;
2. bearings from two or more different observers: their least-squares
   intersection (one averaged bearing per observer);
3. bearings with distances: their inverse-variance mean;
4. positions given in a party's report: their mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.conf import settings

from truce.lib import bearings
from truce.monitoring.models import PositionMethod
from truce.monitoring.services.table import BEARING_DISTANCE, GIVEN, NO_POSITION, ObsTable

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS: tuple[str, ...] = (
    PositionMethod.NONE,
    PositionMethod.GIVEN,
    PositionMethod.BEARING_DISTANCE,
    PositionMethod.INTERSECTION,
)
# Codes into METHODS: an observation's own (table.py), then the incident-only one.
NONE, INTERSECTION = NO_POSITION, 3


@dataclass(frozen=True)
class FixParams:
    sigma_deg: float
    distance_error: float
    min_crossing_deg: float
    max_range_m: float

    @classmethod
    def from_settings(cls) -> FixParams:
        return cls(
            sigma_deg=float(
                getattr(settings, "TRUCE_BEARING_SIGMA_DEG", bearings.BEARING_SIGMA_DEG)
            ),
            distance_error=float(
                getattr(settings, "TRUCE_DISTANCE_ERROR", bearings.DISTANCE_ERROR)
            ),
            min_crossing_deg=bearings.MIN_CROSSING_DEG,
            max_range_m=float(getattr(settings, "TRUCE_GROUPING_MAX_RANGE_M", 15_000)),
        )


@dataclass(frozen=True)
class EventPositions:
    lon: FloatArray
    lat: FloatArray
    method: list[str]


def event_positions(
    lon: Sequence[float | None],
    lat: Sequence[float | None],
    observer_lon: Sequence[float | None],
    observer_lat: Sequence[float | None],
    bearing: Sequence[float | None],
    distance: Sequence[float | None],
) -> EventPositions:
    """Given positions, else bearing-and-distance destinations, else NaN."""

    def arr(values: Sequence[float | None]) -> FloatArray:
        return np.array([np.nan if v is None else v for v in values], float)

    out_lon, out_lat = arr(lon), arr(lat)
    methods = [PositionMethod.GIVEN.value if v is not None else "" for v in lon]
    olon, olat, b, d = arr(observer_lon), arr(observer_lat), arr(bearing), arr(distance)
    derive = (
        np.isnan(out_lon) & np.isfinite(olon) & np.isfinite(olat) & np.isfinite(b) & np.isfinite(d)
    )
    if derive.any():
        dlon, dlat = bearings.destinations(olon[derive], olat[derive], b[derive], d[derive])
        out_lon[derive], out_lat[derive] = dlon, dlat
        for i in np.flatnonzero(derive):
            methods[i] = PositionMethod.BEARING_DISTANCE.value
    return EventPositions(out_lon, out_lat, methods)


@dataclass(frozen=True)
class IncidentFixes:
    lon: FloatArray
    lat: FloatArray
    uncertainty: FloatArray
    method: IntArray  # index into METHODS


def _observer_lines(
    table: ObsTable, group: IntArray, plane: bearings.LocalPlane
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """One line per (incident, observer): the mean observer position and mean direction."""
    p = table.planar(plane)
    has = np.isfinite(p.dx) & np.isfinite(p.ox)
    idx = np.flatnonzero(has)
    empty = np.zeros(0)
    if idx.size == 0:
        return np.zeros(0, np.int64), empty, empty, empty, empty
    observer = table.observer[idx] - int(table.observer[idx].min())
    keys = group[idx] * (int(observer.max()) + 1) + observer
    unique, inverse = np.unique(keys, return_inverse=True)
    n = unique.size
    counts = np.bincount(inverse, None, n)
    mx = np.bincount(inverse, p.ox[idx], n) / counts
    my = np.bincount(inverse, p.oy[idx], n) / counts
    # The mean of unit vectors, normalised: the circular mean of the bearings.
    vx = np.bincount(inverse, p.dx[idx], n)
    vy = np.bincount(inverse, p.dy[idx], n)
    norm = np.hypot(vx, vy)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx, dy = vx / norm, vy / norm
    line_group = np.zeros(n, np.int64)
    line_group[inverse] = group[idx]
    usable = norm > 1e-9  # opposite bearings from one observer cancel out: no line
    return line_group[usable], mx[usable], my[usable], dx[usable], dy[usable]


def incident_fixes(
    table: ObsTable,
    group: npt.ArrayLike,
    n_groups: int,
    params: FixParams,
) -> IncidentFixes:
    """The position, uncertainty (m) and method of each group of observations."""
    g = np.asarray(group, np.int64)
    lon = np.full(n_groups, np.nan)
    lat = np.full(n_groups, np.nan)
    unc = np.full(n_groups, np.nan)
    method = np.zeros(n_groups, np.int64)
    if n_groups == 0 or len(table) == 0:
        return IncidentFixes(lon, lat, unc, method)
    plane = bearings.plane_for(
        np.concatenate([table.lon, table.observer_lon]),
        np.concatenate([table.lat, table.observer_lat]),
    )
    x = np.full(n_groups, np.nan)
    y = np.full(n_groups, np.nan)
    p = table.planar(plane)

    def fill(mask_obs: npt.NDArray[np.bool_], code: int, with_unc: bool) -> None:
        # Only groups without a position from a more trusted method yet.
        take = mask_obs & (method[g] == NONE)
        if not take.any():
            return
        idx = np.flatnonzero(take)
        u = (
            bearings.bearing_distance_uncertainty(
                table.distance[idx],
                sigma_deg=params.sigma_deg,
                distance_error=params.distance_error,
            )
            if with_unc
            else None
        )
        mx, my, mu = bearings.combine_positions(g[idx], n_groups, p.x[idx], p.y[idx], u)
        got = np.unique(g[idx])
        x[got], y[got], unc[got], method[got] = mx[got], my[got], mu[got], code

    given = table.method == GIVEN
    fill(given & table.mission_observer, GIVEN, False)
    line_group, px, py, dx, dy = _observer_lines(table, g, plane)
    if line_group.size:
        fixes = bearings.intersect_groups(
            line_group,
            n_groups,
            px,
            py,
            dx,
            dy,
            sigma_deg=params.sigma_deg,
            min_crossing_deg=params.min_crossing_deg,
            max_range_m=params.max_range_m,
        )
        use = fixes.ok & (method == NONE)
        x[use], y[use], unc[use], method[use] = (
            fixes.x[use],
            fixes.y[use],
            fixes.uncertainty[use],
            INTERSECTION,
        )
    fill(table.method == BEARING_DISTANCE, BEARING_DISTANCE, True)
    fill(given & ~table.mission_observer, GIVEN, False)
    placed = method != NONE
    if placed.any():
        lon[placed], lat[placed] = plane.to_lonlat(x[placed], y[placed])
    return IncidentFixes(lon, lat, unc, method)
