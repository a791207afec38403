"""Position fixes from bearings and distances (pure geometry, no Django).

Observers report a bearing (degrees clockwise from true north) and sometimes
an estimated distance. Fixes are computed in a local metric plane: an
azimuthal equidistant projection (pyproj) centred near the observers. Within
a few hundred kilometres of its centre that plane distorts lengths by less
than 0.05 %, far below a reported bearing's error. Bearings are carried into
the plane through the ellipsoid (a short geodesic step from the observer is
projected), so meridian convergence does not bend them.

The formulas, in the plane, with unit direction d_i of bearing i from
observer p_i, its unit normal n_i = (-d_iy, d_ix), and the angular error
sigma (radians) of a reported bearing:

* Intersection of two or more bearings: weighted least squares for the point
  x minimising sum w_i (n_i . (x - p_i))^2, the squared perpendicular
  distances to the bearing lines. A first pass uses w_i = 1; the second uses
  w_i = 1 / (sigma r_i)^2 with r_i the range from observer i to the first
  estimate, since a bearing error of sigma displaces a point at range r by
  sigma r across the line. The covariance of x is C = M^-1 with
  M = sum w_i n_i n_i^T; the uncertainty (DRMS, metres) is
  sqrt(s^2 trace C), where s^2 = max(1, chi^2 / (n - 2)) inflates it when the
  residuals chi^2 = sum w_i (n_i . (x - p_i))^2 exceed what sigma explains
  (possible only with three or more bearings). For two bearings at equal
  range r crossing at angle g this is sigma r sqrt(2) / sin g: a shallow
  crossing gives a large uncertainty. The fix is refused when the bearings
  are nearly parallel (sum over pairs of sin^2 of their angle, which equals
  det of the unweighted M, below sin^2 of MIN_CROSSING_DEG), when it lies
  behind an observer, or beyond the plausible range of any observer.
* One bearing with a distance d: the geodesic destination, with uncertainty
  sqrt((DISTANCE_ERROR d)^2 + (sigma d)^2): the distance estimate's error
  along the line and the bearing's error across it, independent, in
  quadrature.
* Several positions with uncertainties u_i: the inverse-variance mean, with
  uncertainty max(sqrt(1 / sum u_i^-2), spread), spread being the RMS
  distance of the positions from their mean.
* Positions given without uncertainty: the plain mean, with the spread as
  uncertainty (none for a single position).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj

FloatArray = npt.NDArray[np.float64]
# Any float width: segment distances run in float32 for speed.
Floats = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.int64]

GEOD = pyproj.Geod(ellps="WGS84")
# Defaults; the services read settings that override them.
BEARING_SIGMA_DEG = 2.0
DISTANCE_ERROR = 0.10
MIN_CROSSING_DEG = 10.0
MAX_RANGE_M = 15_000.0
# Ranges shorter than this are treated as this, so a bearing reported from
# right beside the event does not get an absurd weight.
MIN_RANGE_M = 100.0
# Length of the geodesic steps that give the plane's local frame at a point:
# short enough that the plane's distortion along them is far below a metre.
FRAME_STEP_M = 1_000.0


@dataclass(frozen=True)
class Fix:
    """A position (lon, lat) with its uncertainty in metres (None: unknown)."""

    lon: float
    lat: float
    uncertainty_m: float | None
    method: str


class LocalPlane:
    """An azimuthal equidistant plane (metres) centred at (lon0, lat0)."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = lon0
        self.lat0 = lat0
        crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs"
        self._forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._inverse = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def to_xy(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        x, y = self._forward.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_lonlat(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        lon, lat = self._inverse.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, float), np.asarray(lat, float)

    def directions(
        self,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        bearing_deg: npt.ArrayLike,
        origin_xy: tuple[FloatArray, FloatArray] | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Unit vectors in the plane along each bearing (NaN where an input is NaN).

        A bearing is carried into the plane through the ellipsoid: a short
        geodesic step from its origin, projected. Observers are few and report
        many bearings, so where origins repeat the steps are taken once per
        origin, north and east, giving the plane's local frame there (meridian
        convergence and scale), and each bearing is its compass vector in that
        frame (the same direction to a ten-thousandth of a degree).
        origin_xy, the points already in the plane, saves projecting them again.
        """
        lon_a = np.asarray(lon, float)
        lat_a = np.asarray(lat, float)
        bearing = np.asarray(bearing_deg, float)
        ok = np.isfinite(lon_a) & np.isfinite(lat_a) & np.isfinite(bearing)
        dx = np.full(lon_a.shape, np.nan)
        dy = np.full(lon_a.shape, np.nan)
        if not ok.any():
            return dx, dy
        origins, inverse = np.unique(lon_a[ok] + 1j * lat_a[ok], return_inverse=True)
        if 3 * origins.size < inverse.size:
            east, north = self.frames(origins.real, origins.imag)
            b = np.radians(bearing[ok])
            s, c = np.sin(b), np.cos(b)
            vx = s * east[0][inverse] + c * north[0][inverse]
            vy = s * east[1][inverse] + c * north[1][inverse]
        else:
            step = np.full(inverse.size, FRAME_STEP_M)
            lon2, lat2, _ = GEOD.fwd(lon_a[ok], lat_a[ok], bearing[ok], step)
            if origin_xy is None:
                x1, y1 = self.to_xy(lon_a[ok], lat_a[ok])
            else:
                x1, y1 = origin_xy[0][ok], origin_xy[1][ok]
            x2, y2 = self.to_xy(lon2, lat2)
            vx, vy = x2 - x1, y2 - y1
        norm = np.hypot(vx, vy)
        dx[ok], dy[ok] = vx / norm, vy / norm
        return dx, dy

    def frames(
        self, lon: FloatArray, lat: FloatArray
    ) -> tuple[tuple[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]:
        """Where a metre east and a metre north of each point lie in the plane (per metre)."""
        n = lon.size
        step = np.full(n, FRAME_STEP_M)
        x0, y0 = self.to_xy(lon, lat)
        lon_e, lat_e, _ = GEOD.fwd(lon, lat, np.full(n, 90.0), step)
        lon_n, lat_n, _ = GEOD.fwd(lon, lat, np.zeros(n), step)
        xe, ye = self.to_xy(lon_e, lat_e)
        xn, yn = self.to_xy(lon_n, lat_n)
        return ((xe - x0) / step, (ye - y0) / step), ((xn - x0) / step, (yn - y0) / step)


@functools.lru_cache(maxsize=16)
def _plane_at(lon0: float, lat0: float) -> LocalPlane:
    return LocalPlane(lon0, lat0)


def plane_for(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LocalPlane:
    """A plane centred near the points (rounded to 0.5 degree, so it can be reused)."""
    lon_a = np.asarray(lon, float)
    lat_a = np.asarray(lat, float)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not ok.any():
        return _plane_at(0.0, 0.0)
    lon0 = round(float(np.mean(lon_a[ok])) * 2) / 2
    lat0 = round(float(np.mean(lat_a[ok])) * 2) / 2
    return _plane_at(lon0, lat0)


def destinations(
    lon: npt.ArrayLike, lat: npt.ArrayLike, bearing_deg: npt.ArrayLike, distance_m: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Geodesic destinations (WGS 84) from points along bearings for distances."""
    lon2, lat2, _ = GEOD.fwd(
        np.asarray(lon, float),
        np.asarray(lat, float),
        np.asarray(bearing_deg, float),
        np.asarray(distance_m, float),
    )
    return np.asarray(lon2, float), np.asarray(lat2, float)


def bearing_distance_uncertainty(
    distance_m: npt.ArrayLike,
    *,
    sigma_deg: float = BEARING_SIGMA_DEG,
    distance_error: float = DISTANCE_ERROR,
) -> FloatArray:
    d = np.asarray(distance_m, float)
    return np.asarray(np.hypot(distance_error * d, math.radians(sigma_deg) * d), float)


def bearing_distance_fix(
    lon: float,
    lat: float,
    bearing_deg: float,
    distance_m: float,
    *,
    sigma_deg: float = BEARING_SIGMA_DEG,
    distance_error: float = DISTANCE_ERROR,
) -> Fix:
    """Where a bearing and a distance from an observer point to."""
    lon2, lat2 = destinations([lon], [lat], [bearing_deg], [distance_m])
    unc = bearing_distance_uncertainty(
        [distance_m], sigma_deg=sigma_deg, distance_error=distance_error
    )
    return Fix(float(lon2[0]), float(lat2[0]), float(unc[0]), "bearing_distance")


@dataclass(frozen=True)
class GroupFixes:
    """Per-group results of intersect_groups; ok is False where no fix was possible."""

    x: FloatArray
    y: FloatArray
    uncertainty: FloatArray
    ok: npt.NDArray[np.bool_]


def _solve(
    group: IntArray,
    n_groups: int,
    nx: FloatArray,
    ny: FloatArray,
    c: FloatArray,
    w: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per group: the point minimising sum w (n . x - c)^2, trace of M^-1, and det M."""
    a = np.bincount(group, w * nx * nx, n_groups)
    b = np.bincount(group, w * nx * ny, n_groups)
    cc = np.bincount(group, w * ny * ny, n_groups)
    u = np.bincount(group, w * nx * c, n_groups)
    v = np.bincount(group, w * ny * c, n_groups)
    det = a * cc - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (cc * u - b * v) / det
        y = (a * v - b * u) / det
        trace = (a + cc) / det
    return x, y, trace, det


def intersect_groups(
    group: npt.ArrayLike,
    n_groups: int,
    px: npt.ArrayLike,
    py: npt.ArrayLike,
    dx: npt.ArrayLike,
    dy: npt.ArrayLike,
    *,
    sigma_deg: float = BEARING_SIGMA_DEG,
    min_crossing_deg: float = MIN_CROSSING_DEG,
    max_range_m: float = MAX_RANGE_M,
) -> GroupFixes:
    """Intersect bearing lines, many groups at once (see the module docstring).

    Line i starts at (px, py) with unit direction (dx, dy) and belongs to
    group[i]; give one line per observer (average an observer's bearings
    first), since the formula treats lines as independent.
    """
    g = np.asarray(group, np.int64)
    px_a, py_a = np.asarray(px, float), np.asarray(py, float)
    dx_a, dy_a = np.asarray(dx, float), np.asarray(dy, float)
    nx, ny = -dy_a, dx_a
    c = nx * px_a + ny * py_a
    ones = np.ones_like(px_a)
    x0, y0, _, det0 = _solve(g, n_groups, nx, ny, c, ones)
    well_posed = det0 >= math.sin(math.radians(min_crossing_deg)) ** 2
    # Second pass: weight each line by its cross-track error at its range.
    with np.errstate(invalid="ignore"):
        rng = np.maximum(np.hypot(x0[g] - px_a, y0[g] - py_a), MIN_RANGE_M)
    sigma = math.radians(sigma_deg)
    w = 1.0 / (sigma * np.where(np.isfinite(rng), rng, MIN_RANGE_M)) ** 2
    x, y, trace, _ = _solve(g, n_groups, nx, ny, c, w)
    lines = np.bincount(g, None, n_groups)
    # Groups without a solution carry NaN through; they are refused below.
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = nx * x[g] + ny * y[g] - c
        chi2 = np.bincount(g, w * resid * resid, n_groups)
        scale = np.where(lines > 2, np.maximum(1.0, chi2 / (lines - 2)), 1.0)
        uncertainty = np.sqrt(scale * trace)
        along = dx_a * (x[g] - px_a) + dy_a * (y[g] - py_a)
        bad_line = ~((along > 0) & (along <= max_range_m))
    bad_group = np.bincount(g, bad_line.astype(float), n_groups) > 0
    ok = well_posed & ~bad_group & (lines >= 2) & np.isfinite(x) & np.isfinite(uncertainty)
    return GroupFixes(x, y, uncertainty, ok)


def intersect_bearings(
    observers: list[tuple[float, float, float]],
    *,
    sigma_deg: float = BEARING_SIGMA_DEG,
    min_crossing_deg: float = MIN_CROSSING_DEG,
    max_range_m: float = MAX_RANGE_M,
) -> Fix | None:
    """Fix from bearings (lon, lat, bearing_deg) of two or more different observers."""
    if len(observers) < 2:
        return None
    lon, lat, bearing = (np.array(v, float) for v in zip(*observers, strict=True))
    plane = plane_for(lon, lat)
    px, py = plane.to_xy(lon, lat)
    dx, dy = plane.directions(lon, lat, bearing)
    fixes = intersect_groups(
        np.zeros(len(lon), np.int64),
        1,
        px,
        py,
        dx,
        dy,
        sigma_deg=sigma_deg,
        min_crossing_deg=min_crossing_deg,
        max_range_m=max_range_m,
    )
    if not fixes.ok[0]:
        return None
    out_lon, out_lat = plane.to_lonlat(fixes.x[:1], fixes.y[:1])
    return Fix(float(out_lon[0]), float(out_lat[0]), float(fixes.uncertainty[0]), "intersection")


def circular_mean_deg(bearings: npt.ArrayLike) -> float:
    """Mean of angles in degrees, so that 359 and 1 average to 0, not 180."""
    rad = np.radians(np.asarray(bearings, float))
    mean = math.degrees(math.atan2(float(np.sin(rad).mean()), float(np.cos(rad).mean())))
    return mean % 360.0


def angle_difference_deg(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Smallest absolute difference between bearings, in [0, 180]."""
    diff = np.abs((np.asarray(a, float) - np.asarray(b, float)) % 360.0)
    return np.asarray(np.minimum(diff, 360.0 - diff), float)


def combine_positions(
    group: npt.ArrayLike,
    n_groups: int,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    uncertainty: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per group: the mean position and its uncertainty (see the module docstring).

    With uncertainties the mean is weighted by their inverse squares; without,
    it is plain and a single position has an unknown (NaN) uncertainty.
    """
    g = np.asarray(group, np.int64)
    x_a, y_a = np.asarray(x, float), np.asarray(y, float)
    if uncertainty is None:
        w = np.ones_like(x_a)
    else:
        w = 1.0 / np.maximum(np.asarray(uncertainty, float), 1.0) ** 2
    sw = np.bincount(g, w, n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = np.bincount(g, w * x_a, n_groups) / sw
        my = np.bincount(g, w * y_a, n_groups) / sw
        n = np.bincount(g, None, n_groups)
        spread = np.sqrt(np.bincount(g, (x_a - mx[g]) ** 2 + (y_a - my[g]) ** 2, n_groups) / n)
        if uncertainty is None:
            unc = np.where(n > 1, spread, np.nan)
        else:
            unc = np.maximum(np.sqrt(1.0 / sw), spread)
    return mx, my, unc


def segment_distances(
    a: tuple[Floats, Floats, Floats, Floats],
    b: tuple[Floats, Floats, Floats, Floats],
) -> Floats:
    """Distances between 2-D segments a[k] and b[k], each (x1, y1, x2, y2); points have x1 = x2.

    Zero where they cross; otherwise the least of the four end-to-segment
    distances. Computed in the inputs' precision (float32 halves the work).
    """
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b

    def to_segment(
        px: Floats,
        py: Floats,
        x1: Floats,
        y1: Floats,
        x2: Floats,
        y2: Floats,
    ) -> Floats:
        vx, vy = x2 - x1, y2 - y1
        length2 = vx * vx + vy * vy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(length2 > 0, ((px - x1) * vx + (py - y1) * vy) / length2, 0)
        t = np.clip(t, 0.0, 1.0)
        return np.asarray(np.hypot(px - (x1 + t * vx), py - (y1 + t * vy)))

    distance = np.minimum.reduce(
        [
            to_segment(ax1, ay1, bx1, by1, bx2, by2),
            to_segment(ax2, ay2, bx1, by1, bx2, by2),
            to_segment(bx1, by1, ax1, ay1, ax2, ay2),
            to_segment(bx2, by2, ax1, ay1, ax2, ay2),
        ]
    )

    def cross(
        ox: Floats,
        oy: Floats,
        px: Floats,
        py: Floats,
        qx: Floats,
        qy: Floats,
    ) -> Floats:
        return np.asarray((px - ox) * (qy - oy) - (py - oy) * (qx - ox))

    crossing = (cross(ax1, ay1, ax2, ay2, bx1, by1) * cross(ax1, ay1, ax2, ay2, bx2, by2) < 0) & (
        cross(bx1, by1, bx2, by2, ax1, ay1) * cross(bx1, by1, bx2, by2, ax2, ay2) < 0
    )
    return np.asarray(np.where(crossing, 0.0, distance))
