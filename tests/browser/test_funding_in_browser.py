"""The funding flow form in a real browser, from the keyboard alone, and its status change."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.funding.models import Flow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def funding_site(parties: dict[str, Any], live_server: Any) -> Any:
    for code in ("donor-k", "agency-k"):
        core_services.organisation_create(
            actor=None,
            fields={"code": code, "name": code.upper(), "party": parties["agencies"]},
            visibility=["public"],
        )
    core_services.user_create(
        actor=None,
        username="analyst",
        party=parties["mission"],
        roles=["analyst"],
        password=PASSWORD,
    )
    return live_server


def test_a_flow_is_recorded_and_paid_from_the_keyboard(funding_site: Any, page: Any) -> None:
    base = funding_site.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill("analyst")
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/funding/flows/new/")
    page.get_by_label("Donor").focus()
    page.keyboard.type("DONOR-K")  # a select follows typed text
    page.keyboard.press("Tab")
    page.keyboard.type("AGENCY-K")
    page.keyboard.press("Tab")
    page.keyboard.type("2500")
    page.keyboard.press("Tab")
    page.keyboard.type("usd")
    page.get_by_label("Sector").select_option("health")
    page.get_by_label("Date").fill("2020-11-18")
    page.get_by_label("Date").press("Enter")
    page.wait_for_url(re.compile(r"/funding/flows/[0-9a-f-]{36}/$"))
    flow = Flow.objects.get()
    assert (flow.donor.code, flow.recipient.code, flow.currency) == ("donor-k", "agency-k", "USD")
    page.get_by_label("New status", exact=True).select_option("paid")
    page.get_by_label("Day of the new status").fill("2020-11-19")
    page.get_by_role("button", name="Change the status").press("Enter")
    page.wait_for_url(re.compile(r"/funding/flows/[0-9a-f-]{36}/$"))
    assert "Paid" in page.locator(".status-history").inner_text()
