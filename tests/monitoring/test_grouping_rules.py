"""The grouping rules on observations held in memory: order, errors, the bounds of a match."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truce.lib import bearings
from truce.monitoring.services.grouping import GroupingParams, plan_groups
from truce.monitoring.services.table import MEMBER_FIELDS, ObsTable

T0 = dt.datetime(2020, 11, 20, 8, 0, tzinfo=dt.UTC)
EVENT = (46.40, 39.56)


def _offset(origin: tuple[float, float], azimuth: float, metres: float) -> tuple[float, float]:
    lon, lat, _ = bearings.GEOD.fwd(origin[0], origin[1], azimuth, metres)
    return float(lon), float(lat)


# Three posts some 4-5 km from the event: south-west, south-east and north of it.
POSTS = {1: _offset(EVENT, 225, 4_000), 2: _offset(EVENT, 135, 4_000), 3: _offset(EVENT, 0, 5_000)}
PARAMS = GroupingParams(
    window_s=600.0, distance_m=3_000.0, max_range_m=15_000.0, max_span_s=7_200.0,
    distance_error=0.3,
)  # fmt: skip


def _row(
    pk: int,
    *,
    minutes: float,
    post: int | None = None,
    target: tuple[float, float] | None = None,
    distance: bool = True,
    given_at: tuple[float, float] | None = None,
    type_: str = "explosion_impact",
) -> tuple[Any, ...]:
    """A MEMBER_FIELDS row: a post's bearing (and distance) to target, or a position given."""
    values: dict[str, Any] = dict.fromkeys(MEMBER_FIELDS)
    values.update(
        id=pk,
        public_id=uuid.uuid4(),
        observed_at=T0 + dt.timedelta(minutes=minutes),
        type=type_,
        count=1,
        killed_military=0,
        killed_civilian=0,
        injured_military=0,
        injured_civilian=0,
        share_side_a=False,
        share_side_b=False,
        share_agencies=False,
        share_public=False,
        zone_id=1,
        observer_kind="op",
        observer_label="",
        reporter_id=1,
        position_method="",
    )
    if post is not None and target is not None:
        lon, lat = POSTS[post]
        azimuth, _, metres = bearings.GEOD.inv(lon, lat, *target)
        values.update(
            observer_post_id=post,
            observer_lon=lon,
            observer_lat=lat,
            bearing_deg=round(float(azimuth) % 360.0, 1),
        )
        if distance:
            values.update(distance_m=round(float(metres), -1), position_method="bearing_distance")
            values["min_lon"], values["min_lat"] = target
    if given_at is not None:
        values.update(observer_kind="patrol", position_method="given")
        values["min_lon"], values["min_lat"] = given_at
    return tuple(values[f] for f in MEMBER_FIELDS)


def _groups(rows: list[tuple[Any, ...]], params: GroupingParams = PARAMS) -> set[frozenset[int]]:
    table = ObsTable.from_rows(rows, {})
    plan = plan_groups(table, np.ones(len(table), bool), params)
    out: dict[int, set[int]] = {}
    for pk, group in zip(table.id.tolist(), plan.new_group.tolist(), strict=True):
        out.setdefault(group, set()).add(pk)
    return {frozenset(members) for members in out.values()}


def test_bearings_with_distances_to_one_event_are_one_incident() -> None:
    rows = [
        _row(1, minutes=0, post=1, target=EVENT),
        _row(2, minutes=1, post=2, target=_offset(EVENT, 45, 200)),
        _row(3, minutes=2, post=3, target=_offset(EVENT, 200, 150)),
    ]
    assert _groups(rows) == {frozenset({1, 2, 3})}


def test_events_whose_estimated_places_disagree_beyond_their_errors_are_two() -> None:
    # Two points 2.5 km apart: within the fixed 3 km, but some five standard
    # errors apart at these ranges (about 4 km from each post).
    other = _offset(EVENT, 90, 2_500)
    rows = [_row(1, minutes=0, post=1, target=EVENT), _row(2, minutes=1, post=2, target=other)]
    assert _groups(rows) == {frozenset({1}), frozenset({2})}
    # With the errors taken as ten times larger, the same pair is one event again.
    loose = GroupingParams(**{**PARAMS.__dict__, "sigma_deg": 20.0, "distance_sigma": 1.0})
    assert _groups(rows, loose) == {frozenset({1, 2})}


def test_a_point_estimate_off_a_bearing_line_is_another_event() -> None:
    line = _row(1, minutes=0, post=1, target=EVENT, distance=False)
    bearing = math.radians(line[MEMBER_FIELDS.index("bearing_deg")])
    # 2.5 km to the side of post 1's line at 4 km: inside 3 km, not inside the errors.
    aside = _offset(EVENT, math.degrees(bearing) + 90, 2_500)
    near = _offset(EVENT, math.degrees(bearing) + 90, 150)
    assert _groups([line, _row(2, minutes=1, post=2, target=aside)]) == {
        frozenset({1}),
        frozenset({2}),
    }
    assert _groups([line, _row(2, minutes=1, post=2, target=near)]) == {frozenset({1, 2})}


def test_a_position_given_still_joins_within_the_distance() -> None:
    # A party's position has no stated error: the fixed distance alone decides.
    rows = [
        _row(1, minutes=0, post=1, target=EVENT),
        _row(2, minutes=1, given_at=_offset(EVENT, 0, 2_000)),
        _row(3, minutes=2, given_at=_offset(EVENT, 0, 6_000)),
    ]
    assert _groups(rows) == {frozenset({1, 2}), frozenset({3})}


def test_an_observation_its_best_partners_incident_does_not_take_joins_the_next_best() -> None:
    # Positions given along a line east (km): A 0, B 2.5 (joins A), D 7 (its own),
    # then C 4.5: B is its best partner, but C is 4.5 km from B's leader A; D's
    # incident takes it (2.5 km from D).
    def at(km: float) -> tuple[float, float]:
        return _offset(EVENT, 90, km * 1_000)

    rows = [
        _row(1, minutes=0, given_at=at(0)),
        _row(2, minutes=1, given_at=at(2.5)),
        _row(3, minutes=0.5, given_at=at(7)),
        _row(4, minutes=2, given_at=at(4.5)),
    ]
    assert _groups(rows) == {frozenset({1, 2}), frozenset({3, 4})}


def test_the_two_dimensional_radius_has_the_chance_of_the_sigmas_on_a_line() -> None:
    for sigmas in (2.0, 3.0, 3.5):
        params = GroupingParams(**{**PARAMS.__dict__, "sigmas": sigmas})
        inside = 1 - math.exp(-(params.radius_2d**2) / 2)  # chi-squared, two degrees
        assert inside == pytest.approx(math.erf(sigmas / math.sqrt(2)), rel=1e-9)


# Observations of a few events, as posts would report them: some with distances,
# some bearings alone, a few positions given, events sometimes close in time and place.
event = st.tuples(
    st.integers(0, 90),  # minutes (whole: reports at the same instant are common)
    st.floats(0, 359),  # azimuth from EVENT
    st.floats(0, 8_000),  # metres from EVENT
    st.sampled_from(["explosion_impact", "explosion_outgoing", "bursts_and_shots"]),
)
report = st.tuples(
    st.integers(0, 5),  # which event
    st.sampled_from([1, 2, 3, 0]),  # post, or 0: a position given
    st.booleans(),  # with a distance
    st.integers(-1, 1),  # minutes late or early
    st.floats(0, 400),  # metres off the true place
)


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(event, min_size=1, max_size=6),
    reports=st.lists(report, min_size=1, max_size=25),
    shuffle=st.randoms(use_true_random=False),
)
def test_grouping_does_not_depend_on_the_order_of_the_rows(events, reports, shuffle) -> None:
    rows = []
    for pk, (which, post, with_distance, late, off) in enumerate(reports, start=1):
        minutes, azimuth, metres, type_ = events[which % len(events)]
        place = _offset(_offset(EVENT, azimuth, metres), (pk * 37) % 360, off)
        if post:
            rows.append(
                _row(
                    pk,
                    minutes=minutes + late,
                    post=post,
                    target=place,
                    distance=with_distance,
                    type_=type_,
                )
            )
        else:
            rows.append(_row(pk, minutes=minutes + late, given_at=place, type_=type_))
    expected = _groups(rows)
    shuffled = list(rows)
    shuffle.shuffle(shuffled)
    assert _groups(shuffled) == expected
    assert sum(len(g) for g in expected) == len(rows)
