"""GeoJSON validation and bounding boxes (shapely 2; no GDAL).

Geometry is stored as GeoJSON in EPSG:4326 (lon, lat) with a bounding box
beside it for cheap spatial pre-filters in any database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyproj
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

POINT_TYPES = frozenset({"Point"})
AREA_TYPES = frozenset({"Polygon", "MultiPolygon"})
LINE_TYPES = frozenset({"LineString", "MultiLineString"})

# RFC 7946 GeoJSON has no "crs" member; older files carry one. Accept the
# names that mean WGS 84 lon/lat and refuse any other.
_WGS84_NAMES = {
    "EPSG:4326",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
}


class GeometryError(ValueError):
    """Geometry that cannot be stored; the message says why."""


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def as_list(self) -> list[float]:
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]


def _iter_positions(coords: Any) -> Iterable[tuple[float, ...]]:
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        yield tuple(coords)
        return
    if not isinstance(coords, list | tuple):
        raise GeometryError("coordinates must be nested arrays of numbers")
    for item in coords:
        yield from _iter_positions(item)


def _check_positions(geojson: dict[str, Any]) -> None:
    for position in _iter_positions(geojson.get("coordinates", [])):
        if len(position) < 2:
            raise GeometryError("a position needs at least longitude and latitude")
        lon, lat = position[0], position[1]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
            raise GeometryError("coordinates must be numbers")
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise GeometryError("coordinates must be finite numbers")
        if not -180.0 <= lon <= 180.0:
            raise GeometryError(f"longitude {lon} is out of range [-180, 180]")
        if not -90.0 <= lat <= 90.0:
            raise GeometryError(f"latitude {lat} is out of range [-90, 90]")


def _check_lines(geojson: dict[str, Any]) -> None:
    """RFC 7946: a LineString has two or more positions (GEOS would raise on one)."""
    gtype = geojson.get("type")
    lines = [geojson.get("coordinates")] if gtype == "LineString" else []
    if gtype == "MultiLineString":
        lines = list(geojson.get("coordinates") or [])
    for line in lines:
        if len(line or []) < 2:
            raise GeometryError("a line needs at least two positions")


def _check_rings(geojson: dict[str, Any]) -> None:
    """RFC 7946: every linear ring is closed and has at least four positions.

    shapely would quietly close an open ring; a surveyed boundary that does not
    close is more likely a truncated file, so say so instead.
    """
    gtype = geojson.get("type")
    polygons = [geojson.get("coordinates")] if gtype == "Polygon" else []
    if gtype == "MultiPolygon":
        polygons = list(geojson.get("coordinates") or [])
    for polygon in polygons:
        for ring in polygon or []:
            if len(ring) < 4:
                raise GeometryError("a polygon ring needs at least four positions")
            if list(ring[0]) != list(ring[-1]):
                raise GeometryError("a polygon ring must be closed (last position = first)")


def parse_geometry(value: Any, *, allowed: frozenset[str] | None = None) -> BaseGeometry:
    """Validate a GeoJSON geometry (dict) and return it as a shapely geometry.

    Raises GeometryError naming the reason: wrong type, CRS other than
    EPSG:4326, coordinates out of range, or an invalid (for example
    self-intersecting) shape.
    """
    if not isinstance(value, dict):
        raise GeometryError("expected a GeoJSON geometry object")
    if value.get("type") == "Feature":
        value = value.get("geometry") or {}
    crs = value.get("crs")
    if crs is not None:
        name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
        if name not in _WGS84_NAMES:
            raise GeometryError(f"coordinate reference system {name!r} is not EPSG:4326")
    gtype = value.get("type")
    if allowed is not None and gtype not in allowed:
        raise GeometryError(f"geometry type {gtype!r} is not allowed here; use {sorted(allowed)}")
    if "coordinates" not in value:
        raise GeometryError("geometry has no coordinates")
    _check_positions(value)
    _check_lines(value)
    _check_rings(value)
    try:
        geom = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise GeometryError(f"malformed {gtype}: {exc}") from exc
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    if not geom.is_valid:
        raise GeometryError(f"invalid geometry: {explain_validity(geom)}")
    return geom


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """Plain-dict GeoJSON (lists, not tuples) so it round-trips through JSON."""
    result: dict[str, Any] = shapely.geometry.mapping(geom)
    return _listify(result)


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value


def bbox_of(geom: BaseGeometry) -> BBox:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return BBox(min_lon, min_lat, max_lon, max_lat)


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


# Areas and lengths on the WGS 84 ellipsoid: lon/lat degrees are not metres,
# and a planar projection would distort across the mission area's extent.
_GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area in m2 of a (multi)polygon given in lon/lat; 0 for points and lines."""
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return abs(float(area))


def geodesic_length_m(geom: BaseGeometry) -> float:
    """Length in metres of a (multi)line given in lon/lat."""
    return float(_GEOD.geometry_length(geom))


__all__ = [
    "AREA_TYPES",
    "LINE_TYPES",
    "POINT_TYPES",
    "BBox",
    "GeometryError",
    "bbox_of",
    "geodesic_area_m2",
    "geodesic_length_m",
    "mapping",
    "parse_geometry",
    "point",
    "to_geojson",
]
