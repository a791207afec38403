"""Funding fixtures: organisations of two parties and flows of several visibilities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from truce.core import services as core_services
from truce.core.models import Organisation, Party
from truce.funding import services
from truce.funding.models import Flow, Requirement

DAY = dt.date(2020, 11, 20)


@dataclass
class Funding:
    donor: Organisation
    agency: Organisation
    requirement: Requirement  # shelter, 1,000,000 USD, agencies
    unknown: Requirement  # social assistance, no amount, public
    usd_flow: Flow  # committed 300,000 USD, agencies
    eur_flow: Flow  # paid 100,000 EUR, agencies
    mission_flow: Flow  # pledged 50,000 USD, mission only


def org(parties: dict[str, Party], code: str) -> Organisation:
    return core_services.organisation_create(
        actor=None,
        fields={"code": code, "name": code.upper(), "party": parties["agencies"], "kind": "agency"},
        visibility=["public"],
    )


@pytest.fixture
def funding(parties: dict[str, Party]) -> Funding:
    donor, agency = org(parties, "donor-x"), org(parties, "agency-y")
    requirement = services.requirement_record(
        actor=None,
        fields={
            "sector": "shelter",
            "plan": "Test appeal",
            "amount": 1_000_000,
            "currency": "USD",
            "period_start": DAY - dt.timedelta(days=5),
            "source": "test",
        },
    )
    unknown = services.requirement_record(
        actor=None,
        fields={
            "sector": "social_assistance",
            "plan": "Request without an amount",
            "period_start": DAY,
            "source": "briefing",
        },
        visibility=["public"],
    )

    def flow(
        amount: int, currency: str, status: str, visibility: list[str], **days: object
    ) -> Flow:
        return services.flow_record(
            actor=None,
            fields={
                "donor": "donor-x",
                "recipient": "agency-y",
                "amount": amount,
                "currency": currency,
                "status": status,
                "sector": "shelter",
                "flow_date": DAY - dt.timedelta(days=3),
                "source": "test",
                **days,
            },
            visibility=visibility,
        )

    return Funding(
        donor=donor,
        agency=agency,
        requirement=requirement,
        unknown=unknown,
        usd_flow=flow(300_000, "USD", "committed", ["agencies"]),
        eur_flow=flow(
            100_000,
            "EUR",
            "paid",
            ["agencies"],
            committed_on=DAY - dt.timedelta(days=3),
            paid_on=DAY - dt.timedelta(days=1),
        ),
        mission_flow=flow(50_000, "USD", "pledged", []),
    )
