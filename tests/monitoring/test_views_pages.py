"""Every monitoring screen renders for a mission user, and needs a login."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


@pytest.fixture
def mission_client(client: Client, mission_user: User) -> Client:
    client.force_login(mission_user)
    return client


def _pages(world: World) -> list[str]:
    incident = world.mission_incident
    return [
        reverse("monitoring:incident-map"),
        reverse("monitoring:incident-list") + "?window=2020-11-20",
        reverse("monitoring:incident-detail", kwargs={"public_id": incident.public_id}),
        reverse("monitoring:post-list"),
        reverse("monitoring:post-detail", kwargs={"code": "op-n1"}),
        reverse("monitoring:observe"),
        reverse("monitoring:counts") + "?window=2020-11-20",
    ]


def test_every_page_requires_login(client: Client, world: World) -> None:
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_every_page_renders_for_a_mission_user(mission_client: Client, world: World) -> None:
    for url in _pages(world):
        response = mission_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<main" in html
        assert 'href="/monitoring/incidents/"' in html, "the nav links to monitoring"


def test_the_map_page_carries_its_filters_and_the_api_urls(
    mission_client: Client, world: World
) -> None:
    response = mission_client.get(
        reverse("monitoring:incident-map")
        + "?window=2020-11-20&status=reported&since=2020-11-20T12:00"
    )
    config = response.context["map_config"]
    assert config["geojsonUrl"] == "/api/v1/monitoring/incidents.geojson"
    assert config["layersUrl"] == "/api/v1/layers/"
    # Mission time (Baku, UTC+4) in the page; UTC on the wire.
    assert config["query"] == {
        "window": "2020-11-20",
        "status": "reported",
        "since": "2020-11-20T08:00:00Z",
    }
    html = response.content.decode()
    assert 'id="incident-map-config"' in html
    assert "leaflet/leaflet.js" in html
    # Offline: every script and stylesheet comes from this server.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_map_defaults_to_the_current_mission_day(mission_client: Client, world: World) -> None:
    response = mission_client.get(reverse("monitoring:incident-map"))
    assert set(response.context["map_config"]["query"]) == {"window"}


def test_the_list_shows_incidents_and_filters_them(mission_client: Client, world: World) -> None:
    url = reverse("monitoring:incident-list")
    # Unfiltered, the list is every incident, newest first (the map opens on today).
    everything = mission_client.get(url).content.decode()
    assert world.mission_incident.reference in everything
    assert world.mission_previous.incident is not None
    assert world.mission_previous.incident.reference in everything
    html = mission_client.get(url + "?window=2020-11-20").content.decode()
    assert world.mission_incident.reference in html
    assert world.shared_incident.reference in html
    only_bursts = mission_client.get(url + "?window=&type=bursts_and_shots").content.decode()
    assert world.shared_incident.reference in only_bursts
    assert world.mission_incident.reference not in only_bursts
    fragment = mission_client.get(url + "?window=2020-11-20", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    assert world.mission_incident.reference in fragment.content.decode()


def test_the_incident_page_shows_its_observations_and_timeline(
    mission_client: Client, world: World
) -> None:
    incident = world.mission_incident
    response = mission_client.get(
        reverse("monitoring:incident-detail", kwargs={"public_id": incident.public_id})
    )
    html = response.content.decode()
    assert incident.reference in html
    assert f'data-observation="{world.mission_a.public_id}"' in html
    assert 'data-timeline="observation"' in html
    assert 'data-timeline="version"' in html
    assert 'id="record-geometry"' in html
    # A duty officer gets the verification forms.
    for action in ("status", "notes", "merge"):
        assert f"/monitoring/incidents/{incident.public_id}/{action}/" in html
    times = re.findall(r'data-timeline="(\w+)"', html)
    assert times[0] == "observation"


def test_the_post_pages(mission_client: Client, world: World) -> None:
    listing = mission_client.get(reverse("monitoring:post-list")).content.decode()
    assert 'data-post="op-n1"' in listing
    page = mission_client.get(reverse("monitoring:post-detail", kwargs={"code": "op-n1"}))
    html = page.content.decode()
    assert "OP North 1" in html
    assert "Northern zone" in html
    assert f'data-observation="{world.shared_a.public_id}"' in html
    assert page.context["can_check_in"] is True
    assert mission_client.get("/monitoring/posts/op-zz/").status_code == 404


def test_the_counts_page(mission_client: Client, world: World) -> None:
    response = mission_client.get(reverse("monitoring:counts") + "?window=2020-11-20&by=type")
    html = response.content.decode()
    assert "<svg" in html
    assert 'data-counts="post"' in html and 'data-counts="zone"' in html
    tables = {t["by"]: t for t in response.context["tables"]}
    rows = {r["key"]: r for r in tables["type"]["rows"]}
    assert rows["explosion_impact"]["observations"] == 2
    assert rows["explosion_impact"]["change"] == 1
    assert tables["type"]["total"]["observations"] == 3


def test_the_observe_page_is_small_and_has_a_fresh_uuid(
    mission_client: Client, places: Places
) -> None:
    first = mission_client.get(reverse("monitoring:observe"))
    second = mission_client.get(reverse("monitoring:observe"))
    uuid_1 = first.context["form"].initial["client_uuid"]
    assert uuid_1 != second.context["form"].initial["client_uuid"]
    html = first.content.decode()
    assert f'value="{uuid_1}"' in html
    assert "leaflet" not in html
    config = json.loads(
        re.search(
            r'<script id="observe-config" type="application/json">(.*?)</script>', html, re.S
        )[1]
    )
    assert config["apiUrl"] == "/api/v1/monitoring/observations"
    choices = [value for value, _label in first.context["form"].fields["observer_post"].choices]
    assert "op-n1" in choices
