"""Population fixtures: places on the corridor, readers of every role, sample records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from truce.core import services as core
from truce.core.models import Facility, Party, Settlement, User
from truce.population import services
from truce.population.models import Household, ReturnMovement

PASSWORD = "correct-horse-battery-staple"


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


@dataclass
class Corridor:
    stepanakert: Settlement
    goris: Settlement
    hidden_village: Settlement  # mission-only: unknown to the parties
    post: Facility  # corridor traffic post shared with both sides and the agencies
    mission_checkpoint: Facility  # mission only
    warehouse: Facility  # not a monitoring point


@pytest.fixture
def corridor(parties: dict[str, Party]) -> Corridor:
    def settlement(pcode: str, name: str, lon: float, visibility: list[str]) -> Settlement:
        return core.settlement_create(
            actor=None,
            fields={"pcode": pcode, "display_name": name, "geometry": _point(lon, 39.8)},
            visibility=visibility,
        )

    core.zone_create(
        actor=None,
        fields={
            "code": "south",
            "name": "Southern zone",
            "kind": "responsibility",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[46, 39], [47, 39], [47, 40], [46, 40], [46, 39]]],
            },
        },
        visibility=["public"],
    )

    def facility(code: str, kind: str, role: str, visibility: list[str]) -> Facility:
        fields: dict[str, Any] = {
            "code": code,
            "name": code.upper(),
            "kind": kind,
            "geometry": _point(46.6, 39.7),
        }
        if role:
            fields.update(op_role=role, battalion="2nd battalion", zone="south")
        return core.facility_create(actor=None, fields=fields, visibility=visibility)

    return Corridor(
        stepanakert=settlement("AZ-XA-001", "Stepanakert", 46.75, ["public"]),
        goris=settlement("AM-SU-001", "Goris", 46.34, ["public"]),
        hidden_village=settlement("T-HID", "Hiddenvale", 46.9, ["mission"]),
        post=facility("ctp-01", "observation_post", "corridor_traffic", ["both_sides", "agencies"]),
        mission_checkpoint=facility("cp-m", "checkpoint", "", ["mission"]),
        warehouse=facility("wh-1", "warehouse", "", ["public"]),
    )


def make_user(parties: dict[str, Party], username: str, scope: str, *roles: str) -> User:
    return core.user_create(
        actor=None, username=username, party=parties[scope], roles=roles, password=PASSWORD
    )


@pytest.fixture
def readers(parties: dict[str, Party]) -> dict[str, User]:
    """One reader per role that matters to redaction, keyed by what they are."""
    return {
        "administrator": make_user(parties, "p-admin", "mission", "administrator"),
        "duty_officer": make_user(parties, "p-duty", "mission", "duty_officer"),
        "op_operator": make_user(parties, "p-operator", "mission", "op_operator"),
        "analyst": make_user(parties, "p-analyst", "mission", "analyst"),
        "agency_staff": make_user(parties, "p-unhcr", "agencies", "agency_staff"),
        "side_a": make_user(parties, "p-liaison-a", "side_a", "liaison_officer"),
        "side_b": make_user(parties, "p-liaison-b", "side_b", "liaison_officer"),
        "side_b_admin_role": make_user(parties, "p-b-admin", "side_b", "administrator"),
        "viewer": make_user(parties, "p-viewer", "public", "viewer"),
    }


HOUSEHOLD: dict[str, Any] = {
    "code": "hh-test-1",
    "size": 4,
    "vulnerabilities": ["older_person", "disability"],
    "origin_settlement": "AZ-XA-001",
    "current_settlement": "AM-SU-001",
    "intention": "return",
    "expected_on": "2020-11-25",
    "registered_on": "2020-11-18",
    "head_name": "Demo Head One",
    "phone": "+000 00 000111",
    "document_number": "DEMO-111",
    "members": [
        {"name": "Demo Head One", "sex": "female", "birth_year": 1950},
        {"name": "Demo Child One", "sex": "male", "birth_year": 2010},
    ],
    "protection_notes": "Demo note: needs a wheelchair.",
}


@pytest.fixture
def household(corridor: Corridor) -> Household:
    return services.household_register(actor=None, data=HOUSEHOLD)


@pytest.fixture
def shared_household(corridor: Corridor) -> Household:
    """A household explicitly shared with side B: still no personal data for side B."""
    return services.household_register(
        actor=None,
        data={**HOUSEHOLD, "code": "hh-shared-b"},
        visibility=["agencies", "side_b"],
        allow_party_sharing=True,
    )


def movement(corridor: Corridor, **changes: Any) -> ReturnMovement:
    data: dict[str, Any] = {
        "reference": "r-test-1",
        "date": dt.date(2020, 11, 14),
        "from_settlement": "AM-SU-001",
        "to_settlement": "AZ-XA-001",
        "people": 120,
        "vehicles": 3,
        "escort": "2nd Battalion",
        "checkpoint": "ctp-01",
        "source": "test",
        **changes,
    }
    visibility = data.pop("visibility", ["both_sides", "agencies"])
    return services.return_movement_create(actor=None, data=data, visibility=visibility)
