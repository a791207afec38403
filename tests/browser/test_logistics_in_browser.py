"""Stock movements in a real browser, from the keyboard only: receive, then a refused dispatch."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.logistics import services
from truce.logistics.models import StockLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def depot_server(parties: dict[str, Any], live_server: Any) -> Any:
    core_services.facility_create(
        actor=None,
        fields={
            "code": "wh-k",
            "name": "Keyboard depot",
            "kind": "warehouse",
            "geometry": {"type": "Point", "coordinates": [46.7, 39.8]},
        },
        visibility=["agencies"],
    )
    services.warehouse_record(actor=None, facility="wh-k", fields={"capacity_t": 100})
    services.item_create(
        actor=None,
        fields={
            "code": "cement",
            "name": "Cement",
            "category": "construction_materials",
            "unit": "t",
            "unit_weight_kg": 1000,
        },
    )
    core_services.user_create(
        actor=None,
        username="aid",
        party=parties["agencies"],
        roles=["agency_staff"],
        password=PASSWORD,
    )
    return live_server


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill("aid")
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_receive_and_refused_dispatch_from_the_keyboard(depot_server: Any, page: Any) -> None:
    base = depot_server.url
    _login(page, base)
    page.goto(f"{base}/logistics/warehouses/wh-k/?op=receive")
    # The operation has the focus; every field is reached with Tab and has its label.
    assert page.evaluate("document.activeElement.name") == "operation"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "item"
    page.keyboard.press("Tab")
    page.keyboard.type("12")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When (UTC)").fill(when)
    page.get_by_label("Quantity").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/logistics/warehouses/wh-k/")
    assert "The stock movement is recorded." in page.content()
    assert StockLevel.objects.get().quantity == 12

    page.goto(f"{base}/logistics/warehouses/wh-k/?op=dispatch")
    page.get_by_label("Quantity").fill("13")
    page.get_by_label("When (UTC)").fill(when)
    page.get_by_label("Quantity").press("Enter")
    page.wait_for_load_state()
    assert "holds 12" in page.content()
    assert StockLevel.objects.get().quantity == 12
