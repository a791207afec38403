"""The choropleth's shapes: approximate settlement cells where areas have no boundaries."""

from __future__ import annotations

import pytest
from shapely.geometry import Point, shape

from tests.core.api_client import Api
from truce.core import services as core_services
from truce.core.models import Settlement, User
from truce.damage.cells import settlement_cells

from .helpers import assess

pytestmark = pytest.mark.django_db


def test_each_settlement_gets_a_cell_holding_its_point(places: object) -> None:
    settlements = list(Settlement.objects.all())
    cells = settlement_cells(settlements)
    assert set(cells) == {s.pk for s in settlements}
    for s in settlements:
        assert shape(cells[s.pk]).covers(Point(s.geometry["coordinates"]))
    # Cells do not overlap: their areas add up to the area of their union.
    from shapely.ops import unary_union

    shapes = [shape(c) for c in cells.values()]
    assert sum(p.area for p in shapes) == pytest.approx(unary_union(shapes).area)


def test_the_map_uses_area_polygons_when_the_areas_have_them(
    places: object, mission_user: User
) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[46.0, 39.0], [46.5, 39.0], [46.5, 40.0], [46.0, 40.0], [46.0, 39.0]]],
    }
    area = core_services.admin_area_create(
        actor=None,
        fields={"pcode": "AR", "level": 1, "display_name": "Area", "geometry": square},
        visibility=["public"],
    )
    s = Settlement.objects.get(pcode="T-PUB")
    core_services.settlement_update(
        actor=None, settlement=s, expected_version=s.version, changes={"admin_area": area}
    )
    assess(mission_user, settlement="T-PUB")
    body = Api(mission_user).get("/damage/choropleth.geojson").json()
    assert body["approximate"] is False
    (feature,) = body["features"]
    assert feature["properties"]["kind"] == "area" and feature["properties"]["value"] == 1
    assert feature["properties"]["url"].endswith("?area=AR")
