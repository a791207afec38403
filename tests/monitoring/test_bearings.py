"""Position fixes: bearings intersect where the event was, with an honest uncertainty."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from truce.lib import bearings

GEOD = bearings.GEOD


def _bearing(observer: tuple[float, float], target: tuple[float, float]) -> float:
    azimuth, _, _ = GEOD.inv(observer[0], observer[1], target[0], target[1])
    return azimuth % 360.0


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def _offset(origin: tuple[float, float], azimuth: float, meters: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, meters)
    return float(lon), float(lat)


ORIGIN = (46.5, 39.6)
coords = st.tuples(st.floats(0, 359.999), st.floats(1_000, 12_000))


@settings(max_examples=60, deadline=None)
@given(target=coords, first=coords, second=coords)
def test_exact_bearings_from_two_observers_meet_at_the_target(first, second, target):
    event = _offset(ORIGIN, *target)
    a = _offset(event, *first)
    b = _offset(event, *second)
    crossing = abs((first[0] - second[0] + 180) % 360 - 180)
    assume(min(crossing, 180 - crossing) > 15)
    fix = bearings.intersect_bearings(
        [(a[0], a[1], _bearing(a, event)), (b[0], b[1], _bearing(b, event))]
    )
    assert fix is not None
    assert fix.method == "intersection"
    assert _distance((fix.lon, fix.lat), event) < 1.0


def test_noisy_bearings_land_within_the_stated_uncertainty():
    """With bearing errors of the assumed size, the stated DRMS is honest.

    A deterministic Monte Carlo: 300 events, each seen by two observers with
    Gaussian bearing errors of BEARING_SIGMA_DEG. DRMS contains about 63-68 %
    of fixes and twice DRMS about 95-98 % (depending on the error ellipse).
    """
    rng = np.random.default_rng(20201120)
    ratios = []
    for _ in range(300):
        event = _offset(ORIGIN, rng.uniform(0, 360), rng.uniform(0, 5_000))
        observers = [
            _offset(event, az, rng.uniform(3_000, 10_000))
            for az in (200 + rng.uniform(-40, 40), 300 + rng.uniform(-20, 20))
        ]
        lines = [
            (o[0], o[1], (_bearing(o, event) + rng.normal(0, bearings.BEARING_SIGMA_DEG)) % 360)
            for o in observers
        ]
        fix = bearings.intersect_bearings(lines)
        assert fix is not None and fix.uncertainty_m is not None
        ratios.append(_distance((fix.lon, fix.lat), event) / fix.uncertainty_m)
    within = np.array(ratios)
    assert 0.55 <= float(np.mean(within <= 1.0)) <= 0.80
    assert float(np.mean(within <= 2.0)) >= 0.93


def test_uncertainty_grows_as_the_crossing_angle_shrinks():
    event = _offset(ORIGIN, 0, 0)
    a = _offset(event, 180, 8_000)

    def fix_with(angle: float) -> float:
        b = _offset(event, 180 + angle, 8_000)
        fix = bearings.intersect_bearings(
            [(a[0], a[1], _bearing(a, event)), (b[0], b[1], _bearing(b, event))]
        )
        assert fix is not None and fix.uncertainty_m is not None
        return fix.uncertainty_m

    wide, narrow = fix_with(90), fix_with(20)
    sigma = math.radians(bearings.BEARING_SIGMA_DEG)
    # Two bearings at range r crossing at angle g: sigma * r * sqrt(2) / sin(g).
    assert wide == pytest.approx(sigma * 8_000 * math.sqrt(2), rel=0.02)
    assert narrow == pytest.approx(
        sigma * 8_000 * math.sqrt(2) / math.sin(math.radians(20)), rel=0.05
    )


def test_parallel_bearings_give_no_fix():
    a = (46.40, 39.50)
    b = (46.50, 39.50)
    assert bearings.intersect_bearings([(a[0], a[1], 0.0), (b[0], b[1], 0.0)]) is None


def test_bearings_crossing_behind_an_observer_give_no_fix():
    a = (46.40, 39.50)
    b = (46.50, 39.50)
    # They would cross south of the observers, but both look north-east/north-west.
    assert bearings.intersect_bearings([(a[0], a[1], 135.0), (b[0], b[1], 225.0)]) is not None
    assert bearings.intersect_bearings([(a[0], a[1], 315.0), (b[0], b[1], 45.0)]) is None


def test_bearings_crossing_beyond_the_plausible_range_give_no_fix():
    a = (46.40, 39.50)
    b = (46.50, 39.50)
    # Nearly parallel lines meet some 40 km north.
    fix = bearings.intersect_bearings([(a[0], a[1], 5.0), (b[0], b[1], 355.0)], min_crossing_deg=1)
    assert fix is None


def test_a_single_bearing_is_not_a_fix():
    assert bearings.intersect_bearings([(46.4, 39.5, 10.0)]) is None


def test_bearing_and_distance_give_the_geodesic_destination_and_its_error():
    fix = bearings.bearing_distance_fix(46.4, 39.5, 90.0, 5_000.0)
    assert _distance((46.4, 39.5), (fix.lon, fix.lat)) == pytest.approx(5_000.0, abs=0.01)
    assert _bearing((46.4, 39.5), (fix.lon, fix.lat)) == pytest.approx(90.0, abs=0.01)
    expected = math.hypot(0.10 * 5_000, math.radians(bearings.BEARING_SIGMA_DEG) * 5_000)
    assert fix.uncertainty_m == pytest.approx(expected)


def test_positions_average_with_their_spread():
    x, y, unc = bearings.combine_positions([0, 0, 1], 2, [0.0, 200.0, 50.0], [0.0, 0.0, 50.0])
    assert (x[0], y[0]) == (100.0, 0.0)
    assert unc[0] == pytest.approx(100.0)
    assert math.isnan(unc[1])  # one position given: unknown uncertainty
    assert (x[1], y[1]) == (50.0, 50.0)


def test_positions_with_uncertainties_weigh_by_inverse_variance():
    x, _, unc = bearings.combine_positions([0, 0], 1, [0.0, 100.0], [0.0, 0.0], [100.0, 200.0])
    assert x[0] == pytest.approx(20.0)  # weights 1/100^2 and 1/200^2
    assert unc[0] == pytest.approx(max(1 / math.sqrt(1e-4 + 2.5e-5), 40.0))


def test_circular_mean_and_angle_difference_wrap_at_north():
    assert bearings.circular_mean_deg([359.0, 1.0]) == pytest.approx(0.0, abs=1e-9) or (
        bearings.circular_mean_deg([359.0, 1.0]) == pytest.approx(360.0)
    )
    assert float(bearings.angle_difference_deg(355.0, 5.0)) == pytest.approx(10.0)


def test_directions_follow_the_ellipsoid_not_the_grid():
    plane = bearings.plane_for([46.0], [39.5])
    lon, lat = 47.5, 39.5  # far east of the plane's centre: grid north is rotated here
    dx, dy = plane.directions([lon], [lat], [0.0])
    lon2, lat2 = bearings.destinations([lon], [lat], [0.0], [5_000.0])
    x1, y1 = plane.to_xy([lon], [lat])
    x2, y2 = plane.to_xy(lon2, lat2)
    along = (x2 - x1) * dx + (y2 - y1) * dy
    across = (x2 - x1) * -dy + (y2 - y1) * dx
    assert along[0] == pytest.approx(5_000.0, rel=1e-3)
    assert abs(across[0]) < 5.0


def test_directions_from_a_few_observers_equal_those_stepped_one_by_one():
    """Many bearings from few observers use each observer's local frame; few bearings,
    a geodesic step each: both give the same directions, far from the plane's centre too."""
    rng = np.random.default_rng(7)
    plane = bearings.plane_for([46.8], [39.9])
    observers = np.array([(46.0, 39.2), (46.8, 39.9), (47.9, 40.6), (46.3, 40.8)])
    pick = rng.integers(0, len(observers), 400)
    lon, lat = observers[pick, 0], observers[pick, 1]
    azimuth = rng.uniform(0, 360, 400)
    framed = plane.directions(lon, lat, azimuth)  # 4 origins for 400 bearings
    stepped = [
        plane.directions([lo], [la], [az]) for lo, la, az in zip(lon, lat, azimuth, strict=True)
    ]
    sx = np.array([s[0][0] for s in stepped])
    sy = np.array([s[1][0] for s in stepped])
    angle = np.degrees(np.arctan2(framed[0] * sy - framed[1] * sx, framed[0] * sx + framed[1] * sy))
    assert np.abs(angle).max() < 1e-3
    assert np.allclose(np.hypot(*framed), 1.0)
