"""Convoy fixtures: a depot with stock, an item, an owner organisation and its staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import PASSWORD, Places
from truce.convoys import services
from truce.convoys.models import Convoy
from truce.core import services as core_services
from truce.core.models import Facility, Organisation, Party, User
from truce.logistics import services as logistics

LEFT = dt.datetime(2020, 11, 21, 6, 0, tzinfo=dt.UTC)


@dataclass
class World:
    depot: Facility
    store: Facility
    checkpoint: Facility
    owner: Organisation
    owner_staff: User  # agency staff of the owner organisation
    other_staff: User  # agency staff of another organisation
    convoy: Convoy


def _facility(code: str, kind: str, lon: float, visibility: list[str]) -> Facility:
    return core_services.facility_create(
        actor=None,
        fields={
            "code": code,
            "name": code,
            "kind": kind,
            "geometry": {"type": "Point", "coordinates": [lon, 39.5]},
        },
        visibility=visibility,
    )


@pytest.fixture
def world(parties: dict[str, Party], places: Places) -> World:
    depot = _facility("wh-depot", "warehouse", 46.0, ["agencies"])
    store = _facility("wh-store", "warehouse", 46.5, ["agencies"])
    checkpoint = _facility("cp-one", "checkpoint", 46.2, ["agencies"])
    owner = core_services.organisation_create(
        actor=None, fields={"code": "owner-org", "name": "Owner", "party": "agencies"}
    )
    other = core_services.organisation_create(
        actor=None, fields={"code": "other-org", "name": "Other", "party": "agencies"}
    )
    owner_staff = core_services.user_create(
        actor=None,
        username="owner-staff",
        party=parties["agencies"],
        organisation=owner,
        roles=["agency_staff"],
        password=PASSWORD,
    )
    other_staff = core_services.user_create(
        actor=None,
        username="other-staff",
        party=parties["agencies"],
        organisation=other,
        roles=["agency_staff"],
        password=PASSWORD,
    )
    logistics.item_create(
        actor=None,
        fields={
            "code": "cement",
            "name": "Cement",
            "category": "construction_materials",
            "unit": "t",
            "unit_weight_kg": 1000,
        },
        visibility=["agencies"],
    )
    logistics.stock_receive(
        actor=None,
        warehouse=depot,
        item="cement",
        quantity=100,
        occurred_at=LEFT - dt.timedelta(days=2),
        source="test",
    )
    convoy = services.convoy_create(
        actor=None,
        fields={
            "reference": "cv-1",
            "name": "First convoy",
            "owner": owner,
            "origin": depot,
            "destinations": [places.public_settlement.pcode],
            "crossing_points": ["cp-one"],
            "planned_departure": LEFT,
            "source": "test",
        },
        visibility=["agencies"],
    )
    services.lorry_add(
        actor=None,
        convoy=convoy,
        fields={
            "plate": "A 001 AA",
            "driver_name": "Ivan Test",
            "driver_phone": "+7 900 000 00 01",
            "capacity_t": 20,
            "load_t": 10,
        },
    )
    services.load_add(actor=None, convoy=convoy, item="cement", quantity=60)
    return World(depot, store, checkpoint, owner, owner_staff, other_staff, convoy)
