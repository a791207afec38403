"""Factories for alert tests: observations, incidents and check-ins written directly
through truce.core.records (the monitoring services are tested on their own),
and rules through the alert services."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pyproj import Geod

from tests.conftest import Places
from truce.alerts import proximity, services
from truce.alerts.models import AlertRule
from truce.core import services as core_services
from truce.core.models import Party, User, Zone
from truce.core.records import record_create
from truce.lib import geo
from truce.lib.time import window_of
from truce.monitoring.models import CheckIn, Incident, Observation

BASE = dt.datetime(2020, 11, 20, 10, 0, tzinfo=dt.UTC)
GEOD = Geod(ellps="WGS84")
# Missionville, the mission-only settlement of the shared places fixture.
MISSIONVILLE = (46.4, 39.5)
CORRIDOR = {
    "type": "Polygon",
    "coordinates": [
        [[46.50, 39.20], [46.56, 39.20], [46.56, 39.30], [46.50, 39.30], [46.50, 39.20]]
    ],
}


def offset(lon: float, lat: float, *, east_m: float) -> tuple[float, float]:
    """The point `east_m` metres due east along the ellipsoid."""
    lon2, lat2, _back = GEOD.fwd(lon, lat, 90.0, east_m)
    return float(lon2), float(lat2)


@dataclass
class World:
    places: Places
    parties: dict[str, Party]
    reporter: User
    corridor: Zone

    def observe(self, **fields: Any) -> Observation:
        observed_at = fields.pop("observed_at", BASE)
        lon_lat = fields.pop("at", None)
        values: dict[str, Any] = {
            "client_uuid": uuid.uuid4(),
            "content_sha256": hashlib.sha256(b"test").hexdigest(),
            "observed_at": observed_at,
            "window": window_of(observed_at),
            "observer_kind": "op",
            "observer_post": self.places.mission_op,
            "reporter": self.reporter,
            "reporting_party": self.parties["mission"],
            "type": "explosion_impact",
            "zone": self.places.mission_zone,
            **fields,
        }
        if lon_lat is not None:
            values["geometry"] = geo.point(*lon_lat)
            values["position_method"] = "given"
        return record_create(
            actor=None, model=Observation, fields=values, geometry_types=geo.POINT_TYPES
        )

    def incident(self, **fields: Any) -> Incident:
        values: dict[str, Any] = {
            "reference": f"INC-{uuid.uuid4().hex[:8]}",
            "type": "explosion_impact",
            "started_at": BASE,
            "ended_at": BASE,
            "zone": self.places.mission_zone,
            "status": "reported",
            **fields,
        }
        return record_create(actor=None, model=Incident, fields=values)

    def check_in(self, at: dt.datetime, post: Any = None) -> CheckIn:
        return record_create(
            actor=None,
            model=CheckIn,
            fields={
                "client_uuid": uuid.uuid4(),
                "post": post or self.places.mission_op,
                "checked_in_at": at,
                "reporter": self.reporter,
            },
        )

    def rule(self, kind: str, params: dict[str, Any], **fields: Any) -> AlertRule:
        values: dict[str, Any] = {
            "name": f"{kind} rule",
            "kind": kind,
            "params": params,
            "severity": "high",
            "escalation": [["duty_officer", 10], ["administrator", 20]],
            **fields,
        }
        return services.alert_rule_create(actor=None, fields=values)


@pytest.fixture
def world(places: Places, parties: dict[str, Party], mission_user: User) -> World:
    corridor = core_services.zone_create(
        actor=None,
        fields={
            "code": "corridor",
            "name": "Lachin corridor",
            "kind": "corridor",
            "geometry": CORRIDOR,
        },
    )
    return World(places=places, parties=parties, reporter=mission_user, corridor=corridor)


@pytest.fixture(autouse=True)
def _fresh_target_cache() -> None:
    # Test databases reuse primary keys and timestamps can collide: start clean.
    proximity.clear_cache()


@pytest.fixture
def inline_channels(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytes, dict[str, str]]]:
    """Channels run inline and record webhook posts instead of touching the network."""
    from truce.alerts import channels

    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def fake_post(url: str, body: bytes, headers: dict[str, str]) -> int:
        sent.append((url, body, headers))
        return 204

    run: Callable[[Callable[[], None]], None] = lambda job: job()  # noqa: E731
    monkeypatch.setattr(channels, "_http_post", fake_post)
    monkeypatch.setattr(channels, "_run_in_background", run)
    return sent
