"""Convoys: leaving dispatches stock, arrival reconciles, deliveries roll up, drivers redacted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import Places
from tests.convoys.conftest import LEFT, World
from truce.convoys import selectors, services
from truce.convoys.models import Convoy, ConvoyEvent, ConvoyStatus, Delivery, LoadLoss
from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.logistics.selectors import stock_level

pytestmark = pytest.mark.django_db


def _leave(world: World) -> Convoy:
    return services.convoy_status_change(
        actor=None, convoy=world.convoy, status="in_transit", occurred_at=LEFT
    )


def test_leaving_dispatches_the_loads_from_the_origin(world: World) -> None:
    convoy = _leave(world)
    assert convoy.status == ConvoyStatus.IN_TRANSIT
    assert convoy.departed_at == LEFT
    assert stock_level(world.owner_staff, world.depot, "cement") == Decimal(40)
    statuses = list(ConvoyEvent.objects.filter(convoy=convoy).values_list("status", flat=True))
    assert statuses == ["preparing", "in_transit"]


def test_a_convoy_cannot_leave_with_more_than_the_stock(world: World) -> None:
    services.load_add(actor=None, convoy=world.convoy, item="cement", quantity=50)
    with pytest.raises(InvalidInput) as caught:
        _leave(world)
    assert caught.value.field == "loads"
    assert "cement" in caught.value.message
    world.convoy.refresh_from_db()
    assert world.convoy.status == ConvoyStatus.PREPARING
    assert stock_level(world.owner_staff, world.depot, "cement") == Decimal(100)
    assert ConvoyEvent.objects.filter(convoy=world.convoy).count() == 1


def test_arriving_before_leaving_or_in_the_future_is_refused(world: World) -> None:
    convoy = _leave(world)
    load = convoy.loads.get()
    line = {"load": load, "received": 60}
    with pytest.raises(InvalidInput) as early:
        services.convoy_arrive(
            actor=None, convoy=convoy, occurred_at=LEFT - dt.timedelta(hours=1), lines=[line]
        )
    assert early.value.field == "occurred_at"
    with pytest.raises(InvalidInput) as future:
        services.convoy_arrive(
            actor=None, convoy=convoy, occurred_at="2999-01-01T00:00Z", lines=[line]
        )
    assert future.value.field == "occurred_at"
    convoy.refresh_from_db()
    assert convoy.status == ConvoyStatus.IN_TRANSIT


def test_arrival_must_account_for_every_tonne(world: World) -> None:
    convoy = _leave(world)
    load = convoy.loads.get()
    when = LEFT + dt.timedelta(days=2)
    with pytest.raises(InvalidInput) as caught:
        services.convoy_arrive(
            actor=None, convoy=convoy, occurred_at=when, lines=[{"load": load, "received": 55}]
        )
    assert caught.value.field == "losses"
    arrived = services.convoy_arrive(
        actor=None,
        convoy=convoy,
        occurred_at=when,
        lines=[
            {
                "load": load,
                "received": 55,
                "losses": [{"quantity": 5, "reason": "damaged"}],
                "into": world.store.code,
            }
        ],
    )
    assert arrived.status == ConvoyStatus.ARRIVED
    assert LoadLoss.objects.get().quantity == Decimal(5)
    assert stock_level(world.owner_staff, world.store, "cement") == Decimal(55)


def test_deliveries_roll_up_by_item_settlement_and_source(world: World, places: Places) -> None:
    convoy = _leave(world)
    for quantity in (10, 15):
        services.delivery_record(
            actor=None,
            fields={
                "item": "cement",
                "quantity": quantity,
                "delivered_on": "2020-11-23",
                "settlement": places.public_settlement.pcode,
                "people": 100,
                "convoy": convoy.reference,
                "source": "test report",
            },
        )
    by_item = selectors.totals_by_item(world.owner_staff)
    assert [(r.item_code, r.quantity, r.weight_t) for r in by_item] == [
        ("cement", Decimal(25), Decimal(25))
    ]
    assert sum(d.quantity for d in Delivery.objects.all()) == by_item[0].quantity
    assert (
        selectors.totals_by_settlement(world.owner_staff)[0].key == places.public_settlement.pcode
    )
    assert selectors.totals_by_source(world.owner_staff)[0].people == 200
    with pytest.raises(InvalidInput) as caught:
        services.delivery_record(
            actor=None,
            fields={
                "item": "cement",
                "quantity": 50,
                "delivered_on": "2020-11-23",
                "settlement": places.public_settlement.pcode,
                "convoy": convoy.reference,
            },
        )
    assert caught.value.field == "quantity"


def test_drivers_are_read_by_the_mission_and_the_owner_only(
    world: World, mission_user: User, side_b_user: User
) -> None:
    owner = selectors.lorries_visible_to(world.owner_staff)
    assert owner[0].driver_name == "Ivan Test"
    assert selectors.lorries_visible_to(mission_user)[0].driver_phone.startswith("+7")
    other = selectors.lorries_visible_to(world.other_staff)
    assert other[0].driver_name == "" and other[0].driver_phone == ""
    assert other[0].redacted_fields == ["driver_name", "driver_phone"]
    assert other[0].plate == "A 001 AA"
    assert selectors.lorries_visible_to(side_b_user) == []


def test_another_party_sees_no_convoy(world: World, side_a_user: User) -> None:
    assert not selectors.convoys_visible_to(side_a_user).exists()
    assert selectors.totals_by_item(side_a_user) == []
    assert selectors.in_transit_geojson(side_a_user)["features"] == []


def test_positions_and_the_map_of_convoys_in_transit(world: World) -> None:
    convoy = _leave(world)
    services.position_report(
        actor=None, convoy=convoy, lon=46.1, lat=39.5, reported_at=LEFT + dt.timedelta(hours=3)
    )
    layer = selectors.in_transit_geojson(world.owner_staff)
    kinds = [f["properties"]["kind"] for f in layer["features"]]
    assert "position" in kinds
    with pytest.raises(InvalidInput) as caught:
        services.position_report(actor=None, convoy=convoy, lon=46.1, lat=99, reported_at=LEFT)
    assert caught.value.field == "lat"


def test_replanning_keeps_why_a_route_was_not_found(world: World) -> None:
    convoy = services.convoy_plan_route(actor=None, convoy=world.convoy)
    assert convoy.route_planned_at is not None
    assert convoy.route_planned_on["from"] == "wh-depot"
    if not convoy.route_found:
        assert convoy.route_blockers


def test_a_status_that_cannot_follow_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.convoy_status_change(
            actor=None, convoy=world.convoy, status="arrived", occurred_at=LEFT
        )
    assert caught.value.field == "status"
    cancelled = services.convoy_status_change(
        actor=None, convoy=world.convoy, status="cancelled", occurred_at=LEFT
    )
    assert cancelled.status == ConvoyStatus.CANCELLED
    # A cancelled convoy never left: nothing came out of the stock.
    assert stock_level(world.owner_staff, world.depot, "cement") == Decimal(100)


def test_a_party_may_not_run_a_convoy(world: World, side_a_user: User) -> None:
    from truce.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.convoy_status_change(
            actor=side_a_user, convoy=world.convoy, status="in_transit", occurred_at=LEFT
        )
