"""The demo's displacement and returns as of 20 Nov 2020, loaded through the services.

The briefing's figures: 4,436 escorted returns to Stepanakert since 14 Nov; about
90,000 displaced to Armenia and about 45,000 from the districts adjacent to the area;
the later briefing's "over 48,000 returns since 14 Nov, whole area". Loaded once for
the module (rolled back at its end); each test runs in a savepoint inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.ledger.models import LedgerEntry
from truce.population.models import DisplacementBaseline, FlowCount, Household, ReturnMovement
from truce.population.selectors import flow_days, households_visible_to, returns_daily

SECTIONS = briefings_sections("population")

SCENARIO = "briefings-2020"
BRIEFING_DAY = dt.date(2020, 11, 20)
LATER_BRIEFING = dt.date(2021, 1, 11)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def test_escorted_returns_to_stepanakert_are_the_briefings_4436(scenario: LoadReport) -> None:
    value = figure_value(
        "returns_escorted_to_stepanakert_since_14_nov",
        FigureQuery(user=user("duty"), as_of=BRIEFING_DAY),
    )
    assert value.value == 4436
    assert list(value.breakdown) == [f"2020-11-{d}" for d in range(14, 21)]
    assert all(r.to_settlement.pcode == "AZ-XA-001" for r in value.records)
    assert value.sources and "4,436" in value.sources[0]


def test_each_party_sees_the_same_4436_returns(scenario: LoadReport) -> None:
    for name in ("liaison-a", "liaison-b", "icrc"):
        value = figure_value(
            "returns_escorted_to_stepanakert_since_14_nov",
            FigureQuery(user=user(name), as_of=BRIEFING_DAY),
        )
        assert value.value == 4436, name


def test_displaced_estimate_is_135000_with_the_two_stated_parts(scenario: LoadReport) -> None:
    value = figure_value(
        "displaced_estimated", FigureQuery(user=user("viewer"), as_of=BRIEFING_DAY)
    )
    assert value.value == 135_000
    assert value.breakdown == {"To Armenia": 90_000, "From districts adjacent to the area": 45_000}
    assert {r.code for r in value.records} == {
        "displaced-to-armenia",
        "displaced-from-adjacent-districts",
    }


def test_baselines_are_not_split_over_settlements(scenario: LoadReport) -> None:
    rows = DisplacementBaseline.objects.filter(measure="displaced")
    assert rows.count() == 2
    assert not rows.filter(origin_settlement__isnull=False).exists()


def test_stated_whole_area_returns_appear_only_from_the_later_briefing(
    scenario: LoadReport,
) -> None:
    before = figure_value("returns_stated_whole_area", FigureQuery(user=None, as_of=BRIEFING_DAY))
    later = figure_value("returns_stated_whole_area", FigureQuery(user=None, as_of=LATER_BRIEFING))
    assert before.value is None
    assert later.value == 48_000
    assert later.records[0].precision == "at_least"
    assert "48,000" in later.sources[0]


def test_corridor_post_inbound_escorted_counts_match_the_daily_returns(
    scenario: LoadReport,
) -> None:
    duty = user("duty")
    returned = dict(returns_daily(duty))
    for code in ("ctp-01", "ctp-02", "ctp-03", "ctp-04"):
        days = flow_days(duty, point=code)
        assert [d.day for d in days] == sorted(returned)
        assert {d.day: d.inbound_escorted for d in days} == returned, code


def test_demo_households_include_returns_with_expected_dates(scenario: LoadReport) -> None:
    rows = Household.objects.all()
    assert rows.count() >= 300
    returning = rows.filter(intention="return", expected_on__isnull=False)
    assert returning.count() > 100
    assert rows.filter(vulnerabilities=[]).count() < rows.count()
    assert all(h.head_name.startswith("Demo ") for h in rows)


def test_side_b_sees_no_household_from_the_demo(scenario: LoadReport) -> None:
    assert households_visible_to(user("liaison-b")).count() == 0
    assert households_visible_to(user("viewer")).count() == 0
    assert households_visible_to(user("unhcr")).count() == Household.objects.count()


def test_second_load_writes_nothing(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    counts = [m.objects.count() for m in (DisplacementBaseline, FlowCount, ReturnMovement)]
    again = load_scenario(SCENARIO, demo_passwords=True, only=SECTIONS)
    assert LedgerEntry.objects.count() == before
    assert again.created == again.updated == 0
    assert [m.objects.count() for m in (DisplacementBaseline, FlowCount, ReturnMovement)] == counts


def test_the_figures_api_and_page_state_the_briefing_values(scenario: LoadReport) -> None:
    from django.test import Client

    from tests.core.api_client import Api

    api = Api(user("liaison-b"))
    returns = api.get("/figures/returns_escorted_to_stepanakert_since_14_nov", as_of="2020-11-20")
    assert returns.status_code == 200 and returns.json()["value"] == 4436
    assert (
        len(returns.json()["records"])
        == ReturnMovement.objects.filter(to_settlement__pcode="AZ-XA-001").count()
    )
    displaced = api.get("/figures/displaced_estimated", as_of="2020-11-20").json()
    assert displaced["value"] == 135_000 and displaced["breakdown"]["To Armenia"] == 90_000
    client = Client()
    client.force_login(user("viewer"))
    page = client.get("/figures/displaced_estimated/")
    assert page.status_code == 200 and "90000" in page.content.decode().replace(",", "")
    # Movements are shared with the sides and the agencies, not the public.
    assert 'data-destination="AZ-XA-001"' not in client.get("/population/").content.decode()
    client.force_login(user("liaison-b"))
    overview = client.get("/population/").content.decode()
    assert 'data-figure="returns_escorted_to_stepanakert_since_14_nov"' in overview
    assert 'data-destination="AZ-XA-001"' in overview and "4436" in overview
