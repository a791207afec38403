"""Sign-in, the base layout, the home page and the map page."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Places
from truce.core.models import User

pytestmark = pytest.mark.django_db


def _pages(places: Places) -> list[str]:
    settlement = places.public_settlement
    kwargs = {"kind": "settlements", "public_id": settlement.public_id}
    return [
        reverse("home"),
        reverse("map"),
        reverse("registry-list", kwargs={"kind": "settlements"}),
        reverse("registry-list", kwargs={"kind": "settlements"}) + "?format=csv",
        reverse("registry-detail", kwargs=kwargs),
        reverse("registry-history", kwargs=kwargs),
    ]


def test_every_page_but_login_requires_login(client: Client, places: Places) -> None:
    for url in _pages(places):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_login_page_is_keyboard_ready(client: Client, db: None) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_username"' in html
    assert 'for="id_password"' in html
    assert "autofocus" in html
    assert 'action="/i18n/setlang/"' in html


def test_login_then_logout_by_post(client: Client, mission_user: User) -> None:
    response = client.post(
        reverse("login"), {"username": mission_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    # Logging out is a POST (a GET from a link or image must not sign anyone out).
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused_with_a_clear_error(client: Client, mission_user: User) -> None:
    response = client.post(reverse("login"), {"username": mission_user.username, "password": "x"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_layout_shows_user_party_and_navigation(client: Client, side_a_user: User) -> None:
    client.force_login(side_a_user)
    html = client.get(reverse("home")).content.decode()
    assert "liaison_a" in html
    assert 'class="party-badge party-side_a"' in html
    assert reverse("map") in html
    assert reverse("registry-list", kwargs={"kind": "facilities"}) in html
    assert 'href="/api/v1/docs"' in html
    assert 'action="/accounts/logout/"' in html
    assert "htmx/htmx.min.js" in html
    for code in ("en", "ru", "hy", "az"):
        assert f'<option value="{code}"' in html


def test_admin_link_only_for_administrators(
    client: Client, admin_user: User, mission_user: User, side_a_user: User
) -> None:
    admin_href = 'href="/admin/"'
    client.force_login(admin_user)
    assert admin_href in client.get(reverse("home")).content.decode()
    for user in (mission_user, side_a_user):
        client.force_login(user)
        assert admin_href not in client.get(reverse("home")).content.decode()


def test_home_counts_what_the_party_sees(
    client: Client, places: Places, mission_user: User, side_a_user: User
) -> None:
    client.force_login(mission_user)
    counts = client.get(reverse("home")).context["counts"]
    assert counts["settlements"] == 4
    assert counts["facilities"] == 2
    assert counts["zones"] == 1

    client.force_login(side_a_user)
    response = client.get(reverse("home"))
    counts = response.context["counts"]
    assert counts["settlements"] == 2  # public and side A only
    assert counts["facilities"] == 0
    assert counts["zones"] == 0
    assert reverse("map") in response.content.decode()


def _map_config(client: Client) -> dict[str, object]:
    """The configuration exactly as the browser reads it from the page."""
    response = client.get(reverse("map"))
    assert response.status_code == 200
    match = re.search(
        r'<script id="truce-map-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match
    config: dict[str, object] = json.loads(match.group(1))
    return config


def test_map_page_loads_leaflet_locally_and_names_the_layers(
    client: Client, mission_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUCE_TILE_URL", raising=False)
    client.force_login(mission_user)
    response = client.get(reverse("map"))
    html = response.content.decode()
    assert "/static/leaflet/leaflet.js" in html
    assert "/static/leaflet/leaflet.css" in html
    assert "/static/truce/js/map.js" in html
    assert 'id="truce-map-config"' in html
    config = _map_config(client)
    assert config["layersUrl"] == "/api/v1/layers/"
    assert config["layers"] == [
        "admin-areas",
        "zones",
        "settlements",
        "observation-posts",
        "facilities",
    ]
    assert config["tileUrl"] is None


def test_map_adds_tiles_only_when_configured(
    client: Client, mission_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUCE_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    client.force_login(mission_user)
    assert _map_config(client)["tileUrl"] == "https://tiles.example.org/{z}/{x}/{y}.png"


def test_static_assets_exist(client: Client, mission_user: User) -> None:
    from django.contrib.staticfiles import finders

    for path in (
        "truce/css/truce.css",
        "truce/js/map.js",
        "truce/js/map-style.js",
        "truce/js/minimap.js",
        "truce/js/tabs.js",
        "truce/js/nav.js",
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
        "htmx/htmx.min.js",
    ):
        assert finders.find(path), path


def test_map_script_never_puts_data_into_html() -> None:
    from django.contrib.staticfiles import finders

    for path in ("truce/js/map.js", "truce/js/map-style.js", "truce/js/minimap.js"):
        found = finders.find(path)
        assert isinstance(found, str)
        with open(found, encoding="utf-8") as handle:
            source = handle.read()
        assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", source)
        # Leaflet's string popups and tooltips are HTML; ours are built from DOM nodes.
        assert "bindTooltip(" not in source, path
        assert not re.search(r"bindPopup\(\s*[\"'`]", source), path
