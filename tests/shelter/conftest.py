"""A small shelter world: shelters of several visibilities and households to place.

- `near` and `far`: mission and agencies, 1 km and 20 km east of Publictown;
- `b-hall`: shared with side B only, in Betaville;
- households from Publictown returning: two plain, one vulnerable, and one shared
  with side B (allowed explicitly, as the population service requires).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Places
from truce.population.models import Household
from truce.population.services import household_register
from truce.shelter import services
from truce.shelter.models import Shelter

DAY = dt.date(2020, 11, 20)


def point(lon: float, lat: float = 39.5) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


@dataclass
class World:
    places: Places
    near: Shelter
    far: Shelter
    b_hall: Shelter
    households: dict[str, Household]


def make_shelter(code: str, settlement: str, capacity: int, lon: float, **extra: Any) -> Shelter:
    visibility = extra.pop("visibility", ["mission", "agencies"])
    return services.shelter_create(
        actor=None,
        fields={
            "code": code,
            "name": code.title(),
            "settlement": settlement,
            "kind": "school",
            "capacity": capacity,
            "geometry": point(lon),
            **extra,
        },
        visibility=visibility,
    )


def register(
    code: str, size: int, *, vulnerable: bool = False, origin: str = "T-PUB", **extra: Any
) -> Household:
    visibility = extra.pop("visibility", None)
    data = {
        "code": code,
        "size": size,
        "vulnerabilities": ["disability"] if vulnerable else [],
        "origin_settlement": origin,
        "intention": "return",
        "intended_settlement": origin,
        "expected_on": DAY + dt.timedelta(days=3),
        "registered_on": DAY - dt.timedelta(days=2),
        "head_name": f"Head of {code}",
        "phone": "+000 1",
        **extra,
    }
    return household_register(
        actor=None,
        data=data,
        visibility=visibility,
        allow_party_sharing=visibility is not None,
    )


@pytest.fixture
def world(places: Places) -> World:
    near = make_shelter("near", "T-PUB", 6, 46.11)
    far = make_shelter("far", "T-PUB", 10, 46.33)
    b_hall = make_shelter("b-hall", "T-B", 4, 46.3, visibility=["side_b"])
    households = {
        "hh-a": register("hh-a", 4),
        "hh-b": register("hh-b", 3),
        "hh-v": register("hh-v", 5, vulnerable=True),
        "hh-shared": register("hh-shared", 2, visibility=["mission", "agencies", "side_b"]),
    }
    return World(places, near, far, b_hall, households)
