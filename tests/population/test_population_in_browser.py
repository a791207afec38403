"""The population overview map and the household registration form in a real browser.

Screenshots go to artefacts/browser/.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.browser.conftest import browser, page, shot  # noqa: F401  (the browser fixtures)
from tests.population.conftest import PASSWORD, Corridor, movement
from truce.core.models import User
from truce.population.models import Household
from truce.population.services import flow_count_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Any, base: str, username: str) -> None:  # noqa: F811
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill(username)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_overview_draws_return_circles_and_the_flow_chart(
    live_server: Any,
    page: Any,  # noqa: F811
    shot: Any,  # noqa: F811
    corridor: Corridor,
    readers: dict[str, User],
) -> None:
    movement(corridor)
    flow_count_record(
        actor=None,
        point="ctp-01",
        day=dt.date(2020, 11, 14),
        direction="inbound",
        escorted=True,
        people=120,
        visibility=["both_sides", "agencies"],
    )
    _login(page, live_server.url, readers["side_b"].username)
    page.goto(f"{live_server.url}/population/")
    page.locator("#population-map path.leaflet-interactive").first.wait_for()
    assert page.locator(".flow-chart svg rect.bar-escorted").count() == 1
    shot(page, "40-population-overview")


def test_a_household_is_registered_with_the_keyboard_and_errors_sit_by_the_field(
    live_server: Any,
    page: Any,  # noqa: F811
    shot: Any,  # noqa: F811
    corridor: Corridor,
    readers: dict[str, User],
) -> None:
    _login(page, live_server.url, readers["agency_staff"].username)
    page.goto(f"{live_server.url}/population/households/new/")
    page.fill("#id_code", "hh-browser-1")
    page.keyboard.press("Tab")
    page.keyboard.type("0")  # size: fewer than one person
    page.fill("#id_origin_settlement", "AZ-XA-001")
    page.select_option("#id_intention", "return")
    page.fill("#id_registered_on", "2020-11-19")
    page.fill("#id_head_name", "Demo Browser Head")
    page.locator("#id_registered_on").press("Enter")
    page.locator("#id_size_error").wait_for()
    shot(page, "41-household-size-error")
    assert not Household.objects.exists()
    page.fill("#id_size", "3")
    page.locator("#id_size").press("Enter")
    page.wait_for_url(re.compile(r"/population/households/[0-9a-f-]+/$"))
    assert page.locator("[data-field=head_name]").inner_text() == "Demo Browser Head"
    assert Household.objects.get().size == 3
