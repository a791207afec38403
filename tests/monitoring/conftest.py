"""Factories for monitoring tests: a stretch of front with posts, users of every kind.

Two OPs shared with both sides stand 17 km apart on one parallel; a third,
mission-only OP and a checkpoint complete the zone. Observation dicts come from
`make_obs`, which fills the required fields so a test states only what it is about.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from truce.core import services
from truce.core.models import Facility, Party, Settlement, User, Zone
from truce.lib import bearings

UTC = dt.UTC
T0 = dt.datetime(2020, 11, 20, 8, 0, tzinfo=UTC)  # mission window of 20 Nov (Baku 12:00)

FRONT = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.3], [46.9, 39.3], [46.9, 39.9], [46.0, 39.9], [46.0, 39.3]]],
}
SOUTH = {
    "type": "Polygon",
    "coordinates": [[[46.0, 38.8], [46.9, 38.8], [46.9, 39.3], [46.0, 39.3], [46.0, 38.8]]],
}
OP_A = (46.30, 39.50)
OP_B = (46.50, 39.50)


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


@dataclass
class Front:
    zone: Zone
    south: Zone
    op_a: Facility
    op_b: Facility
    op_secret: Facility
    checkpoint: Facility
    warehouse: Facility
    village: Settlement
    town: Settlement


@pytest.fixture
def front(parties: dict[str, Party]) -> Front:
    def zone(code: str, geometry: dict[str, Any]) -> Zone:
        return services.zone_create(
            actor=None,
            fields={
                "code": code,
                "name": code.title(),
                "kind": "responsibility",
                "battalion": "1st battalion",
                "geometry": geometry,
            },
            visibility=["both_sides"],
        )

    def facility(code: str, kind: str, where: tuple[float, float], vis: list[str]) -> Facility:
        fields: dict[str, Any] = {
            "code": code,
            "name": code.upper(),
            "kind": kind,
            "geometry": point(*where),
        }
        if kind == "observation_post":
            fields |= {"op_role": "contact_line", "battalion": "1st battalion", "zone": "front"}
        return services.facility_create(actor=None, fields=fields, visibility=vis)

    def settlement(pcode: str, name: str, where: tuple[float, float]) -> Settlement:
        return services.settlement_create(
            actor=None,
            fields={"pcode": pcode, "display_name": name, "geometry": point(*where)},
            visibility=["public"],
        )

    front_zone = zone("front", FRONT)
    return Front(
        zone=front_zone,
        south=zone("south", SOUTH),
        op_a=facility("op-a", "observation_post", OP_A, ["both_sides"]),
        op_b=facility("op-b", "observation_post", OP_B, ["both_sides"]),
        op_secret=facility("op-s", "observation_post", (46.4, 39.7), ["mission"]),
        checkpoint=facility("cp-1", "checkpoint", (46.6, 39.4), ["mission"]),
        warehouse=facility("wh-1", "warehouse", (46.7, 39.4), ["mission"]),
        village=settlement("V-1", "Village", (46.40, 39.62)),
        town=settlement("T-1", "Town", (46.80, 39.35)),
    )


def _user(parties: dict[str, Party], name: str, scope: str, *roles: str) -> User:
    return services.user_create(
        actor=None, username=name, party=parties[scope], roles=roles, password=None
    )


@pytest.fixture
def operator(parties: dict[str, Party]) -> User:
    return _user(parties, "operator", "mission", "op_operator")


@pytest.fixture
def analyst(parties: dict[str, Party]) -> User:
    return _user(parties, "analyst", "mission", "analyst")


@pytest.fixture
def side_a_plain(parties: dict[str, Party]) -> User:
    """A side A user without the liaison officer role."""
    return _user(parties, "clerk_a", "side_a", "viewer")


ObsFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_obs() -> ObsFactory:
    def make(**overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "client_uuid": str(uuid.uuid4()),
            "observed_at": T0.isoformat(),
            "observer_kind": "op",
            "observer_post": "op-a",
            "type": "explosion_impact",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not ...}

    return make


def sighting(observer: tuple[float, float], target: tuple[float, float]) -> tuple[float, float]:
    """The true bearing (degrees) and distance (m) from an observer to a target."""
    azimuth, _, distance = bearings.GEOD.inv(observer[0], observer[1], target[0], target[1])
    return azimuth % 360.0, distance


@dataclass
class HookCalls:
    observations: list[list[Any]]
    incidents: list[tuple[Any, str | None]]
    check_ins: list[Any]


@pytest.fixture
def hook_calls(monkeypatch: pytest.MonkeyPatch) -> HookCalls:
    """The alert hooks, replaced by recorders (service tests use it module-wide).

    Alerting is tested in its own package; the service tests state what the
    monitoring services tell it, and when, without depending on its rules.
    """
    from truce.alerts import hooks

    calls = HookCalls([], [], [])
    monkeypatch.setattr(
        hooks,
        "observations_recorded",
        lambda obs, *, actor, plan=None, kinds=None: calls.observations.append(list(obs)),
    )
    monkeypatch.setattr(
        hooks,
        "incident_changed",
        lambda incident, *, actor, previous_status: calls.incidents.append(
            (incident, previous_status)
        ),
    )
    monkeypatch.setattr(
        hooks, "check_in_recorded", lambda check_in, *, actor: calls.check_ins.append(check_in)
    )
    return calls
