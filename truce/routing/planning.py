"""plan_route: a safe route between two places for a vehicle, or why there is none.

The graph of a network version is built once per process (LoadedNetwork,
keyed by network id and version) and kept current cheaply:

- statuses: the newest SegmentStatus id of the network is the status key; when
  it moves, only the segments whose records are newer are re-read;
- hazards: truce.mineaction.selectors.hazards_state_key() changes on every
  hazard write; the open hazards and the segments each one blocks (buffered
  by hazard_buffer_m) are cached under that key, so a hazard update applies
  to the very next query, with no preprocessing beyond matching the open
  hazards against the segment STRtree.

Routes avoid every open hazard the mission knows of, whoever asks (safety
first); what a plan says about a hazard is filtered by the reader: one the
reader may not see is `{"kind": "hazard", "restricted": true}`.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Max

from truce.core.errors import InvalidInput
from truce.core.models import Facility, Settlement, User
from truce.core.sharing import visible
from truce.mineaction.selectors import (
    hazard_areas_visible_to,
    hazards_state_key,
    open_hazards_for_routing,
)
from truce.routing import selectors
from truce.routing.engine import Path, Prepared, RoadGraph, Snap
from truce.routing.models import RoadNetwork, RoadSegment, SegmentState, SegmentStatus
from truce.routing.profiles import get_profile, vehicle_weight

MAX_BUFFER_M = 5000.0
# An endpoint snaps to the nearest allowed road no more than this much farther
# than the nearest road of any kind (else: no safe route, and why).
SNAP_SLACK_M = 100.0
_LONLAT = re.compile(r"^\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*$")


def snap_max_m() -> float:
    return float(getattr(settings, "TRUCE_ROUTING_SNAP_MAX_M", 2000))


def default_buffer_m() -> float:
    return float(getattr(settings, "TRUCE_ROUTING_HAZARD_BUFFER_M", 100))


# --- the graph cache ------------------------------------------------------------------------


def graph_from_rows(rows: list[tuple[Any, ...]]) -> RoadGraph:
    """The engine's graph from (id, key, node_from, node_to, oneway, length_m, road_class,
    surface, max_speed_kmh, max_weight_t, geometry, ...) rows, as LoadedNetwork reads them."""
    return RoadGraph(
        keys=[r[1] for r in rows],
        node_from=[r[2] for r in rows],
        node_to=[r[3] for r in rows],
        oneway=[r[4] for r in rows],
        length_m=[r[5] for r in rows],
        road_class=[r[6] for r in rows],
        surface=[r[7] for r in rows],
        max_speed_kmh=[r[8] for r in rows],
        max_weight_t=[r[9] for r in rows],
        geometries=[r[10] for r in rows],
    )


STATUS_CODES = {state: code for code, state in enumerate(SegmentState.values)}
STATUS_NAMES = list(SegmentState.values)
CLOSED = STATUS_CODES[SegmentState.CLOSED.value]
VERIFIED_CLEAR = STATUS_CODES[SegmentState.VERIFIED_CLEAR.value]

SEGMENT_COLUMNS = (
    "id",
    "key",
    "node_from",
    "node_to",
    "oneway",
    "length_m",
    "road_class",
    "surface",
    "max_speed_kmh",
    "max_weight_t",
    "geometry",
    "status",
    "name",
    "bridge",
    "status_since",
    "status_version",
)


class LoadedNetwork:
    """A network version's graph plus its segments' current statuses."""

    def __init__(self, network: RoadNetwork) -> None:
        self.network_id = network.pk
        self.version = network.version
        rows = list(
            RoadSegment.objects.filter(network_id=network.pk)
            .order_by("id")
            .values_list(*SEGMENT_COLUMNS)
        )
        self.graph = graph_from_rows(rows)
        self.row_ids = np.array([r[0] for r in rows], dtype=np.int64)
        # Statuses as small codes: comparing a million of them is then a vector op.
        self.status = np.array([STATUS_CODES[r[11]] for r in rows], dtype=np.int8)
        # What a route's segment list says of a segment with no status record:
        # kept here, so a route reads the database only for segments with a history.
        self.names = [r[12] for r in rows]
        self.bridge = np.array([r[13] for r in rows], dtype=bool)
        self.since = [r[14] for r in rows]
        self.history = np.array([r[15] > 0 for r in rows], dtype=bool)
        self.status_seen = self._newest_status()
        self.masks: dict[tuple[Any, ...], MaskState] = {}
        self.lock = threading.Lock()

    def _newest_status(self) -> int:
        found = SegmentStatus.objects.filter(network_id=self.network_id).aggregate(m=Max("id"))
        return int(found["m"] or 0)

    def refresh_statuses(self) -> None:
        """Re-read only the segments with status records newer than the last look."""
        newest = self._newest_status()
        if newest == self.status_seen:
            return
        with self.lock:
            keys = set(
                SegmentStatus.objects.filter(
                    network_id=self.network_id, id__gt=self.status_seen, id__lte=newest
                ).values_list("segment_key", flat=True)
            )
            for key, status in RoadSegment.objects.filter(
                network_id=self.network_id, key__in=keys
            ).values_list("key", "status"):
                index = self.graph.index.get(key)
                if index is not None:
                    self.status[index] = STATUS_CODES[status]
                    self.history[index] = True
            self.status_seen = newest


_GRAPHS: dict[int, LoadedNetwork] = {}
_GRAPHS_LOCK = threading.Lock()
_HAZARDS: dict[str, Any] = {}


def loaded_network(network: RoadNetwork) -> LoadedNetwork:
    """This process's graph of the network's current version (built on first use)."""
    with _GRAPHS_LOCK:
        found = _GRAPHS.get(network.pk)
        if found is None or found.version != network.version:
            found = LoadedNetwork(network)
            _GRAPHS[network.pk] = found
    found.refresh_statuses()
    return found


def warm_up() -> list[LoadedNetwork]:
    """Build every network's graph now, before the first route asks for one.

    `truce serve` calls it in the parent before forking its workers, so they
    share the arrays copy-on-write and no convoy planner waits for the graph
    (about 24 s for a million segments, see bench/BENCHMARKS.md).
    """
    networks = RoadNetwork.objects.filter(is_deleted=False).order_by("pk")
    return [loaded_network(network) for network in networks]


def forget_graphs() -> None:
    """Drop every cached graph and hazard list (tests)."""
    with _GRAPHS_LOCK:
        _GRAPHS.clear()
        _HAZARDS.clear()


def open_hazards() -> tuple[tuple[int, int], list[Any]]:
    """The open hazards and their state key, re-read only when the key changes."""
    key = hazards_state_key()
    if _HAZARDS.get("key") != key:
        _HAZARDS["hazards"] = open_hazards_for_routing()
        _HAZARDS["key"] = key
    return key, _HAZARDS["hazards"]


# --- endpoints ------------------------------------------------------------------------------


@dataclass
class Endpoint:
    query: str
    name: str
    point: list[float]
    snapped: list[float] | None = None
    snap_distance_m: float | None = None


def resolve_place(user: User | None, value: Any, name: str) -> Endpoint:
    """A settlement P-code, a facility code or "lon,lat"; InvalidInput naming `name`."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"{name} is required", field=name)
    match = _LONLAT.match(text)
    if match:
        lon, lat = float(match.group(1)), float(match.group(2))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(f"{name}: lon,lat out of range", field=name)
        return Endpoint(text, "", [lon, lat])
    place = visible(Settlement.objects.filter(pcode=text), user).first()
    label = place.display_name if place is not None else ""
    if place is None:
        place = visible(Facility.objects.filter(code=text), user).first()  # type: ignore[assignment]
        label = getattr(place, "name", "")
    geometry = getattr(place, "geometry", None) if place is not None else None
    if place is None or not geometry or geometry.get("type") != "Point":
        raise InvalidInput(
            f"{name}: no settlement P-code, facility code or lon,lat {text!r}", field=name
        )
    lon, lat = geometry["coordinates"][:2]
    return Endpoint(text, label, [float(lon), float(lat)])


# --- the plan -------------------------------------------------------------------------------


@dataclass
class RoutePlan:
    found: bool
    network: str
    profile: dict[str, Any]
    origin: Endpoint
    destination: Endpoint
    length_m: float | None = None
    duration_s: float | None = None
    geometry: dict[str, Any] | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)
    blockers: list[dict[str, Any]] = field(default_factory=list)
    avoided: list[dict[str, Any]] = field(default_factory=list)
    verified_only: bool = False
    hazard_buffer_m: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"] = data.pop("origin")
        data["to"] = data.pop("destination")
        return data


@dataclass
class _Masks:
    closed: np.ndarray
    hazard: np.ndarray
    unverified: np.ndarray
    road_class: np.ndarray
    weight: np.ndarray
    by_hazard: dict[str, np.ndarray]

    @property
    def blocked(self) -> np.ndarray:
        return self.closed | self.hazard | self.unverified | self.road_class | self.weight


def _masks(
    loaded: LoadedNetwork,
    profile: Any,
    weight: float | None,
    verified_only: bool,
    buffer_m: float,
) -> _Masks:
    return masked_costs(loaded, profile, weight, verified_only, buffer_m).masks


def masked_costs(
    loaded: LoadedNetwork,
    profile: Any,
    weight: float | None,
    verified_only: bool,
    buffer_m: float,
) -> MaskState:
    """This query's masks and segment costs (inf where blocked), cached per state.

    The key holds the hazards' and the statuses' state keys, so a write of
    either gives the next query fresh masks.
    """
    graph = loaded.graph
    key, hazards = open_hazards()
    cache_key = (key, loaded.status_seen, profile.name, weight, verified_only, buffer_m)
    found = loaded.masks.get(cache_key)
    if found is not None:
        return found
    by_hazard = graph.hazard_segments(
        [(h.public_id, h.geometry) for h in hazards], buffer_m, (loaded.version, key)
    )
    hazard = np.zeros(graph.n_segments, dtype=bool)
    for rows in by_hazard.values():
        hazard[rows] = True
    status = loaded.status
    none = np.zeros(graph.n_segments, dtype=bool)
    masks = _Masks(
        closed=status == CLOSED,
        hazard=hazard,
        unverified=(status != VERIFIED_CLEAR) if verified_only else none,
        road_class=graph.class_excluded(profile),
        weight=(graph.max_weight < weight) if weight is not None else none,
        by_hazard=by_hazard,
    )
    costs = graph.segment_costs(profile).copy()
    costs[masks.blocked] = np.inf
    state = MaskState(masks, costs, graph.prepare(costs), graph.segment_costs(profile))
    if len(loaded.masks) >= 4:
        loaded.masks.clear()
    loaded.masks[cache_key] = state
    return state


@dataclass
class MaskState:
    """One mask state's masks, costs and search layout; the same without hazards, lazily."""

    masks: _Masks
    costs: np.ndarray
    prepared: Prepared
    base: np.ndarray
    without_hazards: Prepared | None = None

    def hazard_free(self, graph: RoadGraph) -> Prepared:
        """Costs as masked except for hazards: the route the hazards made it leave."""
        if self.without_hazards is None:
            m = self.masks
            costs = self.base.copy()
            costs[m.closed | m.unverified | m.road_class | m.weight] = np.inf
            self.without_hazards = graph.prepare(costs)
        return self.without_hazards


def _check_buffer(value: float | None) -> float:
    if value is None:
        return default_buffer_m()
    buffer = float(value)
    if not math.isfinite(buffer) or buffer < 0 or buffer > MAX_BUFFER_M:
        raise InvalidInput(
            f"hazard_buffer_m must be between 0 and {MAX_BUFFER_M:.0f} metres",
            field="hazard_buffer_m",
        )
    return buffer


def plan_route(
    *,
    user: User | None,
    origin: str,
    destination: str,
    profile: str | None = "lorry",
    weight_t: float | None = None,
    verified_only: bool = False,
    hazard_buffer_m: float | None = None,
    network: str | RoadNetwork | None = None,
) -> RoutePlan:
    """The fastest safe route, or found=False with what blocks the route there would be.

    InvalidInput naming the field: an unknown profile, a bad weight or buffer,
    an endpoint that is not a place or lies farther than TRUCE_ROUTING_SNAP_MAX_M
    from every road, or endpoints the network does not connect at all.
    """
    vehicle = get_profile(profile)
    weight = vehicle_weight(vehicle, weight_t) if vehicle.takes_weight else None
    buffer = _check_buffer(hazard_buffer_m)
    net = selectors.network_for(user, network)
    start = resolve_place(user, origin, "from")
    end = resolve_place(user, destination, "to")
    loaded = loaded_network(net)
    graph = loaded.graph
    state = masked_costs(loaded, vehicle, weight, bool(verified_only), buffer)
    masks, costs = state.masks, state.costs
    blocked = ~np.isfinite(costs)
    base = graph.segment_costs(vehicle)
    limit = snap_max_m()
    plan = RoutePlan(
        found=False,
        network=net.slug,
        profile={"name": vehicle.name, "weight_t": weight},
        origin=start,
        destination=end,
        verified_only=bool(verified_only),
        hazard_buffer_m=buffer,
    )
    any_snaps = [graph.snap(e.point[0], e.point[1], limit) for e in (start, end)]
    for snap, name in zip(any_snaps, ("from", "to"), strict=True):
        if snap is None:
            raise InvalidInput(
                f"{name} is farther than {limit:.0f} m from every road of the network",
                field=name,
            )
    # The nearest allowed road, unless it is much farther than the nearest road of
    # any kind: a route must not begin by crossing a minefield or a closed bridge.
    snaps = [
        graph.snap(e.point[0], e.point[1], min(limit, s.distance_m + SNAP_SLACK_M), ~blocked)
        for e, s in zip((start, end), any_snaps, strict=True)
        if s is not None
    ]
    path: Path | None = None
    top = graph.profile_top_speed(vehicle)
    if snaps[0] is not None and snaps[1] is not None:
        path = graph.shortest_path(snaps[0], snaps[1], costs, top, prepared=state.prepared)
    explain: Path | None = None
    if path is None:
        # What blocks the route there would be without any mask.
        explain_costs = graph.segment_costs(vehicle, explain=True)
        explain = graph.shortest_path(
            any_snaps[0],  # type: ignore[arg-type]
            any_snaps[1],  # type: ignore[arg-type]
            explain_costs,
            graph.top_speed_mps(explain_costs),
        )
    elif path.explored is not None and _hazards_touch(graph, masks, path.explored):
        # The hazards the route left its way for: the route without hazard masks
        # (no faster search: it costs at most the safe route). Hazards that block
        # no edge either search reached cannot have changed the route.
        explain = graph.shortest_path(
            snaps[0],  # type: ignore[arg-type]
            snaps[1],  # type: ignore[arg-type]
            state.hazard_free(graph).costs,
            top,
            at_most_s=path.duration_s,
            prepared=state.hazard_free(graph),
        )
    if path is None:
        if explain is None:
            raise InvalidInput(
                "from and to are not connected by the roads of this network", field="to"
            )
        _set_snaps(plan, any_snaps)  # type: ignore[arg-type]
        plan.blockers = _blockers(user, net, loaded, masks, explain)
        return plan
    _set_snaps(plan, snaps)  # type: ignore[arg-type]
    plan.found = True
    plan.length_m = round(path.length_m, 1)
    plan.duration_s = round(path.duration_s, 1)
    plan.geometry = graph.geometry(path)
    plan.segments = _segments(user, net, loaded, path, base)
    if explain is not None:
        on_route = {p.segment for p in path.pieces}
        plan.avoided = [
            b
            for b in _hazards_on(user, masks, explain)
            if not (b.get("segments", set()) & on_route)
        ]
        for b in plan.avoided:
            b.pop("segments", None)
    return plan


def _hazards_touch(graph: RoadGraph, masks: _Masks, explored: np.ndarray) -> bool:
    if not masks.hazard.any():
        return False
    blocked = np.flatnonzero(masks.hazard)
    return bool((explored[graph.seg_u[blocked]] | explored[graph.seg_v[blocked]]).any())


def _rows_of(loaded: LoadedNetwork, indices: list[int]) -> dict[str, RoadSegment]:
    """The segment rows of a route by primary key (in chunks: SQLite caps a query's
    parameters), without their geometry, which the route already has."""
    ids = sorted({int(loaded.row_ids[i]) for i in indices})
    rows: dict[str, RoadSegment] = {}
    for k in range(0, len(ids), 900):
        chunk = RoadSegment.objects.filter(pk__in=ids[k : k + 900]).defer("geometry")
        rows.update((s.key, s) for s in chunk)
    return rows


def _set_snaps(plan: RoutePlan, snaps: list[Snap]) -> None:
    for endpoint, snap in zip((plan.origin, plan.destination), snaps, strict=True):
        endpoint.snapped = [round(snap.point[0], 7), round(snap.point[1], 7)]
        endpoint.snap_distance_m = round(snap.distance_m, 1)


def _segments(
    user: User | None, net: RoadNetwork, loaded: LoadedNetwork, path: Path, costs: np.ndarray
) -> list[dict[str, Any]]:
    graph = loaded.graph
    indices = [p.segment for p in path.pieces]
    # Only segments with status records need the database (and the reader's view of them).
    rows = _rows_of(loaded, [i for i in indices if loaded.history[i]])
    seen = selectors.statuses_seen_by(user, rows.values())
    corridors = selectors.corridor_of_segments(user, net)
    out = []
    for piece, i, length in zip(path.pieces, indices, path.lengths, strict=True):
        key = graph.keys[i]
        if key in seen:
            status, since, _ = seen[key]
        else:
            status, since = STATUS_NAMES[int(loaded.status[i])], loaded.since[i]
        weight = float(graph.max_weight[i])
        out.append(
            {
                "key": key,
                "name": loaded.names[i],
                "road_class": str(graph.road_class[i]),
                "status": status,
                "status_since": since.isoformat() if since else None,
                "length_m": round(length, 1),
                "duration_s": round(float(costs[i]) * abs(piece.end - piece.start), 1),
                "corridor": corridors.get(key),
                "max_weight_t": weight if math.isfinite(weight) else None,
                "bridge": bool(loaded.bridge[i]),
            }
        )
    return out


def _hazards_on(user: User | None, masks: _Masks, path: Path) -> list[dict[str, Any]]:
    """The hazards blocking segments of a path, as the reader may see them."""
    on_path = np.array(sorted({p.segment for p in path.pieces}), dtype=np.int64)
    if not masks.hazard[on_path].any():
        return []
    hits = {
        hid: set(np.intersect1d(rows, on_path).tolist())
        for hid, rows in masks.by_hazard.items()
        if len(rows) and np.isin(rows, on_path).any()
    }
    if not hits:
        return []
    _, hazards = open_hazards()
    shapes = {h.public_id: h for h in hazards}
    readable = {
        str(pid)
        for pid in hazard_areas_visible_to(user)
        .filter(public_id__in=list(hits))
        .values_list("public_id", flat=True)
    }
    out: list[dict[str, Any]] = []
    for hid, segs in hits.items():
        if hid in readable:
            h = shapes[hid]
            out.append(
                {
                    "kind": "hazard",
                    "id": hid,
                    "reference": h.reference,
                    "name": h.name,
                    "geometry": h.geometry,
                    "segments": segs,
                }
            )
        else:
            out.append({"kind": "hazard", "restricted": True, "segments": segs})
    return out


def _blockers(
    user: User | None, net: RoadNetwork, loaded: LoadedNetwork, masks: _Masks, path: Path
) -> list[dict[str, Any]]:
    graph = loaded.graph
    order: list[int] = []
    for p in path.pieces:
        if p.segment not in order:
            order.append(p.segment)
    keys = [graph.keys[i] for i in order]
    rows = _rows_of(loaded, order)
    seen = selectors.statuses_seen_by(user, rows.values())
    out: list[dict[str, Any]] = []
    for b in _hazards_on(user, masks, path):
        b.pop("segments", None)
        out.append(b)
    for i, key in zip(order, keys, strict=True):
        row = rows[key]
        if masks.closed[i]:
            status, since, record = seen[key]
            if status == SegmentState.CLOSED.value:
                out.append(
                    {
                        "kind": "closure",
                        "segment": key,
                        "name": row.name,
                        "since": since.isoformat() if since else None,
                        "reason": record.reason if record is not None else "",
                    }
                )
            else:
                out.append({"kind": "closure", "segment": key, "restricted": True})
        if masks.unverified[i]:
            out.append(
                {"kind": "not_verified", "segment": key, "name": row.name, "status": seen[key][0]}
            )
        if masks.weight[i]:
            out.append(
                {
                    "kind": "weight_limit",
                    "segment": key,
                    "name": row.name,
                    "max_weight_t": row.max_weight_t,
                }
            )
        if masks.road_class[i]:
            out.append(
                {
                    "kind": "road_class",
                    "segment": key,
                    "name": row.name,
                    "road_class": row.road_class,
                }
            )
    return out
