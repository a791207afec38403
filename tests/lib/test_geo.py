"""Geometry validation: valid, EPSG:4326, in range; a bounding box beside it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truce.lib import geo

lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
lats = st.floats(min_value=-90, max_value=90, allow_nan=False)


@given(lons, lats)
def test_any_point_in_range_is_accepted_and_boxed(lon, lat):
    shape = geo.parse_geometry(geo.point(lon, lat), allowed=geo.POINT_TYPES)
    assert geo.bbox_of(shape).as_list() == [lon, lat, lon, lat]


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: abs(v) > 180), lats)
def test_longitude_out_of_range_is_refused(lon, lat):
    with pytest.raises(geo.GeometryError, match="longitude"):
        geo.parse_geometry(geo.point(lon, lat))


def test_unclosed_ring_is_refused():
    with pytest.raises(geo.GeometryError, match="closed"):
        geo.parse_geometry({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})


def test_feature_is_unwrapped_and_crs84_accepted():
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Point",
            "coordinates": [46.75, 39.82],
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        },
    }
    assert geo.parse_geometry(feature).x == 46.75


def test_to_geojson_round_trips_as_lists():
    shape = geo.parse_geometry(
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    )
    assert geo.to_geojson(shape)["coordinates"] == [
        [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    ]


def test_booleans_are_not_coordinates():
    with pytest.raises(geo.GeometryError, match="numbers"):
        geo.parse_geometry({"type": "Point", "coordinates": [True, 39]})


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "LineString", "coordinates": [[46.5, 39.6]]},
        {"type": "MultiLineString", "coordinates": [[[46.5, 39.6], [46.6, 39.7]], [[46.5, 39.6]]]},
    ],
)
def test_a_line_of_one_position_is_refused_by_name(geometry):
    with pytest.raises(geo.GeometryError, match="at least two positions"):
        geo.parse_geometry(geometry)


def test_geodesic_length_and_area_are_in_metres():
    # One hundredth of a degree of latitude is about 1.1 km anywhere.
    line = geo.parse_geometry({"type": "LineString", "coordinates": [[46.5, 39.6], [46.5, 39.61]]})
    assert 1100 < geo.geodesic_length_m(line) < 1115
    square = geo.parse_geometry(
        {
            "type": "Polygon",
            "coordinates": [
                [[46.5, 39.6], [46.51, 39.6], [46.51, 39.61], [46.5, 39.61], [46.5, 39.6]]
            ],
        }
    )
    # 1.11 km north-south by 0.857 km east-west at 39.6 degrees north.
    assert 0.94e6 < geo.geodesic_area_m2(square) < 0.96e6
