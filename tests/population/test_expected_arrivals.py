"""Expected arrivals from the intentions survey (what the shelter gap reads)."""

from __future__ import annotations

import datetime as dt

from tests.population.conftest import HOUSEHOLD, Corridor
from truce.core.models import User
from truce.population.selectors import expected_arrivals
from truce.population.services import household_register


def test_arrivals_group_returning_households_by_place_and_day(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    household_register(actor=None, data=HOUSEHOLD)
    household_register(
        actor=None, data={**HOUSEHOLD, "code": "hh-2", "size": 2, "vulnerabilities": []}
    )
    household_register(
        actor=None, data={**HOUSEHOLD, "code": "hh-3", "intention": "stay", "expected_on": None}
    )
    (arrival,) = expected_arrivals(readers["analyst"])
    assert arrival.day == dt.date(2020, 11, 25)
    assert arrival.settlement.pcode == "AZ-XA-001"
    assert (arrival.households, arrival.people, arrival.vulnerable_households) == (2, 6, 1)
    assert expected_arrivals(readers["analyst"], since=dt.date(2020, 11, 26)) == []


def test_a_party_expects_no_arrivals_it_may_not_see(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    household_register(actor=None, data=HOUSEHOLD)
    assert expected_arrivals(readers["side_b"]) == []
    assert expected_arrivals(readers["viewer"]) == []
