"""Mine action fixtures: an organisation, hazards and tasks of several visibilities.

`ma.public_*` records are shared with everyone; `ma.side_b_*` only with side B;
`ma.mission_*` with nobody but the mission. Each test of a list, a detail, a layer
or a total checks that side A sees none of side B's or the mission's records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import PASSWORD, Places
from truce.core import services as core_services
from truce.core.models import Organisation, Party, User
from truce.mineaction import services, task_services
from truce.mineaction.models import Activity, HazardArea, LandRelease, RoadCheck

DAY = dt.date(2020, 11, 20)


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    """A square about 0.85 x 1.1 km (size 0.01 degrees) at 39.5 N: roughly 94 ha."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon, lat],
                [lon + size, lat],
                [lon + size, lat + size],
                [lon, lat + size],
                [lon, lat],
            ]
        ],
    }


def line(lon: float, lat: float, length_deg: float = 0.1) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [[lon, lat], [lon + length_deg, lat]]}


@dataclass
class MineAction:
    org: Organisation
    public_hazard: HazardArea
    side_b_hazard: HazardArea
    mission_hazard: HazardArea
    public_task: Activity
    side_b_task: Activity
    public_result: LandRelease
    side_b_result: LandRelease
    public_road: RoadCheck
    side_b_road: RoadCheck


def hazard(reference: str, lon: float, visibility: list[str], **extra: Any) -> HazardArea:
    return services.hazard_area_record(
        actor=None,
        fields={
            "reference": reference,
            "name": f"Hazard {reference}",
            "kind": "confirmed",
            "reported_on": dt.date(2020, 11, 14),
            "geometry": square(lon, 39.5),
            "source": "test",
            **extra,
        },
        visibility=visibility,
    )


def task(reference: str, on: HazardArea, visibility: list[str], **extra: Any) -> Activity:
    return task_services.activity_record(
        actor=None,
        fields={
            "reference": reference,
            "kind": "clearance",
            "organisation": "eng",
            "hazard": on,
            "start_date": dt.date(2020, 11, 14),
            **extra,
        },
        visibility=visibility,
    )


@pytest.fixture
def org(parties: dict[str, Party]) -> Organisation:
    return core_services.organisation_create(
        actor=None, fields={"code": "eng", "name": "Engineers", "party": "mission"}
    )


@pytest.fixture
def ma(places: Places, org: Organisation) -> MineAction:
    public_hazard = hazard("HA-PUB", 46.1, ["public"], settlement=places.public_settlement)
    side_b_hazard = hazard("HA-B", 46.3, ["side_b"])
    mission_hazard = hazard("HA-M", 46.5, ["mission"])
    public_task = task("T-PUB", public_hazard, ["public"])
    side_b_task = task("T-B", side_b_hazard, ["side_b"])
    public_result = task_services.land_release_record(
        actor=None,
        activity=public_task,
        fields={"reported_on": DAY, "cleared_m2": 50_000, "reduced_m2": 1000},
        visibility=["public"],
    )
    side_b_result = task_services.land_release_record(
        actor=None,
        activity=side_b_task,
        fields={"reported_on": DAY, "cleared_m2": 20_000},
        visibility=["side_b"],
    )
    for activity, visibility, n in ((public_task, ["public"], 30), (side_b_task, ["side_b"], 7)):
        task_services.device_count_record(
            actor=None,
            activity=activity,
            fields={"reported_on": DAY, "category": "uxo", "found": n, "destroyed": n},
            visibility=visibility,
        )
    public_road = task_services.road_check_record(
        actor=None,
        fields={
            "reference": "RC-PUB",
            "name": "Public road",
            "organisation": "eng",
            "checked_on": DAY,
            "result": "clear",
            "geometry": line(46.1, 39.45),
        },
        visibility=["public"],
    )
    side_b_road = task_services.road_check_record(
        actor=None,
        fields={
            "reference": "RC-B",
            "name": "Side B road",
            "organisation": "eng",
            "checked_on": DAY,
            "result": "clear",
            "geometry": line(46.3, 39.45),
            "stated_km": 12.5,
        },
        visibility=["side_b"],
    )
    for place, visibility, n in (
        (places.public_settlement, ["public"], 40),
        (places.public_settlement, ["side_b"], 5),
    ):
        task_services.building_check_record(
            actor=None,
            fields={"organisation": "eng", "settlement": place, "checked_on": DAY, "buildings": n},
            visibility=visibility,
        )
    return MineAction(
        org,
        public_hazard,
        side_b_hazard,
        mission_hazard,
        public_task,
        side_b_task,
        public_result,
        side_b_result,
        public_road,
        side_b_road,
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
