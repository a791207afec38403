"""The demo's funding: the briefing's request kept without an amount, illustrations labelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.funding.models import Flow, Requirement
from truce.funding.selectors import coverage

SECTIONS = briefings_sections("funding")
BRIEFING_DAY = dt.date(2020, 11, 20)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def test_the_briefings_request_has_its_source_and_no_amount(scenario: LoadReport) -> None:
    request = Requirement.objects.get(sector="social_assistance")
    assert request.amount is None and request.currency == ""
    assert "B1, lines 106-108" in request.source
    # Everything else is an illustration and says so.
    others = Requirement.objects.exclude(pk=request.pk)
    assert others.exists() and all("Scenario assumption" in r.source for r in others)
    assert all("Scenario assumption" in f.source for f in Flow.objects.all())


def test_coverage_converts_with_the_recorded_rate(scenario: LoadReport) -> None:
    state = coverage(user("analyst"), as_of=BRIEFING_DAY, reporting_currency="USD")
    shelter = next(r for r in state.rows if r.sector == "shelter")
    assert shelter.required.converted == Decimal(2_000_000)
    assert shelter.funded.converted == Decimal(800_000)  # the EUR flow is only pledged
    assert shelter.pledged.converted == Decimal("177840.00")  # 150,000 EUR at 1.1856
    assert [r.currency for r in state.rates] == ["EUR"]
    funded = figure_value("funding_funded", FigureQuery(user=user("analyst"), as_of=BRIEFING_DAY))
    assert funded.value == float(
        sum(f.amount for f in funded.records if isinstance(f, Flow) and f.status != "pledged")
    )
    assert funded.records


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    again = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    for section in again.sections:
        if section.type.startswith("funding."):
            assert section.created == 0 and section.updated == 0, section.type


def test_the_screens_show_the_demo(scenario: LoadReport) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user("analyst"))
    html = client.get(
        reverse("funding:overview"), {"as_of": "2020-11-20", "reporting_currency": "USD"}
    ).content.decode()
    assert "1 EUR = 1.1856 USD" in html and "<svg" in html
    assert "1 requirement without a stated amount" in html
    assert 'href="/funding/"' in html and 'href="/deployment/"' in html  # the Response menu
    viewer = Client()
    viewer.force_login(user("liaison-a"))
    hidden = viewer.get(reverse("funding:overview"), {"as_of": "2020-11-20"}).content.decode()
    assert "2000000" not in hidden and "B1, lines 106-108" in hidden
