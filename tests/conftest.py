"""Shared fixtures: the five parties, one user per kind of reader, and sample places.

Isolation tests use `side_a_user` against records of side B and the mission:
the other party must see nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection

from truce.core import services
from truce.core.models import Facility, Party, Settlement, User, Zone

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _ledger_flushable_after_transactional_tests(request: pytest.FixtureRequest):
    """Transactional test cases end by emptying every table, which the ledger's
    append-only triggers refuse: lift them for that moment only."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        yield
        return
    from truce.ledger import triggers

    request.getfixturevalue("transactional_db")
    triggers.install(connection)
    yield
    triggers.remove(connection)


@pytest.fixture
def parties(db: None) -> dict[str, Party]:
    rows = [
        ("mission", "Mediating mission", "mission"),
        ("side-a", "Side A", "side_a"),
        ("side-b", "Side B", "side_b"),
        ("agencies", "Humanitarian agencies", "agencies"),
        ("public", "Public", "public"),
    ]
    return {
        scope: services.party_create(actor=None, code=code, name=name, scope=scope)
        for code, name, scope in rows
    }


def _user(parties: dict[str, Party], username: str, scope: str, *roles: str) -> User:
    return services.user_create(
        actor=None, username=username, party=parties[scope], roles=roles, password=PASSWORD
    )


@pytest.fixture
def admin_user(parties: dict[str, Party]) -> User:
    return _user(parties, "admin", "mission", "administrator")


@pytest.fixture
def mission_user(parties: dict[str, Party]) -> User:
    return _user(parties, "duty", "mission", "duty_officer")


@pytest.fixture
def side_a_user(parties: dict[str, Party]) -> User:
    return _user(parties, "liaison_a", "side_a", "liaison_officer")


@pytest.fixture
def side_b_user(parties: dict[str, Party]) -> User:
    return _user(parties, "liaison_b", "side_b", "liaison_officer")


@pytest.fixture
def agency_user(parties: dict[str, Party]) -> User:
    return _user(parties, "agency", "agencies", "agency_staff")


@dataclass
class Places:
    """One record per visibility, so each test can check who sees which."""

    public_settlement: Settlement
    side_a_settlement: Settlement
    side_b_settlement: Settlement
    mission_settlement: Settlement
    mission_zone: Zone
    side_b_facility: Facility
    mission_op: Facility


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.0], [47.0, 39.0], [47.0, 40.0], [46.0, 40.0], [46.0, 39.0]]],
}


def _point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def places(parties: dict[str, Party]) -> Places:
    def settlement(pcode: str, name: str, visibility: list[str], lon: float) -> Settlement:
        return services.settlement_create(
            actor=None,
            fields={
                "pcode": pcode,
                "display_name": name,
                "name_en": name,
                "geometry": _point(lon, 39.5),
            },
            visibility=visibility,
        )

    zone = services.zone_create(
        actor=None,
        fields={
            "code": "north",
            "name": "Northern zone",
            "kind": "responsibility",
            "battalion": "1st battalion",
            "geometry": SQUARE,
        },
        visibility=["mission"],
    )
    return Places(
        public_settlement=settlement("T-PUB", "Publictown", ["public"], 46.1),
        side_a_settlement=settlement("T-A", "Alphaville", ["side_a"], 46.2),
        side_b_settlement=settlement("T-B", "Betaville", ["side_b"], 46.3),
        mission_settlement=settlement("T-M", "Missionville", ["mission"], 46.4),
        mission_zone=zone,
        side_b_facility=services.facility_create(
            actor=None,
            fields={
                "code": "wh-b",
                "name": "Side B warehouse",
                "kind": "warehouse",
                "geometry": _point(46.5, 39.5),
            },
            visibility=["side_b"],
        ),
        mission_op=services.facility_create(
            actor=None,
            fields={
                "code": "op-n1",
                "name": "OP North 1",
                "kind": "observation_post",
                "op_role": "contact_line",
                "battalion": "1st battalion",
                "zone": "north",
                "geometry": _point(46.6, 39.6),
            },
            visibility=["mission"],
        ),
    )
