"""The engine alone (no database): parallel edges, one-way ends, routes within one segment."""

from __future__ import annotations

import numpy as np
import pytest

from truce.routing.engine import RoadGraph, Snap, buffered
from truce.routing.profiles import PROFILES

CAR = PROFILES["car"]


def graph_of(rows: list[tuple[str, int, int, bool, str, list[list[float]]]]) -> RoadGraph:
    return RoadGraph(
        keys=[r[0] for r in rows],
        node_from=[r[1] for r in rows],
        node_to=[r[2] for r in rows],
        oneway=[r[3] for r in rows],
        length_m=[1000.0] * len(rows),
        road_class=[r[4] for r in rows],
        surface=[""] * len(rows),
        max_speed_kmh=[None] * len(rows),
        max_weight_t=[None] * len(rows),
        geometries=[r[5] for r in rows],
    )


A, B, C = [46.0, 40.0], [46.01, 40.0], [46.02, 40.0]
BENT = [[46.0, 40.0], [46.005, 40.003], [46.01, 40.0]]


def test_parallel_segments_are_both_kept() -> None:
    graph = graph_of(
        [
            ("fast", 1, 2, False, "primary", [A, B]),
            ("slow", 1, 2, False, "residential", BENT),
            ("next", 2, 3, False, "primary", [B, C]),
            ("loop", 3, 3, False, "primary", [C, [46.02, 40.01], C]),
        ]
    )
    costs = graph.segment_costs(CAR)
    start, end = Snap(0, 0.0, tuple(A), 0.0), Snap(2, 1.0, tuple(C), 0.0)  # type: ignore[arg-type]
    path = graph.shortest_path(start, end, costs)
    assert path is not None
    assert [graph.keys[p.segment] for p in path.pieces] == ["fast", "next"]
    blocked = costs.copy()
    blocked[0] = np.inf
    start = Snap(1, 0.0, tuple(A), 0.0)  # type: ignore[arg-type]
    detour = graph.shortest_path(start, end, blocked)
    assert detour is not None
    assert [graph.keys[p.segment] for p in detour.pieces] == ["slow", "next"]
    assert detour.duration_s == pytest.approx(float(costs[1] + costs[2]))
    geometry = graph.geometry(detour)["coordinates"]
    assert geometry[0] == A and geometry[1] == BENT[1] and geometry[-1] == C


def test_one_way_segments_and_routes_within_a_segment() -> None:
    graph = graph_of(
        [("ab", 1, 2, True, "primary", [A, B]), ("bc", 2, 3, False, "primary", [B, C])]
    )
    costs = graph.segment_costs(CAR)
    # Against a one-way segment from its far end: no way.
    assert (
        graph.shortest_path(Snap(0, 1.0, tuple(B), 0.0), Snap(0, 0.0, tuple(A), 0.0), costs) is None
    )  # type: ignore[arg-type]
    # Along it, within the segment: the fraction between the two points.
    inside = graph.shortest_path(
        Snap(0, 0.25, (46.0025, 40.0), 0.0), Snap(0, 0.75, (46.0075, 40.0), 0.0), costs
    )  # type: ignore[arg-type]
    assert inside is not None and inside.duration_s == pytest.approx(0.5 * float(costs[0]))
    assert inside.length_m == pytest.approx(500.0)
    # From the one-way segment's start, at its very end node, onwards.
    onward = graph.shortest_path(Snap(0, 1.0, tuple(B), 0.0), Snap(1, 1.0, tuple(C), 0.0), costs)  # type: ignore[arg-type]
    assert onward is not None and [graph.keys[p.segment] for p in onward.pieces] == ["bc"]


def test_snapping_respects_allowed_segments_and_distance() -> None:
    graph = graph_of(
        [("ab", 1, 2, False, "primary", [A, B]), ("bc", 2, 3, False, "primary", [B, C])]
    )
    near = graph.snap(46.005, 40.0005, 200)
    assert near is not None and graph.keys[near.segment] == "ab"
    assert near.distance_m == pytest.approx(55.6, abs=0.5)
    assert near.fraction == pytest.approx(0.5, abs=1e-3)
    assert graph.snap(46.005, 40.0005, 50) is None
    other = graph.snap(46.005, 40.0005, 2000, np.array([False, True]))
    assert other is not None and graph.keys[other.segment] == "bc"


def test_buffers_are_metres() -> None:
    from shapely.geometry import Point

    grown = buffered(Point(46.0, 40.0).buffer(1e-9), 1000.0)
    width_deg = grown.bounds[2] - grown.bounds[0]
    height_deg = grown.bounds[3] - grown.bounds[1]
    assert height_deg * 111_195 == pytest.approx(2000.0, rel=0.01)
    assert width_deg * 111_195 * np.cos(np.radians(40.0)) == pytest.approx(2000.0, rel=0.01)
