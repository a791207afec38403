"""Bad input: a clear error naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.population.conftest import HOUSEHOLD, Corridor, movement
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.population import services
from truce.population.models import FlowCount, Household, ReturnMovement


def written() -> tuple[int, int, int, int]:
    return (
        LedgerEntry.objects.count(),
        Household.objects.count(),
        ReturnMovement.objects.count(),
        FlowCount.objects.count(),
    )


@pytest.mark.parametrize("size", [0, -1, "none", None])
def test_a_household_of_fewer_than_one_person_is_refused_naming_size(
    corridor: Corridor, size: Any
) -> None:
    before = written()
    with pytest.raises(InvalidInput) as caught:
        services.household_register(actor=None, data={**HOUSEHOLD, "size": size})
    assert caught.value.field == "size"
    assert written() == before


@pytest.mark.parametrize("destination", ["AZ-XX-999", "9b1f7d2e-0000-4000-8000-000000000000"])
def test_a_return_to_an_unknown_settlement_is_refused_naming_to_settlement(
    corridor: Corridor, readers: dict[str, User], destination: str
) -> None:
    before = written()
    with pytest.raises(InvalidInput) as caught:
        services.return_movement_create(
            actor=readers["duty_officer"],
            data={
                "reference": "r-bad",
                "date": "2020-11-15",
                "from_settlement": "AM-SU-001",
                "to_settlement": destination,
                "people": 10,
            },
        )
    assert caught.value.field == "to_settlement"
    assert "unknown settlement" in caught.value.message
    assert written() == before


def test_a_return_without_a_destination_names_to_settlement(corridor: Corridor) -> None:
    with pytest.raises(InvalidInput) as caught:
        movement(corridor, to_settlement=None)
    assert caught.value.field == "to_settlement"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"people": 0}, "people"),
        ({"date": "20-11-2020"}, "date"),
        ({"date": "2999-01-01"}, "date"),
        ({"checkpoint": "wh-1"}, "checkpoint"),
        ({"checkpoint": "nowhere"}, "checkpoint"),
        ({"from_settlement": None}, "from_settlement"),
        ({"reference": ""}, "reference"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_return_movement_bad_fields_are_named(
    corridor: Corridor, changes: dict[str, Any], field: str
) -> None:
    before = written()
    with pytest.raises(InvalidInput) as caught:
        movement(corridor, **changes)
    assert caught.value.field == field
    assert written() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vulnerabilities": ["brave"]}, "vulnerabilities"),
        ({"origin_settlement": "AZ-XX-999"}, "origin_settlement"),
        ({"origin_settlement": None}, "origin_settlement"),
        ({"intention": "emigrate"}, "intention"),
        ({"intention": "stay", "intended_settlement": "AZ-XA-001"}, "intended_settlement"),
        ({"members": [{"name": "a"}] * 5}, "members"),
        ({"members": [{"name": "a", "sex": "x"}]}, "members"),
        ({"expected_on": "soon"}, "expected_on"),
        ({"code": ""}, "code"),
    ],
)
def test_household_bad_fields_are_named(
    corridor: Corridor, changes: dict[str, Any], field: str
) -> None:
    before = written()
    with pytest.raises(InvalidInput) as caught:
        services.household_register(actor=None, data={**HOUSEHOLD, **changes})
    assert caught.value.field == field
    assert written() == before


def test_a_household_is_not_shared_with_a_side_unless_explicitly_allowed(
    corridor: Corridor,
) -> None:
    before = written()
    with pytest.raises(PermissionDenied) as caught:
        services.household_register(actor=None, data=HOUSEHOLD, visibility=["side_b"])
    assert caught.value.field == "visibility"
    with pytest.raises(InvalidInput):
        services.household_register(
            actor=None, data=HOUSEHOLD, visibility=["public"], allow_party_sharing=True
        )
    assert written() == before


def test_a_household_defaults_to_the_mission_and_the_agencies(corridor: Corridor) -> None:
    row = services.household_register(actor=None, data=HOUSEHOLD)
    assert row.visibility == ["mission", "agencies"]


def test_a_return_intention_goes_home_unless_the_survey_says_where(corridor: Corridor) -> None:
    data = {**HOUSEHOLD}
    data.pop("expected_on")
    row = services.household_register(actor=None, data=data)
    assert row.intended_settlement == corridor.stepanakert


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"point": "wh-1"}, "point"),
        ({"point": "cp-nowhere"}, "point"),
        ({"direction": "sideways"}, "direction"),
        ({"people": -3}, "people"),
        ({"day": None}, "day"),
        ({"escorted": "perhaps"}, "escorted"),
    ],
)
def test_flow_count_bad_fields_are_named(
    corridor: Corridor, changes: dict[str, Any], field: str
) -> None:
    data: dict[str, Any] = {
        "point": "ctp-01",
        "day": "2020-11-15",
        "direction": "inbound",
        "escorted": True,
        "people": 10,
        **changes,
    }
    before = written()
    with pytest.raises(InvalidInput) as caught:
        services.flow_count_record(actor=None, **data)
    assert caught.value.field == field
    assert written() == before


def test_side_and_public_users_may_not_record_population_data(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    for name in ("side_a", "side_b", "viewer", "analyst"):
        with pytest.raises(PermissionDenied):
            services.return_movement_create(
                actor=readers[name],
                data={"reference": "r", "date": "2020-11-14", "to_settlement": "AZ-XA-001"},
            )
    for name in ("side_b", "viewer", "op_operator"):
        with pytest.raises(PermissionDenied):
            services.household_register(actor=readers[name], data=HOUSEHOLD)
