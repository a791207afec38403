"""The routing screens: planner, route sheet, road status layer and panels, import.

A small network shared with the agencies (not with side A): two ways from A to C,
one verified clear through B, one not verified through D. Every screen has a test
where side A's liaison officer sees nothing of it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.mineaction import services as mineaction
from truce.routing import planning, services
from truce.routing.models import RoadNetwork, RoadSegment, SegmentStatus

pytestmark = pytest.mark.django_db

A, B, C, D = [46.50, 39.50], [46.52, 39.50], [46.54, 39.50], [46.52, 39.52]
FROM, TO = "46.5,39.5", "46.54,39.5"
DAY = dt.date(2020, 11, 17)


def _feature(key: str, name: str, coords: list[list[float]], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": key,
        "properties": {"name": name, "highway": "primary", "maxspeed": 60, **props},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


NETWORK = {
    "type": "FeatureCollection",
    "features": [
        _feature("ab", "Road A-B", [A, B]),
        _feature("bc", "Road B-C", [B, C]),
        _feature("ad", "Road A-D", [A, D], highway="tertiary", maxspeed=40),
        _feature("dc", "Bridge D-C", [D, C], highway="tertiary", bridge="yes", maxweight=10),
    ],
}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def network(tmp_path: Path, parties: Any) -> Iterator[RoadNetwork]:
    path = tmp_path / "test-roads.geojson"
    path.write_text(json.dumps(NETWORK))
    planning.forget_graphs()
    net = services.network_import(
        actor=None, path=path, slug="test-roads", name="Test roads", visibility=["agencies"]
    )
    for key in ("ab", "bc"):
        services.segment_status_set(
            actor=None,
            network=net,
            key=key,
            fields={
                "status": "verified_clear",
                "since": DAY,
                "reason": "checked",
                "source": "test",
            },
            expected_version=None,
            visibility=["agencies"],
        )
    services.corridor_record(
        actor=None,
        network=net,
        fields={
            "name": "Test corridor",
            "segment_keys": ["ab", "bc"],
            "open_to_civilians_since": DAY,
        },
        visibility=["agencies"],
    )
    yield net
    planning.forget_graphs()


def _hazard_over_b(visibility: list[str]) -> Any:
    box = [[46.515, 39.495], [46.525, 39.495], [46.525, 39.505], [46.515, 39.505], [46.515, 39.495]]
    return mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-T-1",
            "name": "Mines at B",
            "kind": "confirmed",
            "status": "open",
            "geometry": {"type": "Polygon", "coordinates": [box]},
            "reported_on": DAY,
        },
        visibility=visibility,
    )


def _status_form(**fields: Any) -> dict[str, Any]:
    """The segment panel's form as posted (its fields carry the form's prefix)."""
    return {f"segment-{name}": value for name, value in fields.items()}


def _map_config(html: str) -> dict[str, Any]:
    """The planner map's configuration, as the page hands it to its script."""
    found = re.search(r'id="planner-map-config" type="application/json">(.*?)</script>', html)
    assert found is not None
    return dict(json.loads(found.group(1)))


def _plan(user: User, **extra: Any) -> Any:
    return _client(user).get(reverse("routing:planner"), {"from": FROM, "to": TO, **extra})


# --- the planner ----------------------------------------------------------------------------


def test_the_planner_shows_the_route_its_segments_and_a_sheet_link(
    network: RoadNetwork, agency_user: User
) -> None:
    response = _plan(agency_user, profile="lorry")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-found="true"' in html
    assert 'data-segment="ab"' in html and 'data-segment="bc"' in html
    assert 'data-segment="ad"' not in html
    assert "Test corridor" in html
    assert reverse("routing:sheet") + "?from=46.5%2C39.5&amp;to=46.54%2C39.5" in html
    config = _map_config(html)
    assert [p["key"] for p in config["pieces"]] == ["ab", "bc"]
    assert config["pieces"][0]["coordinates"][0] == A


def test_the_planner_names_the_field_of_bad_input(network: RoadNetwork, agency_user: User) -> None:
    html = _plan(agency_user, profile="tank").content.decode()
    assert "Select a valid choice" in html and "data-found" not in html
    far = _client(agency_user).get(reverse("routing:planner"), {"from": "45.0,38.0", "to": TO})
    assert 'id="id_from_error"' in far.content.decode()


def test_a_blocked_route_lists_its_blockers(network: RoadNetwork, agency_user: User) -> None:
    _hazard_over_b(["agencies"])
    html = _plan(agency_user, verified_only="on").content.decode()
    assert 'data-found="false"' in html
    assert "HA-T-1" in html and "Mines at B" in html
    # Without verified_only, the lorry (20 t) may not cross the 10 t bridge either.
    heavy = _plan(agency_user).content.decode()
    assert 'data-found="false"' in heavy and 'data-kind="hazard"' in heavy
    light = _plan(agency_user, weight_t="8").content.decode()
    assert 'data-found="true"' in light and 'data-segment="dc"' in light


def test_another_party_plans_nothing_on_a_network_it_may_not_see(
    network: RoadNetwork, side_a_user: User
) -> None:
    html = _plan(side_a_user).content.decode()
    assert "data-found" not in html
    assert "Road A-B" not in html and "Test corridor" not in html
    assert "test-roads" not in html


def test_a_hazard_not_shared_with_the_reader_is_avoided_but_not_named(
    network: RoadNetwork, agency_user: User
) -> None:
    _hazard_over_b(["side_b"])
    html = _plan(agency_user, verified_only="on").content.decode()
    assert 'data-found="false"' in html
    assert "HA-T-1" not in html and "Mines at B" not in html
    assert "A hazard area not shared with your party" in html


# --- the route sheet -------------------------------------------------------------------------


def test_the_route_sheet_is_printable_and_shareable(
    network: RoadNetwork, agency_user: User
) -> None:
    response = _client(agency_user).get(
        reverse("routing:sheet"), {"from": FROM, "to": TO, "weight_t": "8"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "route-sketch" in html
    assert html.count("<polyline") == 2  # one line per segment
    assert "Test corridor" in html and "Generated" in html and "UTC" in html
    # Cumulative kilometres: the second segment starts where the first ends.
    assert re.search(r'data-segment="bc".*?<td class="num">1\.7</td>', html, re.S)
    assert "@media print" in Path("truce/routing/static/routing/css/routing.css").read_text()


def test_the_route_sheet_draws_the_hazards_near_the_route(
    network: RoadNetwork, agency_user: User
) -> None:
    _hazard_over_b(["agencies"])
    html = (
        _client(agency_user)
        .get(reverse("routing:sheet"), {"from": FROM, "to": TO, "weight_t": "8"})
        .content.decode()
    )
    assert "<polygon" in html and "HA-T-1" in html
    assert 'data-segment="ad"' in html  # around the hazard, over the bridge


def test_another_party_gets_no_route_sheet(network: RoadNetwork, side_a_user: User) -> None:
    response = _client(side_a_user).get(reverse("routing:sheet"), {"from": FROM, "to": TO})
    assert response.status_code == 422
    assert "<svg" not in response.content.decode() and "Road A-B" not in response.content.decode()


# --- the road status layer --------------------------------------------------------------------


def test_the_road_status_page_lists_networks_and_corridors(
    network: RoadNetwork, agency_user: User, side_a_user: User
) -> None:
    html = _client(agency_user).get(reverse("routing:roads")).content.decode()
    assert "Test corridor" in html and "roads-map-config" in html
    assert "Verified clear" in html  # the legend
    other = _client(side_a_user).get(reverse("routing:roads")).content.decode()
    assert "Test corridor" not in other and "No road network is shared" in other


def test_a_segment_panel_shows_its_history(network: RoadNetwork, agency_user: User) -> None:
    url = reverse("routing:segment", args=["test-roads", "ab"])
    html = _client(agency_user).get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Road A-B" in html and "checked" in html and "Test corridor" in html
    assert "hx-post" not in html  # agency staff read; mission staff change statuses
    assert "<html" not in html
    page = _client(agency_user).get(url).content.decode()  # without HTMX: a page of its own
    assert "<html" in page and "Road A-B" in page


def test_the_road_status_page_lists_the_segments_by_status(
    network: RoadNetwork, agency_user: User
) -> None:
    client = _client(agency_user)
    html = client.get(reverse("routing:roads")).content.decode()
    assert all(f'<tr data-segment="{k}"' in html for k in ("ab", "bc", "ad", "dc"))
    clear = client.get(reverse("routing:roads"), {"status": "verified_clear"}).content.decode()
    assert '<tr data-segment="ab" data-status="verified_clear"' in clear
    assert '<tr data-segment="ad"' not in clear


def test_another_party_gets_no_segment_panel(network: RoadNetwork, side_a_user: User) -> None:
    client = _client(side_a_user)
    assert client.get(reverse("routing:segment", args=["test-roads", "ab"])).status_code == 404
    post = client.post(
        reverse("routing:segment-status", args=["test-roads", "ab"]),
        _status_form(status="closed", since="2020-11-20", expected_version=1),
    )
    assert post.status_code == 403
    assert not SegmentStatus.objects.filter(status="closed").exists()


def test_mission_staff_change_a_status_with_the_version_they_saw(
    network: RoadNetwork, mission_user: User
) -> None:
    client = _client(mission_user)
    url = reverse("routing:segment-status", args=["test-roads", "ab"])
    segment = RoadSegment.objects.get(network=network, key="ab")
    panel = client.get(reverse("routing:segment", args=["test-roads", "ab"])).content.decode()
    assert 'hx-post="' + url + '"' in panel
    form = {"status": "closed", "since": "2020-11-20", "reason": "Bridge down", "source": "patrol"}
    response = client.post(url, _status_form(**form, expected_version=segment.status_version))
    assert response.status_code == 200
    assert response["HX-Trigger"] == "routing:status-changed"
    assert "Bridge down" in response.content.decode()
    segment.refresh_from_db()
    assert segment.status == "closed"
    # A second change from the same (now stale) version is refused, nothing written.
    stale = client.post(url, _status_form(**{**form, "status": "open"}, expected_version=1))
    assert stale.status_code == 422
    assert "changed this segment meanwhile" in stale.content.decode()
    segment.refresh_from_db()
    assert segment.status == "closed"


def test_the_maps_draw_mine_action_s_layer_of_what_the_reader_may_see(
    network: RoadNetwork, agency_user: User, side_b_user: User
) -> None:
    _hazard_over_b(["side_b"])
    html = _client(agency_user).get(reverse("routing:planner")).content.decode()
    config = _map_config(html)
    assert config["hazardsUrl"] == reverse("api:mineaction_hazards_layer") + "?status=open"
    assert _client(agency_user).get(config["hazardsUrl"]).json()["features"] == []
    (feature,) = _client(side_b_user).get(config["hazardsUrl"]).json()["features"]
    assert feature["properties"]["reference"] == "HA-T-1"


# --- the import page ----------------------------------------------------------------------------


def test_an_import_writes_a_network_and_reports_its_progress(
    parties: Any, admin_user: User
) -> None:
    client = _client(admin_user)
    assert client.get(reverse("routing:import")).status_code == 200
    upload = SimpleUploadedFile(
        "roads.geojson", json.dumps(NETWORK).encode(), "application/geo+json"
    )
    response = client.post(
        reverse("routing:import"),
        {"file": upload, "slug": "uploaded", "name": "Uploaded roads", "token": "t1"},
    )
    assert response.status_code == 302
    assert RoadNetwork.objects.get(slug="uploaded").segment_count == 4
    progress = client.get(reverse("routing:import-progress", args=["t1"])).json()
    assert progress["phase"] == "done" and progress["done"] == 4


def test_another_user_sees_nothing_of_an_import_s_progress(
    parties: Any, admin_user: User, side_a_user: User
) -> None:
    upload = SimpleUploadedFile("roads.geojson", json.dumps(NETWORK).encode())
    _client(admin_user).post(
        reverse("routing:import"), {"file": upload, "slug": "uploaded", "token": "t3"}
    )
    other = _client(side_a_user).get(reverse("routing:import-progress", args=["t3"])).json()
    assert other == {"done": 0, "total": 0, "phase": "waiting"}


def test_a_bad_file_writes_nothing_and_says_why(parties: Any, admin_user: User) -> None:
    upload = SimpleUploadedFile("roads.geojson", b'{"type": "FeatureCollection"}')
    response = _client(admin_user).post(
        reverse("routing:import"), {"file": upload, "slug": "bad", "token": "t2"}
    )
    assert response.status_code == 200
    assert (
        'class="error-summary"' in response.content.decode()
        or "field-error" in response.content.decode()
    )
    assert not RoadNetwork.objects.filter(slug="bad").exists()


def test_only_mission_staff_import(parties: Any, side_a_user: User, agency_user: User) -> None:
    assert _client(side_a_user).get(reverse("routing:import")).status_code == 403
    assert _client(agency_user).get(reverse("routing:import")).status_code == 403


# --- the figures ------------------------------------------------------------------------------


def test_the_figures_count_only_what_the_reader_may_see(
    network: RoadNetwork, agency_user: User, side_a_user: User
) -> None:
    seen = FigureQuery(user=agency_user, as_of=dt.date(2020, 11, 20))
    assert figure_value("routing_corridor_open_to_civilians_since", seen).value == "2020-11-17"
    clear = figure_value("routing_road_verified_clear_km", seen)
    assert clear.value == pytest.approx(3.4, abs=0.1)  # A-B-C, two segments of 1.7 km
    assert clear.breakdown == {"Test corridor": pytest.approx(3.4, abs=0.1)}
    hidden = FigureQuery(user=side_a_user, as_of=dt.date(2020, 11, 20))
    assert figure_value("routing_corridor_open_to_civilians_since", hidden).value is None
    nothing = figure_value("routing_road_verified_clear_km", hidden)
    assert nothing.value == 0 and nothing.records == []


def test_the_planner_speaks_russian(network: RoadNetwork, agency_user: User) -> None:
    client = _client(agency_user)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    html = client.get(reverse("routing:planner"), {"from": FROM, "to": TO, "weight_t": "8"})
    text = html.content.decode()
    assert "Планировщик маршрутов" in text and "Участки маршрута" in text
    assert "Проверена, чиста" in text  # the segment status, from the model's choices


def test_the_figure_pages_list_their_records(network: RoadNetwork, agency_user: User) -> None:
    client = _client(agency_user)
    for key in ("routing_corridor_open_to_civilians_since", "routing_road_verified_clear_km"):
        response = client.get(reverse("figure-detail", args=[key]))
        assert response.status_code == 200, key
    page = client.get(reverse("figure-detail", args=["routing_road_verified_clear_km"]))
    assert "test" in page.content.decode()  # the statuses' source


def test_a_closure_from_the_panel_applies_to_the_next_route(
    network: RoadNetwork, mission_user: User
) -> None:
    client = _client(mission_user)
    before = _plan(mission_user, weight_t="8").content.decode()
    assert 'data-segment="ab"' in before
    segment = RoadSegment.objects.get(network=network, key="ab")
    client.post(
        reverse("routing:segment-status", args=["test-roads", "ab"]),
        _status_form(status="closed", since="2020-11-20", expected_version=segment.status_version),
    )
    after = _plan(mission_user, weight_t="8").content.decode()
    assert 'data-found="true"' in after
    assert 'data-segment="ab"' not in after and 'data-segment="dc"' in after
