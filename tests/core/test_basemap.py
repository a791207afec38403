"""The offline base map: country outlines under the map's data, served as a static file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from shapely.geometry import box, shape

from tests.conftest import Places
from truce.core.models import User

BASEMAP = "truce/basemap/countries.geojson"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "briefings-2020"


def _collection() -> dict[str, Any]:
    found = finders.find(BASEMAP)
    assert isinstance(found, str), BASEMAP
    collection: dict[str, Any] = json.loads(Path(found).read_text(encoding="utf-8"))
    return collection


@pytest.mark.django_db
def test_map_page_references_the_basemap(client: Client, mission_user: User) -> None:
    client.force_login(mission_user)
    response = client.get(reverse("map"))
    html = response.content.decode()
    assert f'data-basemap-url="{static(BASEMAP)}"' in html
    assert static("truce/basemap/basemap.js") in html
    # Its switch in the legend is named by the view, translated like the other layers.
    assert response.context["map_config"]["labels"]["borders"] == "Country outlines"


@pytest.mark.django_db
def test_record_minimap_references_the_basemap(
    client: Client, mission_user: User, places: Places
) -> None:
    client.force_login(mission_user)
    kwargs = {"kind": "settlements", "public_id": places.public_settlement.public_id}
    html = client.get(reverse("registry-detail", kwargs=kwargs)).content.decode()
    assert f'data-basemap-url="{static(BASEMAP)}"' in html
    assert static("truce/basemap/basemap.js") in html


def test_basemap_is_served_offline_from_the_finders(client: Client) -> None:
    # No login: a static file, served by WhiteNoise before any view runs.
    response = client.get(static(BASEMAP))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert json.loads(body) == _collection()
    assert client.get(static("truce/basemap/basemap.js")).status_code == 200


def test_basemap_is_a_small_valid_feature_collection_of_countries() -> None:
    found = finders.find(BASEMAP)
    assert isinstance(found, str)
    assert Path(found).stat().st_size < 300_000
    collection = _collection()
    assert collection["type"] == "FeatureCollection"
    source = json.dumps(collection["source"])
    assert "Natural Earth" in source
    assert "public domain" in source
    frame = box(*collection["bbox"])

    countries = {}
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        properties = feature["properties"]
        assert properties["name"]
        assert re.fullmatch(r"[A-Z]{3}", properties["iso_a3"])
        geometry = shape(feature["geometry"])
        assert geometry.geom_type in {"Polygon", "MultiPolygon"}, properties["name"]
        assert geometry.is_valid, properties["name"]
        assert not geometry.is_empty, properties["name"]
        assert frame.buffer(1e-9).covers(geometry), properties["name"]
        lon, lat = properties["label"]
        assert frame.contains(shape({"type": "Point", "coordinates": [lon, lat]}))
        countries[properties["iso_a3"]] = (properties["name"], geometry)

    assert {"ARM", "AZE", "GEO", "IRN", "TUR", "RUS"} <= set(countries)
    assert countries["ARM"][0] == "Armenia"
    assert countries["AZE"][0] == "Azerbaijan"
    # Neighbours share their border and do not overlap.
    armenia, azerbaijan = countries["ARM"][1], countries["AZE"][1]
    assert armenia.touches(azerbaijan)
    assert armenia.intersection(azerbaijan).area < 1e-6


def test_basemap_covers_the_demo_scenario() -> None:
    frame = box(*_collection()["bbox"])
    for name in ("zones.geojson", "facilities.geojson"):
        data = json.loads((SCENARIO / name).read_text(encoding="utf-8"))
        for feature in data["features"]:
            if feature.get("geometry"):
                assert frame.contains(shape(feature["geometry"])), (name, feature["properties"])


def test_basemap_script_never_puts_data_into_html() -> None:
    found = finders.find("truce/basemap/basemap.js")
    assert isinstance(found, str)
    source = Path(found).read_text(encoding="utf-8")
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", source)
    assert "bindTooltip(" not in source
    assert "textContent" in source
