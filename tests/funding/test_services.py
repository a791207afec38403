"""Funding writes: bad input names the field and writes nothing; status moves forward."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.funding.conftest import DAY, Funding
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.funding import selectors, services
from truce.funding.models import Flow, FlowStatusChange, Requirement
from truce.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {
    "donor": "donor-x",
    "recipient": "agency-y",
    "amount": 1000,
    "currency": "USD",
    "status": "pledged",
    "sector": "health",
    "flow_date": DAY,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": -5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"donor": "nobody"}, "donor"),
        ({"recipient": "nobody"}, "recipient"),
        ({"sector": "space"}, "sector"),
        ({"status": "maybe"}, "status"),
        ({"status": "paid", "committed_on": DAY, "paid_on": DAY - dt.timedelta(days=1)}, "paid_on"),
        ({"status": "pledged", "paid_on": DAY}, "paid_on"),
    ],
)
def test_bad_flow_input_names_the_field_and_writes_nothing(
    funding: Funding, change: dict[str, Any], field: str
) -> None:
    flows, entries = Flow.objects.count(), LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.flow_record(actor=None, fields={**GOOD, **change})
    assert caught.value.field == field
    assert Flow.objects.count() == flows and LedgerEntry.objects.count() == entries


def test_a_requirement_may_have_no_amount_but_not_a_bad_one(funding: Funding) -> None:
    assert funding.unknown.amount is None and funding.unknown.currency == ""
    with pytest.raises(InvalidInput) as caught:
        services.requirement_record(
            actor=None,
            fields={"sector": "food", "plan": "p", "amount": -1, "period_start": DAY},
        )
    assert caught.value.field == "amount"
    with pytest.raises(InvalidInput) as caught:
        services.requirement_record(
            actor=None,
            fields={
                "sector": "food",
                "plan": "p",
                "amount": 5,
                "currency": "ABC",
                "period_start": DAY,
            },
        )
    assert caught.value.field == "currency"
    assert Requirement.objects.count() == 2


def test_status_moves_forward_and_back_only_with_a_reason(funding: Funding) -> None:
    flow = funding.usd_flow
    paid = services.flow_status_change(
        actor=None, flow=flow, expected_version=flow.version, status="paid", on=DAY
    )
    assert paid.status == "paid" and paid.paid_on == DAY and paid.version == 2
    with pytest.raises(InvalidInput) as caught:
        services.flow_status_change(
            actor=None, flow=paid, expected_version=paid.version, status="committed", on=DAY
        )
    assert caught.value.field == "reason"
    back = services.flow_status_change(
        actor=None,
        flow=paid,
        expected_version=paid.version,
        status="committed",
        on=DAY,
        reason="the payment bounced",
    )
    assert back.status == "committed" and back.paid_on is None
    steps = list(FlowStatusChange.objects.filter(flow=flow).values_list("status", "reason"))
    assert steps == [("committed", ""), ("paid", ""), ("committed", "the payment bounced")]


def test_paid_before_committed_is_refused(funding: Funding) -> None:
    flow = funding.usd_flow  # committed DAY - 3
    with pytest.raises(InvalidInput) as caught:
        services.flow_status_change(
            actor=None,
            flow=flow,
            expected_version=flow.version,
            status="paid",
            on=DAY - dt.timedelta(days=10),
        )
    assert caught.value.field == "on"
    flow.refresh_from_db()
    assert flow.status == "committed" and flow.version == 1


def test_only_response_staff_write(funding: Funding, side_a_user: User) -> None:
    with pytest.raises(PermissionDenied):
        services.flow_record(actor=side_a_user, fields=GOOD)


def test_coverage_per_currency_without_rates(funding: Funding, admin_user: User) -> None:
    state = selectors.coverage(admin_user, as_of=DAY)
    shelter = next(r for r in state.rows if r.sector == "shelter")
    assert shelter.required.by_currency == {"USD": Decimal(1_000_000)}
    assert shelter.funded.by_currency == {"USD": Decimal(300_000), "EUR": Decimal(100_000)}
    assert shelter.pledged.by_currency == {"USD": Decimal(50_000)}
    assert shelter.coverage_pct is None  # two currencies and no rate: not added up
    social = next(r for r in state.rows if r.sector == "social_assistance")
    assert social.required.unknown_amounts == 1 and social.required.by_currency == {}


def test_coverage_converts_with_the_rate_it_names(funding: Funding, admin_user: User) -> None:
    rate = services.exchange_rate_record(
        actor=None,
        currency="EUR",
        reporting_currency="USD",
        rate="1.2",
        as_of=DAY - dt.timedelta(days=2),
        source="test rate",
    )
    state = selectors.coverage(admin_user, as_of=DAY, reporting_currency="USD")
    shelter = next(r for r in state.rows if r.sector == "shelter")
    assert shelter.funded.converted == Decimal(420_000)
    assert shelter.coverage_pct == pytest.approx(42.0)
    assert state.rates == [rate]
    # Before the rate's day there is no rate: the euros stay unconverted, never guessed.
    early = selectors.coverage(
        admin_user, as_of=DAY - dt.timedelta(days=1 + 2), reporting_currency="USD"
    )
    assert early.total.funded.unconverted == {"EUR": Decimal(100_000)}


def test_another_party_sees_no_flow(funding: Funding, side_a_user: User) -> None:
    assert not selectors.flows_visible_to(side_a_user).exists()
    assert (
        not selectors.requirements_visible_to(side_a_user).exclude(pk=funding.unknown.pk).exists()
    )
    state = selectors.coverage(side_a_user, as_of=DAY)
    assert all(not r.flows for r in state.rows)
