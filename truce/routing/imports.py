"""Reading a road network file (GeoJSON or OSM PBF) into segment rows. No database.

GeoJSON: a FeatureCollection of LineStrings, one segment per feature, its key
the feature's `id` (or properties `key`/`id`); properties name, highway (or
road_class), surface, maxspeed, oneway, bridge, maxweight, status,
status_since. A feature's ends are its nodes: ends at the same position (to
1e-7 degrees, about a centimetre) are the same junction. A GeoJSON file is
taken as already split at its junctions.

OSM PBF (pyosmium): ways with a highway tag (not areas, nor proposed or
disused roads), split at junction nodes: nodes used by two or more ways (or
twice by one) and way ends, so each segment is a road piece between
junctions, keyed `osm:way/<id>/<n>`. Tags highway, name, surface, maxspeed,
oneway (yes, -1, implied on motorways and roundabouts), bridge, maxweight.
Unreadable tag values (maxspeed=RU:urban) are left empty: OSM data is
uneven, and one odd tag must not stop an import.

Lengths are geodesic (WGS84, pyproj.Geod) over the line's vertices.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj

from truce.core.errors import InvalidInput

Progress = Callable[[int, int, str], None]

STATUSES = ("open", "closed", "verified_clear", "not_verified")
SKIP_HIGHWAYS = frozenset(
    {"proposed", "construction", "abandoned", "disused", "platform", "razed", "no", "elevator"}
)
TRUE_VALUES = frozenset({"yes", "true", "1", "y"})
_GEOD = pyproj.Geod(ellps="WGS84")
_NUMBER = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([a-z/ ]*)\s*$", re.IGNORECASE)


@dataclass
class SegmentRow:
    key: str
    name: str
    road_class: str
    surface: str
    max_speed_kmh: float | None
    oneway: bool
    bridge: bool
    max_weight_t: float | None
    coordinates: list[list[float]]
    node_from: int
    node_to: int
    status: str = "not_verified"
    status_since: dt.date | None = None
    length_m: float = 0.0


def detect_format(head: bytes) -> str:
    """'pbf' or 'geojson' from the first bytes; InvalidInput(field='file') otherwise."""
    if len(head) > 8 and b"OSMHeader" in head[:64]:
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "geojson"
    raise InvalidInput("the file is neither GeoJSON nor OSM PBF", field="file")


def read_network(path: Path, progress: Progress | None = None) -> tuple[str, list[SegmentRow]]:
    with path.open("rb") as handle:
        head = handle.read(64)
    kind = detect_format(head)
    rows = read_pbf(path, progress) if kind == "pbf" else read_geojson(path.read_bytes())
    if not rows:
        raise InvalidInput("the file holds no road segments", field="file")
    set_lengths(rows)
    return kind, rows


def set_lengths(rows: list[SegmentRow]) -> None:
    """Geodesic length of every row, in one vectorised pass over all vertex pairs."""
    counts = np.array([len(r.coordinates) for r in rows], dtype=np.int64)
    flat = np.array([p[:2] for r in rows for p in r.coordinates], dtype=np.float64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    lon, lat = flat[:, 0], flat[:, 1]
    _, _, dist = _GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    dist = np.concatenate([np.asarray(dist, dtype=np.float64), [0.0]])
    # Pairs that straddle two lines (last vertex of one, first of the next) do not count.
    dist[starts + counts - 1] = 0.0
    lengths = np.add.reduceat(dist, starts)
    for row, length in zip(rows, lengths.tolist(), strict=True):
        row.length_m = float(length)


# --- values --------------------------------------------------------------------------------


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return str(value or "").strip().lower() in TRUE_VALUES


def parse_speed(value: Any) -> float | None:
    """km/h from 50, "50", "50 km/h", "30 mph"; None for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    match = _NUMBER.match(str(value))
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2).strip().lower()
    if unit in ("", "km/h", "kmh", "kph"):
        return number or None
    if unit == "mph":
        return number * 1.609344 or None
    return None


def parse_weight(value: Any) -> float | None:
    """Tonnes from 7.5, "7.5", "7.5 t", "3500 kg"; None for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    match = _NUMBER.match(str(value))
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2).strip().lower()
    if unit in ("", "t", "tonnes", "ton", "tons"):
        return number or None
    if unit == "kg":
        return number / 1000 or None
    return None


def _oneway(value: Any, highway: str, junction: str) -> int:
    """1 (forward), -1 (against the geometry) or 0 (both ways)."""
    text = str(value).strip().lower() if value not in (None, "") else ""
    if isinstance(value, bool):
        return 1 if value else 0
    if text in ("-1", "reverse"):
        return -1
    if text in TRUE_VALUES:
        return 1
    if text in ("no", "false", "0"):
        return 0
    if highway in ("motorway", "motorway_link") or junction in ("roundabout", "circular"):
        return 1
    return 0


# --- GeoJSON -------------------------------------------------------------------------------


def _node_key(point: list[float]) -> tuple[int, int]:
    return (round(point[0] * 1e7), round(point[1] * 1e7))


def read_geojson(content: bytes) -> list[SegmentRow]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not valid GeoJSON: {exc}", field="file") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("the GeoJSON is not a FeatureCollection", field="file")
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidInput("the FeatureCollection has no features list", field="features")
    nodes: dict[tuple[int, int], int] = {}
    rows: list[SegmentRow] = []
    seen: set[str] = set()
    for i, feature in enumerate(features):
        rows.append(_feature_row(i, feature, nodes, seen))
    return rows


def _feature_row(
    i: int, feature: Any, nodes: dict[tuple[int, int], int], seen: set[str]
) -> SegmentRow:
    where = f"features[{i}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput(f"{where} is not a GeoJSON Feature", field=where)
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidInput(f"{where}.properties is not an object", field=f"{where}.properties")
    key = feature.get("id", props.get("key", props.get("id")))
    if key in (None, ""):
        raise InvalidInput(f"{where} has no id (the segment's stable key)", field=f"{where}.id")
    key = str(key)
    if key in seen:
        raise InvalidInput(f"{where}: the id {key!r} is used twice", field=f"{where}.id")
    seen.add(key)
    coords = _line(feature.get("geometry"), where)
    highway = str(props.get("highway") or props.get("road_class") or "").strip()
    direction = _oneway(props.get("oneway"), highway, str(props.get("junction") or ""))
    if direction < 0:
        coords = coords[::-1]
    status = str(props.get("status") or "not_verified")
    if status not in STATUSES:
        raise InvalidInput(
            f"{where}: unknown status {status!r}; use one of {', '.join(STATUSES)}",
            field=f"{where}.properties.status",
        )
    since = props.get("status_since")
    try:
        since_day = dt.date.fromisoformat(str(since)) if since not in (None, "") else None
    except ValueError:
        raise InvalidInput(
            f"{where}: status_since must be a date as YYYY-MM-DD",
            field=f"{where}.properties.status_since",
        ) from None
    ends = [nodes.setdefault(_node_key(p), len(nodes) + 1) for p in (coords[0], coords[-1])]
    return SegmentRow(
        key=key,
        name=str(props.get("name") or "")[:300],
        road_class=highway[:40],
        surface=str(props.get("surface") or "")[:40],
        max_speed_kmh=parse_speed(props.get("maxspeed", props.get("max_speed_kmh"))),
        oneway=direction != 0,
        bridge=_truthy(props.get("bridge")),
        max_weight_t=parse_weight(props.get("maxweight", props.get("max_weight_t"))),
        coordinates=coords,
        node_from=ends[0],
        node_to=ends[1],
        status=status,
        status_since=since_day,
    )


def _line(geometry: Any, where: str) -> list[list[float]]:
    field = f"{where}.geometry"
    if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
        raise InvalidInput(f"{where} has no LineString geometry", field=field)
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise InvalidInput(f"{where}: a LineString needs two or more positions", field=field)
    out: list[list[float]] = []
    for p in coords:
        if (
            not isinstance(p, list | tuple)
            or len(p) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in p[:2])
        ):
            raise InvalidInput(f"{where}: a position is not [lon, lat]", field=field)
        lon, lat = float(p[0]), float(p[1])
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
            raise InvalidInput(f"{where}: a position is outside lon/lat range", field=field)
        out.append([lon, lat])
    return out


# --- OSM PBF -------------------------------------------------------------------------------


def _is_road(tags: Any) -> bool:
    highway = tags.get("highway")
    return bool(highway) and highway not in SKIP_HIGHWAYS and tags.get("area") != "yes"


def read_pbf(path: Path, progress: Progress | None = None) -> list[SegmentRow]:
    import osmium

    try:
        uses: Counter[int] = Counter()
        ways = 0
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
            if not _is_road(way.tags):
                continue
            refs = [n.ref for n in way.nodes]  # type: ignore[union-attr]
            if len(refs) < 2:
                continue
            uses.update(refs)
            # A way's ends are junctions whatever else uses them.
            uses[refs[0]] += 2
            uses[refs[-1]] += 2
            ways += 1
        rows: list[SegmentRow] = []
        done = 0
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for obj in processor.with_locations():
            if not obj.is_way() or not _is_road(obj.tags):  # type: ignore[union-attr]
                continue
            rows.extend(_way_rows(obj, uses))
            done += 1
            if progress is not None and done % 2000 == 0:
                progress(done, ways, "reading")
    except RuntimeError as exc:
        raise InvalidInput(f"not a readable OSM PBF file: {exc}", field="file") from None
    return rows


def _way_rows(way: Any, uses: Counter[int]) -> list[SegmentRow]:
    tags = way.tags
    highway = tags.get("highway", "")
    direction = _oneway(tags.get("oneway"), highway, tags.get("junction", ""))
    points: list[tuple[int, float, float]] = []
    for node in way.nodes:
        if node.location.valid():
            points.append((node.ref, node.location.lon, node.location.lat))
    common = {
        "name": (tags.get("name") or "")[:300],
        "road_class": highway[:40],
        "surface": (tags.get("surface") or "")[:40],
        "max_speed_kmh": parse_speed(tags.get("maxspeed")),
        "oneway": direction != 0,
        "bridge": _truthy(tags.get("bridge")) or tags.get("bridge") in ("viaduct", "movable"),
        "max_weight_t": parse_weight(tags.get("maxweight")),
    }
    rows: list[SegmentRow] = []
    start = 0
    piece = 0
    for i in range(1, len(points)):
        if i < len(points) - 1 and uses[points[i][0]] < 2:
            continue
        part = points[start : i + 1]
        start = i
        if len(part) < 2:
            continue
        if direction < 0:
            part = part[::-1]
        rows.append(
            SegmentRow(
                key=f"osm:way/{way.id}/{piece}",
                coordinates=[[lon, lat] for _, lon, lat in part],
                node_from=part[0][0],
                node_to=part[-1][0],
                **common,
            )
        )
        piece += 1
    return rows
