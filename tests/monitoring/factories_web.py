"""Helpers for the monitoring API and screen tests: a small world of observations.

Helpers rather than fixtures (as tests/core/api_client.py), so they add
nothing to the fixture namespace that tests/monitoring/conftest.py owns.
Everything is written through the monitoring services, as real use does.

The world, on two mission days (windows are evening to evening, mission time):
- mission-only: two explosions seen from OP North 1 on 20 Nov and one on 19 Nov;
- shared with side A: bursts and shots on 20 Nov, reported by the mission.
Side B sees none of it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from tests.conftest import Places
from truce.core.models import User
from truce.monitoring import services
from truce.monitoring.models import Incident, Observation

DAY = dt.date(2020, 11, 20)
PREVIOUS_DAY = dt.date(2020, 11, 19)
# 14:00 and 12:00 in Baku (UTC+4): inside the windows named by DAY and PREVIOUS_DAY.
AT = dt.datetime(2020, 11, 20, 10, 0, tzinfo=dt.UTC)
AT_PREVIOUS = dt.datetime(2020, 11, 19, 8, 0, tzinfo=dt.UTC)
OP = "op-n1"


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def obs_data(**overrides: Any) -> dict[str, Any]:
    """A valid observation from OP North 1, as a client would send it."""
    data: dict[str, Any] = {
        "client_uuid": str(uuid.uuid4()),
        "observed_at": iso(AT),
        "observer_kind": "op",
        "observer_post": OP,
        "type": "explosion_impact",
        "count": 2,
        "bearing_deg": 90.0,
        "distance_m": 2000.0,
        "weapon_type": "mortar",
        "text": "two impacts east of the post",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def record(actor: User, **overrides: Any) -> Observation:
    return services.observation_record(actor=actor, data=obs_data(**overrides)).observation


@dataclass
class World:
    places: Places
    mission_a: Observation
    mission_b: Observation
    mission_previous: Observation
    shared_a: Observation

    @property
    def mission_incident(self) -> Incident:
        return _incident(self.mission_a)

    @property
    def shared_incident(self) -> Incident:
        return _incident(self.shared_a)


def _incident(observation: Observation) -> Incident:
    observation.refresh_from_db()
    assert observation.incident is not None, "ingest groups every observation into an incident"
    return observation.incident


def make_world(places: Places, reporter: User) -> World:
    return World(
        places=places,
        mission_a=record(reporter, text="first impact"),
        mission_b=record(reporter, observed_at=iso(AT + dt.timedelta(minutes=1)), count=1),
        mission_previous=record(reporter, observed_at=iso(AT_PREVIOUS), count=3),
        shared_a=record(
            reporter,
            type="bursts_and_shots",
            observed_at=iso(AT + dt.timedelta(hours=2)),
            bearing_deg=200.0,
            count=5,
            visibility=["side_a"],
            text="shared with side A",
        ),
    )
