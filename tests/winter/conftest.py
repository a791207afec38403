"""Winter fixtures: a settlement everyone sees, reports and needs of several visibilities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import PASSWORD, Places
from truce.core import services as core_services
from truce.core.models import Party, User
from truce.winter import services
from truce.winter.models import SupplyNeed, UtilityReport

DAY = dt.date(2020, 11, 20)


@dataclass
class Winter:
    agencies_report: UtilityReport  # public settlement, heat, shared with agencies
    side_b_report: UtilityReport  # public settlement, power, shared with side B
    side_a_report: UtilityReport  # public settlement, water, shared with side A only
    medical_need: SupplyNeed  # agencies
    side_a_need: SupplyNeed  # side A only


def report(
    place: object, utility: str, state: str, since: dt.date, visibility: list[str]
) -> UtilityReport:
    return services.utility_report_record(
        actor=None,
        settlement=place,  # type: ignore[arg-type]
        utility=utility,
        fields={"state": state, "since": since, "source": "test"},
        visibility=visibility,
    )


@pytest.fixture
def winter(places: Places) -> Winter:
    town = places.public_settlement
    return Winter(
        agencies_report=report(town, "heat", "out", DAY - dt.timedelta(days=10), ["agencies"]),
        side_b_report=report(town, "power", "partial", DAY - dt.timedelta(days=5), ["side_b"]),
        side_a_report=report(town, "water", "working", DAY - dt.timedelta(days=3), ["side_a"]),
        medical_need=services.need_record(
            actor=None,
            settlement=town,
            fields={
                "category": "medicines",
                "item": "Insulin",
                "quantity": 200,
                "unit": "doses",
                "stated_on": DAY,
            },
            visibility=["agencies"],
        ),
        side_a_need=services.need_record(
            actor=None,
            settlement=town,
            fields={
                "category": "fuel",
                "item": "Firewood",
                "quantity": 1000,
                "unit": "kg",
                "stated_on": DAY,
            },
            visibility=["side_a"],
        ),
    )


@pytest.fixture
def analyst(parties: dict[str, Party]) -> User:
    return core_services.user_create(
        actor=None,
        username="analyst",
        party=parties["mission"],
        roles=["analyst"],
        password=PASSWORD,
    )


@pytest.fixture
def viewer(parties: dict[str, Party]) -> User:
    return core_services.user_create(
        actor=None, username="viewer", party=parties["public"], roles=["viewer"], password=PASSWORD
    )
