"""Map layers: GeoJSON FeatureCollections built from the registry selectors."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from tests.core.api_client import Api, point
from truce.core import services


def _detail_url(kind: str, public_id: object) -> str | None:
    # The web UI defines this page; until it does, layers carry url = null.
    try:
        return reverse("registry-detail", kwargs={"kind": kind, "public_id": public_id})
    except NoReverseMatch:
        return None


def _layer(api: Api, name: str, **params: str) -> dict:
    response = api.get(f"/layers/{name}", **params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    return collection


def test_the_settlements_layer_carries_names_pcode_and_population(admin_user, places):
    services.settlement_update(
        actor=None,
        settlement=places.public_settlement,
        expected_version=1,
        changes={
            "name_ru": "Публиктаун",
            "baseline_population": 1200,
            "location_approximate": True,
        },
    )
    features = {f["id"]: f for f in _layer(Api(admin_user), "settlements")["features"]}
    assert len(features) == 4
    feature = features[str(places.public_settlement.public_id)]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == point(46.1, 39.5)
    assert feature["properties"] == {
        "name": "Publictown",
        "layer": "settlements",
        "kind": "town",
        "approximate": True,
        "url": _detail_url("settlements", places.public_settlement.public_id),
        "pcode": "T-PUB",
        "other_names": ["Публиктаун"],
        "baseline_population": 1200,
    }


def test_observation_posts_and_other_facilities_are_separate_layers(admin_user, places):
    api = Api(admin_user)
    ops = _layer(api, "observation-posts")["features"]
    others = _layer(api, "facilities")["features"]
    assert [f["id"] for f in ops] == [str(places.mission_op.public_id)]
    assert [f["id"] for f in others] == [str(places.side_b_facility.public_id)]
    assert ops[0]["properties"] == {
        "name": "OP North 1",
        "layer": "observation-posts",
        "kind": "observation_post",
        "approximate": False,
        "url": _detail_url("facilities", places.mission_op.public_id),
        "code": "op-n1",
        "op_role": "contact_line",
        "battalion": "1st battalion",
        "zone": "north",
    }
    assert others[0]["properties"]["code"] == "wh-b"
    assert others[0]["properties"]["kind"] == "warehouse"


def test_the_zones_layer_carries_code_kind_and_battalion(admin_user, places):
    (zone,) = _layer(Api(admin_user), "zones")["features"]
    assert zone["id"] == str(places.mission_zone.public_id)
    assert zone["geometry"]["type"] == "Polygon"
    assert zone["bbox"] == [46.0, 39.0, 47.0, 40.0]
    props = zone["properties"]
    assert (props["code"], props["kind"], props["battalion"]) == (
        "north",
        "responsibility",
        "1st battalion",
    )


def test_admin_areas_without_geometry_are_left_off_the_map(admin_user):
    services.admin_area_create(
        actor=None, fields={"pcode": "NOGEO", "display_name": "X", "level": 1}
    )
    services.admin_area_create(
        actor=None,
        fields={
            "pcode": "GEO",
            "display_name": "Y",
            "level": 1,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[46, 39], [46.1, 39], [46.1, 39.1], [46, 39]]],
            },
        },
    )
    features = _layer(Api(admin_user), "admin-areas")["features"]
    assert [f["properties"]["pcode"] for f in features] == ["GEO"]
    assert features[0]["properties"]["kind"] == "adm1"


def test_a_layer_can_be_cut_to_a_bbox(admin_user, places):
    features = _layer(Api(admin_user), "settlements", bbox="46.15,39,46.25,40")["features"]
    assert [f["properties"]["pcode"] for f in features] == ["T-A"]


def test_property_values_are_plain_data_not_html(admin_user):
    services.settlement_create(
        actor=None,
        fields={
            "pcode": "X-1",
            "display_name": "<img src=x onerror=alert(1)>",
            "geometry": point(46, 39),
        },
    )
    (feature,) = _layer(Api(admin_user), "settlements")["features"]
    # Stored and served as given: escaping is the map's job at render time.
    assert feature["properties"]["name"] == "<img src=x onerror=alert(1)>"


def test_a_layer_still_loads_when_the_web_detail_page_is_missing(admin_user, places, monkeypatch):
    def no_route(*args: object, **kwargs: object) -> str:
        raise NoReverseMatch("registry-detail is not defined")

    monkeypatch.setattr("truce.core.geojson.reverse", no_route)
    features = _layer(Api(admin_user), "settlements")["features"]
    assert len(features) == 4
    assert {f["properties"]["url"] for f in features} == {None}
