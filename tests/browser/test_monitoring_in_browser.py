"""The phone observation form over a failing link, and the incident map, in a real browser.

The API is made to fail by intercepting the browser's requests: the form must
keep the observation, retry it under the same client UUID, and the server
must store it once. Screenshots go to artefacts/browser/.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, Places
from truce.core.models import User
from truce.monitoring.models import Observation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API = "**/api/v1/monitoring/observations"


@pytest.fixture
def site(live_server: Any, places: Places, mission_user: User) -> Any:
    return live_server


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def _fill(page: Any, text: str) -> None:
    page.select_option("#id_observer_post", "op-n1")
    page.select_option("#id_type", "muzzle_flash")
    page.fill("#id_count", "2")
    page.locator("summary", has_text=re.compile("Bearing", re.I)).click()
    page.fill("#id_bearing_deg", "80")
    page.fill("#id_distance_m", "1500")
    page.fill("#id_text", text)


def _uuids(bodies: list[str]) -> list[str]:
    return [json.loads(body)["client_uuid"] for body in bodies]


def test_a_dropped_link_is_retried_with_the_same_uuid(site, page, shot, mission_user) -> None:
    sent: list[str] = []

    def flaky(route: Any) -> None:
        sent.append(route.request.post_data)
        if len(sent) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    _login(page, site.url, mission_user.username)
    page.route(API, flaky)
    page.goto(f"{site.url}/monitoring/observe/")
    form_uuid = page.input_value("input[name=client_uuid]")
    _fill(page, "flashes, link dropping")
    page.get_by_role("button", name=re.compile("Send observation", re.I)).click()

    page.locator(".outbox-sent-item").first.wait_for()
    shot(page, "20-observe-sent-after-retry")
    assert len(sent) == 2
    assert _uuids(sent) == [form_uuid, form_uuid]
    assert Observation.objects.filter(client_uuid=form_uuid).count() == 1
    assert Observation.objects.count() == 1
    # The form is ready for the next observation under a new UUID.
    assert page.input_value("input[name=client_uuid]") != form_uuid
    assert page.locator("[data-outbox-list] li").count() == 0


def test_the_outbox_survives_a_reload(site, page, shot, mission_user) -> None:
    sent: list[str] = []

    def offline(route: Any) -> None:
        sent.append(route.request.post_data)
        route.abort("internetdisconnected")

    _login(page, site.url, mission_user.username)
    page.route(API, offline)
    page.goto(f"{site.url}/monitoring/observe/")
    form_uuid = page.input_value("input[name=client_uuid]")
    _fill(page, "flashes, no link at all")
    page.get_by_role("button", name=re.compile("Send observation", re.I)).click()
    page.locator("[data-outbox-list] li[data-state=retrying]").wait_for()
    shot(page, "21-observe-outbox-retrying")
    stored = page.evaluate("localStorage.getItem('truce.monitoring.outbox.v1')")
    assert form_uuid in stored
    assert not Observation.objects.exists()

    # The link comes back; the operator reloads the page: the outbox goes out.
    page.unroute(API)
    page.reload()
    page.locator(".outbox-sent-item").first.wait_for()
    assert set(_uuids(sent)) == {form_uuid}
    assert Observation.objects.filter(client_uuid=form_uuid).count() == 1
    assert page.evaluate("localStorage.getItem('truce.monitoring.outbox.v1')") == "[]"


def test_the_incident_map_shows_todays_incident(site, page, shot, mission_user) -> None:
    _login(page, site.url, mission_user.username)
    page.goto(f"{site.url}/monitoring/observe/")
    _fill(page, "for the map")
    page.get_by_role("button", name=re.compile("Send observation", re.I)).click()
    page.locator(".outbox-sent-item").first.wait_for()
    incident = Observation.objects.get().incident
    assert incident is not None

    page.goto(f"{site.url}/monitoring/incidents/map/")
    page.wait_for_selector("#incident-map[data-loaded=true]")
    assert page.get_attribute("#incident-map", "data-incidents") == "1"
    marker = page.locator("path.truce-incident")
    assert marker.count() == 1
    shot(page, "22-incident-map")
    marker.first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert incident.reference in popup.inner_text()
    link = popup.get_by_role("link")
    assert link.get_attribute("href").endswith(f"/monitoring/incidents/{incident.public_id}/")

    # A filter redraws the map without a reload and lands in the address bar.
    page.select_option("#id_status", "dismissed")
    page.wait_for_function("document.getElementById('incident-map').dataset.incidents === '0'")
    assert "status=dismissed" in page.url
    shot(page, "23-incident-map-filtered")
