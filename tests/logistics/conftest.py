"""Logistics fixtures: two warehouses of different visibility, items, users of each party."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import PASSWORD, Places
from truce.core import services as core_services
from truce.core.models import Facility, Organisation, Party, User
from truce.logistics import services
from truce.logistics.models import Item, Warehouse

WHEN = dt.datetime(2020, 11, 20, 9, 0, tzinfo=dt.UTC)


@dataclass
class Depot:
    agency_wh: Facility  # shared with the agencies
    side_b_wh: Facility  # side B only
    agency_record: Warehouse
    owner: Organisation
    cement: Item  # counted in tonnes
    flour: Item  # counted in kg
    secret: Item  # mission only


@pytest.fixture
def depot(places: Places, parties: dict[str, Party]) -> Depot:
    owner = core_services.organisation_create(
        actor=None,
        fields={"code": "hrc", "name": "Humanitarian response centre", "party": "mission"},
    )
    agency_wh = core_services.facility_create(
        actor=None,
        fields={
            "code": "wh-a",
            "name": "Agency warehouse",
            "kind": "warehouse",
            "geometry": {"type": "Point", "coordinates": [46.7, 39.8]},
        },
        visibility=["agencies"],
    )
    record = services.warehouse_record(
        actor=None, facility=agency_wh, fields={"capacity_t": "500", "operator": "hrc"}
    )

    def item(code: str, unit: str, weight: str, category: str, vis: list[str]) -> Item:
        return services.item_create(
            actor=None,
            fields={
                "code": code,
                "name": code.title(),
                "category": category,
                "unit": unit,
                "unit_weight_kg": weight,
            },
            visibility=vis,
        )

    return Depot(
        agency_wh=agency_wh,
        side_b_wh=places.side_b_facility,
        agency_record=record,
        owner=owner,
        cement=item("cement", "t", "1000", "construction_materials", ["agencies", "side_b"]),
        flour=item("flour", "kg", "1", "food", ["agencies"]),
        secret=item("secret", "pieces", "2", "other", ["mission"]),
    )


@pytest.fixture
def agency_writer(parties: dict[str, Party]) -> User:
    return core_services.user_create(
        actor=None,
        username="aid",
        party=parties["agencies"],
        roles=["agency_staff"],
        password=PASSWORD,
    )
