"""The allocation page and the shelter map in a real browser (Playwright, Debian Chromium).

The run is started from the keyboard (Enter in the form): HTMX posts it and swaps the
result in without a page load. Screenshots go to artefacts/browser/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import browser, page, shot  # noqa: F401 - the browser fixtures
from tests.conftest import PASSWORD
from tests.shelter.conftest import DAY, World
from truce.core.models import User
from truce.shelter.models import AllocationRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, world: World, mission_user: User) -> Any:
    return live_server


def _login(page: Any, base: str, username: str) -> None:  # noqa: F811 - the fixture's name
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_the_allocation_runs_from_the_keyboard_and_shows_each_reason(
    site: Any,
    page: Any,  # noqa: F811
    shot: Any,  # noqa: F811
) -> None:
    _login(page, site.url, "duty")
    page.goto(f"{site.url}/shelter/allocation/")
    page.fill("#id_as_of", DAY.isoformat())
    page.focus("#id_horizon_days")
    page.keyboard.press("Enter")
    page.wait_for_selector("#run-summary")
    rows = page.locator("#placement-table tbody tr")
    assert rows.count() == 4
    assert page.locator("#placement-table", has_text="Vulnerable household, placed first.").count()
    assert AllocationRun.objects.count() == 1
    shot(page, "shelter-allocation")


def test_the_shelter_map_draws_one_circle_per_visible_shelter(
    site: Any,
    page: Any,  # noqa: F811
    shot: Any,  # noqa: F811
) -> None:
    _login(page, site.url, "duty")
    page.goto(f"{site.url}/shelter/map/")
    page.wait_for_selector("#shelter-map path.leaflet-interactive")
    circles = page.locator("#shelter-map path.leaflet-interactive")
    assert circles.count() == 3
    shot(page, "shelter-map")
