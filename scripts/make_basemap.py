"""Build the offline base map: country outlines around the area of operations.

Source: Natural Earth "Admin 0 - Countries", 1:50m, version 4.1.0 (public
domain, https://www.naturalearthdata.com/), as redistributed in TopoJSON by the
npm package ``world-atlas`` 2.0.2 (file ``countries-50m.json``; the packaging
is ISC-licensed, the data remains public domain). Boundaries are Natural
Earth's, shown for orientation only: they are not the mission's position.

Get the input once, outside the repository::

    mkdir -p /tmp/wa && cd /tmp/wa && npm install world-atlas@2.0.2

then, from the repository root::

    python scripts/make_basemap.py /tmp/wa/node_modules/world-atlas/countries-50m.json

The script decodes the topology itself (no topojson dependency), keeps the
countries that touch BBOX, clips them to it, rounds to 4 decimals (about 10 m,
finer than the 1:50m source) and writes a compact GeoJSON FeatureCollection to
truce/core/static/truce/basemap/countries.geojson. Each feature has the
properties ``name`` (Natural Earth's short English name), ``iso_a3`` (from the
ISO numeric id) and ``label``, a [lon, lat] inside the country for its name.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.ops import polylabel

# lon min, lat min, lon max, lat max: the South Caucasus and enough around it
# for a reader to orient themselves (and for the scenario's far-off depot).
BBOX = (36.0, 35.0, 54.0, 48.0)
DIGITS = 4
SOURCE = {
    "data": "Natural Earth Admin 0 - Countries, 1:50m, v4.1.0",
    "url": "https://www.naturalearthdata.com/",
    "licence": "public domain",
    "via": "npm world-atlas 2.0.2, countries-50m.json",
    "script": "scripts/make_basemap.py",
    "note": "Natural Earth boundaries, for orientation only.",
}
OUTPUT = Path("truce/core/static/truce/basemap/countries.geojson")

# ISO 3166-1 numeric (the TopoJSON id) to alpha-3, for the countries near BBOX.
# A country the box reaches that is missing here stops the script: add it.
ISO_A3 = {
    "004": "AFG",
    "031": "AZE",
    "051": "ARM",
    "112": "BLR",
    "196": "CYP",
    "268": "GEO",
    "364": "IRN",
    "368": "IRQ",
    "376": "ISR",
    "398": "KAZ",
    "400": "JOR",
    "414": "KWT",
    "422": "LBN",
    "498": "MDA",
    "634": "QAT",
    "643": "RUS",
    "682": "SAU",
    "760": "SYR",
    "792": "TUR",
    "795": "TKM",
    "804": "UKR",
    "860": "UZB",
}


# --- TopoJSON decoding ---------------------------------------------------------------------


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as absolute lon/lat positions.

    A quantised topology stores each arc as integer deltas: the first position
    is relative to (0, 0), each next one to the one before. The transform maps
    the integers back to degrees: lon = x * scale[0] + translate[0].
    """
    transform = topology.get("transform")
    scale = transform["scale"] if transform else (1, 1)
    translate = transform["translate"] if transform else (0, 0)
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        positions = []
        for dx, dy, *_ in arc:
            if transform:
                x, y = x + dx, y + dy
            else:  # unquantised: positions are absolute already
                x, y = dx, dy
            positions.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(positions)
    return arcs


def unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Make a ring continuous across the antimeridian (Russia's reaches 180 deg).

    A step of more than 180 deg in longitude is the same line going the short
    way round, so the rest of the ring is shifted by 360 deg; the ring then
    spans e.g. 27..190 instead of jumping from 180 to -180 and back.
    """
    result = [ring[0]]
    offset = 0.0
    for (lon0, _), (lon1, lat1) in itertools.pairwise(ring):
        step = lon1 - lon0
        if step > 180:
            offset -= 360
        elif step < -180:
            offset += 360
        result.append((lon1 + offset, lat1))
    return result


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """Join a ring's arcs; index ~i (that is -i - 1) means arc i walked backwards.

    Consecutive arcs share their joining position, so it is kept only once.
    """
    positions: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        positions.extend(arc[1:] if positions else arc)
    return unwrap(positions)


def geometry(arcs: list[list[tuple[float, float]]], topo: dict[str, Any]) -> MultiPolygon:
    """A Polygon or MultiPolygon topology object as a shapely MultiPolygon."""
    if topo["type"] == "Polygon":
        polygons = [topo["arcs"]]
    elif topo["type"] == "MultiPolygon":
        polygons = topo["arcs"]
    else:
        raise ValueError(f"unexpected geometry type {topo['type']!r}")
    return MultiPolygon(
        [
            Polygon(ring(arcs, rings[0]), [ring(arcs, hole) for hole in rings[1:]])
            for rings in polygons
        ]
    )


# --- clipping and output --------------------------------------------------------------------


def polygonal(geom: Any) -> Any:
    """Only the areas of a geometry (clipping can leave stray lines or points)."""
    parts = shapely.get_parts(geom)
    areas = [part for part in parts if isinstance(part, Polygon | MultiPolygon)]
    return shapely.union_all(areas) if areas else Polygon()


def clip(geom: MultiPolygon, frame: Polygon) -> Any:
    """Clip to the frame, round to DIGITS decimals, and repair what rounding broke."""
    clipped = polygonal(shapely.make_valid(geom).intersection(frame))
    rounded = shapely.transform(clipped, lambda xy: np.round(xy, DIGITS))
    if not rounded.is_valid:
        rounded = polygonal(shapely.make_valid(rounded))
    return rounded


def label_point(geom: Any) -> list[float]:
    """Where the name goes: the point deepest inside the country's largest part."""
    largest = max(shapely.get_parts(geom), key=lambda part: part.area)
    point = polylabel(largest, tolerance=0.01)
    return [round(point.x, 2), round(point.y, 2)]


def features(topology: dict[str, Any]) -> list[dict[str, Any]]:
    arcs = decode_arcs(topology)
    frame = box(*BBOX)
    result = []
    unknown = []
    for topo in topology["objects"]["countries"]["geometries"]:
        geom = geometry(arcs, topo)
        if not geom.intersects(frame):
            continue
        clipped = clip(geom, frame)
        if clipped.is_empty:
            continue
        assert clipped.is_valid, topo["properties"]["name"]
        code = topo.get("id")
        if code not in ISO_A3:
            unknown.append(f"{topo['properties']['name']} ({code})")
            continue
        properties = {
            "name": topo["properties"]["name"],
            "iso_a3": ISO_A3[code],
            "label": label_point(clipped),
        }
        result.append({"type": "Feature", "properties": properties, "geometry": mapping(clipped)})
    if unknown:
        raise SystemExit("add to ISO_A3: " + ", ".join(unknown))
    return sorted(result, key=lambda feature: feature["properties"]["name"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas countries-50m.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    topology = json.loads(args.topojson.read_text(encoding="utf-8"))
    collection = {
        "type": "FeatureCollection",
        "source": SOURCE,
        "bbox": list(BBOX),
        "features": features(topology),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Compact: no spaces; coordinates are already rounded, so floats print short.
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", encoding="utf-8")
    names = ", ".join(feature["properties"]["name"] for feature in collection["features"])
    print(f"{args.output}: {len(collection['features'])} countries, {len(text):,} bytes: {names}")


if __name__ == "__main__":
    main()
