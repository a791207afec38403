"""Funding figures: computed from the records the reader may see, each listing them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from tests.core.api_client import Api, error_of
from tests.funding.conftest import DAY, Funding
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.funding import services

pytestmark = pytest.mark.django_db


def test_per_currency_without_a_rate(funding: Funding, admin_user: User) -> None:
    funded = figure_value("funding_funded", FigureQuery(user=admin_user, as_of=DAY))
    assert funded.value is None  # USD and EUR: not added up without a rate
    assert funded.breakdown == {"EUR": 100_000.0, "USD": 300_000.0}
    # The pledge is not funding: it is not among the records behind the figure.
    assert {f.pk for f in funded.records} == {funding.usd_flow.pk, funding.eur_flow.pk}


def test_in_the_reporting_currency_with_the_rate_named(funding: Funding, admin_user: User) -> None:
    rate = services.exchange_rate_record(
        actor=None, currency="EUR", reporting_currency="USD", rate=2, as_of=DAY, source="r"
    )
    query = FigureQuery(user=admin_user, as_of=DAY)
    assert figure_value("funding_funded", query).value == 500_000.0
    assert figure_value("funding_required", query).value == 1_000_000.0
    with translation.override("en"):
        pct = figure_value("funding_coverage_pct", query)
    assert pct.value == 50.0 and rate in pct.records
    assert pct.breakdown == {"Shelter and housing": 50.0}


def test_another_party_counts_nothing_it_may_not_see(funding: Funding, side_a_user: User) -> None:
    query = FigureQuery(user=side_a_user, as_of=DAY + dt.timedelta(days=1))
    funded = figure_value("funding_funded", query)
    assert funded.value is None and funded.records == [] and funded.breakdown == {}
    required = figure_value("funding_required", query)
    assert [r.pk for r in required.records] == [funding.unknown.pk]  # the public request only


def test_a_requirement_through_the_api(funding: Funding, admin_user: User) -> None:
    api = Api(admin_user)
    body = {"sector": "food", "plan": "Appeal", "period_start": DAY.isoformat()}
    made = api.post("/funding/requirements/", body)
    assert made.status_code == 201 and made.json()["amount"] is None
    bad = api.post("/funding/requirements/", {**body, "amount": "-3", "currency": "USD"})
    assert bad.status_code == 422 and error_of(bad)["field"] == "amount"
    unknown = api.post("/funding/requirements/", {**body, "sector": "moon"})
    assert unknown.status_code == 422 and error_of(unknown)["field"] == "sector"
    org = api.post("/funding/requirements/", {**body, "requested_by": "nobody"})
    assert org.status_code == 422 and error_of(org)["field"] == "requested_by"
