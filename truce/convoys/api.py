"""The convoys API, under /api/v1/convoys/: convoys, lorries, status, positions, arrival,
deliveries, totals and the GeoJSON of convoys in transit.

Reads go through truce.convoys.selectors (a convoy hidden from the caller is a
404; drivers are redacted there); writes through truce.convoys.services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from truce.convoys import selectors, services
from truce.convoys.models import Convoy, Delivery, Lorry
from truce.core.auth import api_user
from truce.core.models import User
from truce.core.schemas import PageQuery, page_of
from truce.core.sharing import visibility_seen_by
from truce.lib.pagination import paginate

router = Router(tags=["convoys"])


class ConvoyOut(Schema):
    id: str
    version: int
    reference: str
    name: str
    owner: str | None
    origin: str | None
    destinations: list[dict[str, str]]
    crossing_points: list[str]
    planned_departure: dt.datetime
    escort_organisation: str | None
    escort_description: str
    status: str
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    tonnage_t: Decimal
    route_found: bool | None
    route_length_m: float | None
    route_blockers: list[dict[str, Any]]
    route_planned_on: dict[str, Any]
    source: str
    visibility: list[str]


class ConvoyIn(Schema):
    reference: str
    name: str
    owner: str = Field(description="Organisation code.")
    origin: str = Field(description="Warehouse facility code.")
    destinations: list[str] = Field(default_factory=list, description="P-codes or facility codes.")
    crossing_points: list[str] = Field(default_factory=list)
    planned_departure: dt.datetime
    escort_organisation: str | None = None
    escort_description: str = ""
    source: str = ""
    visibility: list[str] | None = None


class LorryOut(Schema):
    id: str
    convoy: str
    plate: str
    driver_name: str
    driver_phone: str
    capacity_t: Decimal | None
    load_t: Decimal | None
    redacted_fields: list[str]


class LorryIn(Schema):
    plate: str
    driver_name: str = ""
    driver_phone: str = ""
    capacity_t: Decimal | None = None
    load_t: Decimal | None = None


class LoadIn(Schema):
    item: str
    quantity: Decimal
    consignment: str | None = None


class StatusIn(Schema):
    status: str
    occurred_at: dt.datetime
    note: str = ""


class PositionIn(Schema):
    lon: float
    lat: float
    reported_at: dt.datetime
    note: str = ""


class PositionOut(Schema):
    convoy: str
    lon: float
    lat: float
    reported_at: dt.datetime


class LossIn(Schema):
    quantity: Decimal
    reason: str
    note: str = ""


class ArrivalLineIn(Schema):
    load: str = Field(description="The load's id.")
    received: Decimal
    losses: list[LossIn] = Field(default_factory=list)
    into: str | None = Field(None, description="Warehouse code to receive the goods into.")


class ArrivalIn(Schema):
    occurred_at: dt.datetime
    lines: list[ArrivalLineIn]
    note: str = ""


class DeliveryOut(Schema):
    id: str
    item: str
    quantity: Decimal
    weight_t: Decimal
    delivered_on: dt.date
    settlement: str | None
    shelter: str | None
    recipient: str | None
    people: int | None
    convoy: str | None
    consignment: str | None
    source: str
    visibility: list[str]


class DeliveryIn(Schema):
    item: str
    quantity: Decimal
    delivered_on: dt.date
    settlement: str | None = None
    shelter: str | None = None
    recipient: str | None = None
    people: int | None = None
    convoy: str | None = None
    consignment: str | None = None
    source: str = ""
    visibility: list[str] | None = None


class TotalOut(Schema):
    key: str
    item: str
    category: str
    unit: str
    quantity: Decimal
    weight_t: Decimal
    people: int
    deliveries: int


class ConvoyFilters(PageQuery):
    status: str | None = None
    q: str | None = None


class DeliveryFilters(PageQuery):
    settlement: str | None = None
    item: str | None = None
    convoy: str | None = None


def convoy_out(convoy: Convoy, user: User) -> dict[str, Any]:
    selectors.seen_places(user, convoy)
    origin = convoy.seen_origin  # type: ignore[attr-defined]
    escort = convoy.seen_escort  # type: ignore[attr-defined]
    return {
        "id": str(convoy.public_id),
        "version": convoy.version,
        "reference": convoy.reference,
        "name": convoy.name,
        "owner": getattr(convoy.seen_owner, "code", None),  # type: ignore[attr-defined]
        "origin": origin.code if origin else None,
        "destinations": convoy.destinations,
        "crossing_points": convoy.seen_crossing_points,  # type: ignore[attr-defined]
        "planned_departure": convoy.planned_departure,
        "escort_organisation": escort.code if escort else None,
        "escort_description": convoy.escort_description,
        "status": convoy.status,
        "departed_at": convoy.departed_at,
        "arrived_at": convoy.arrived_at,
        "tonnage_t": selectors.convoy_tonnage(user, convoy),
        "route_found": convoy.route_found,
        "route_length_m": convoy.route_length_m,
        "route_blockers": convoy.route_blockers,
        "route_planned_on": convoy.route_planned_on,
        "source": convoy.source,
        "visibility": visibility_seen_by(convoy.visibility, user),
    }


def lorry_out(lorry: Lorry) -> dict[str, Any]:
    return {
        "id": str(lorry.public_id),
        "convoy": lorry.convoy.reference,
        "plate": lorry.plate,
        "driver_name": lorry.driver_name,
        "driver_phone": lorry.driver_phone,
        "capacity_t": lorry.capacity_t,
        "load_t": lorry.load_t,
        "redacted_fields": getattr(lorry, "redacted_fields", []),
    }


def delivery_out(d: Delivery, user: User) -> dict[str, Any]:
    seen = selectors.seen_delivery(user, d).__dict__
    return {
        "id": str(d.public_id),
        "item": d.item.code,
        "quantity": d.quantity,
        "weight_t": d.weight_t,
        "delivered_on": d.delivered_on,
        "settlement": getattr(seen["seen_settlement"], "pcode", None),
        "shelter": getattr(seen["seen_shelter"], "code", None),
        "recipient": getattr(seen["seen_recipient"], "code", None),
        "people": d.people,
        "convoy": getattr(seen["seen_convoy"], "reference", None),
        "consignment": getattr(seen["seen_consignment"], "reference", None),
        "source": d.source,
        "visibility": visibility_seen_by(d.visibility, user),
    }


@router.get("/convoys/", response=page_of(ConvoyOut), url_name="convoys_list")
def convoys_list(request: HttpRequest, query: Query[ConvoyFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.convoys_visible_to(user, status=query.status, q=query.q)
    page = paginate(rows, namespace="convoys", limit=query.limit, cursor=query.cursor)
    return {"items": [convoy_out(c, user) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/convoys/", response={201: ConvoyOut}, url_name="convoys_create")
def convoys_create(request: HttpRequest, payload: ConvoyIn) -> Status:
    user = api_user(request)
    fields = payload.model_dump()
    visibility = fields.pop("visibility")
    extra = {} if visibility is None else {"visibility": visibility}
    convoy = services.convoy_create(actor=user, fields=fields, **extra)
    return Status(201, convoy_out(convoy, user))


@router.get("/convoys/{reference}", response=ConvoyOut, url_name="convoy_get")
def convoy_get(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = api_user(request)
    return convoy_out(selectors.convoy_get(user, reference), user)


@router.get("/convoys/{reference}/lorries", response=list[LorryOut], url_name="convoy_lorries")
def convoy_lorries(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    return [lorry_out(lorry) for lorry in selectors.lorries_visible_to(user, convoy=convoy)]


@router.post("/convoys/{reference}/lorries", response={201: LorryOut}, url_name="lorry_add")
def lorry_add(request: HttpRequest, reference: str, payload: LorryIn) -> Status:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    lorry = services.lorry_add(actor=user, convoy=convoy, fields=payload.model_dump())
    return Status(201, lorry_out(selectors.redact_lorry(user, lorry)))


@router.post("/convoys/{reference}/loads", response={201: dict}, url_name="load_add")
def load_add(request: HttpRequest, reference: str, payload: LoadIn) -> Status:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    load = services.load_add(
        actor=user,
        convoy=convoy,
        item=payload.item,
        quantity=payload.quantity,
        consignment=payload.consignment,
    )
    return Status(
        201, {"id": str(load.public_id), "item": load.item.code, "weight_t": load.weight_t}
    )


@router.post("/convoys/{reference}/status", response=ConvoyOut, url_name="convoy_status")
def convoy_status(request: HttpRequest, reference: str, payload: StatusIn) -> dict[str, Any]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    updated = services.convoy_status_change(
        actor=user,
        convoy=convoy,
        status=payload.status,
        occurred_at=payload.occurred_at,
        note=payload.note,
    )
    return convoy_out(updated, user)


@router.post("/convoys/{reference}/arrival", response=ConvoyOut, url_name="convoy_arrival")
def convoy_arrival(request: HttpRequest, reference: str, payload: ArrivalIn) -> dict[str, Any]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    updated = services.convoy_arrive(
        actor=user,
        convoy=convoy,
        occurred_at=payload.occurred_at,
        lines=[line.model_dump() for line in payload.lines],
        note=payload.note,
    )
    return convoy_out(updated, user)


@router.post("/convoys/{reference}/route", response=ConvoyOut, url_name="convoy_replan")
def convoy_replan(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    return convoy_out(services.convoy_plan_route(actor=user, convoy=convoy), user)


@router.get(
    "/convoys/{reference}/positions", response=list[PositionOut], url_name="convoy_positions"
)
def convoy_positions(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    return [
        {"convoy": convoy.reference, "lon": p.lon, "lat": p.lat, "reported_at": p.reported_at}
        for p in selectors.positions_visible_to(user, convoy=convoy)
    ]


@router.post(
    "/convoys/{reference}/positions", response={201: PositionOut}, url_name="convoy_position"
)
def convoy_position(request: HttpRequest, reference: str, payload: PositionIn) -> Status:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    p = services.position_report(actor=user, convoy=convoy, **payload.model_dump())
    out = {"convoy": convoy.reference, "lon": p.lon, "lat": p.lat, "reported_at": p.reported_at}
    return Status(201, out)


@router.get("/deliveries/", response=page_of(DeliveryOut), url_name="deliveries_list")
def deliveries_list(request: HttpRequest, query: Query[DeliveryFilters]) -> dict[str, Any]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, query.convoy) if query.convoy else None
    rows = selectors.deliveries_visible_to(
        user, convoy=convoy, settlement=query.settlement, item=query.item
    )
    page = paginate(rows, namespace="deliveries", limit=query.limit, cursor=query.cursor)
    return {"items": [delivery_out(d, user) for d in page.items], "next_cursor": page.next_cursor}


@router.get("/deliveries/{public_id}", response=DeliveryOut, url_name="delivery_get")
def delivery_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    from truce.core.selectors import get_visible

    user = api_user(request)
    return delivery_out(get_visible(selectors.deliveries_visible_to(user), user, public_id), user)


@router.post("/deliveries/", response={201: DeliveryOut}, url_name="deliveries_create")
def deliveries_create(request: HttpRequest, payload: DeliveryIn) -> Status:
    user = api_user(request)
    fields = payload.model_dump()
    visibility = fields.pop("visibility")
    extra = {} if visibility is None else {"visibility": visibility}
    if fields.get("convoy"):
        fields["convoy"] = selectors.convoy_get(user, fields["convoy"])
    return Status(
        201, delivery_out(services.delivery_record(actor=user, fields=fields, **extra), user)
    )


@router.get("/totals/{dimension}", response=list[TotalOut], url_name="delivery_totals")
def totals(request: HttpRequest, dimension: str) -> list[dict[str, Any]]:
    """Running totals of deliveries by `item`, `settlement` or `source`."""
    from truce.core.errors import InvalidInput

    if dimension not in ("item", "settlement", "source"):
        raise InvalidInput("dimension is item, settlement or source", field="dimension")
    user = api_user(request)
    return [
        {
            "key": r.key,
            "item": r.item_code,
            "category": r.category,
            "unit": r.unit,
            "quantity": r.quantity,
            "weight_t": r.weight_t,
            "people": r.people,
            "deliveries": r.deliveries,
        }
        for r in selectors.delivery_totals(user, dimension)
    ]


@router.get("/in-transit.geojson", url_name="convoys_in_transit")
def in_transit(request: HttpRequest) -> dict[str, Any]:
    """Convoys on the road: route lines and last reported positions."""
    return selectors.in_transit_geojson(api_user(request))


class EventOut(Schema):
    status: str
    occurred_at: dt.datetime
    note: str


class LoadOut(Schema):
    id: str
    item: str
    quantity: Decimal
    weight_t: Decimal
    consignment: str | None
    dispatched_at: dt.datetime | None
    received_quantity: Decimal | None


@router.get("/convoys/{reference}/events", response=list[EventOut], url_name="convoy_events")
def convoy_events(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    """The status history of a convoy, oldest first."""
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    return [
        {"status": e.status, "occurred_at": e.occurred_at, "note": e.note}
        for e in selectors.events_of(user, convoy)
    ]


@router.get("/convoys/{reference}/loads", response=list[LoadOut], url_name="convoy_loads")
def convoy_loads(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = api_user(request)
    convoy = selectors.convoy_get(user, reference)
    return [
        {
            "id": str(load.public_id),
            "item": load.item.code,
            "quantity": load.quantity,
            "weight_t": load.weight_t,
            "consignment": getattr(load.seen_consignment, "reference", None),  # type: ignore[attr-defined]
            "dispatched_at": load.dispatched_at,
            "received_quantity": load.received_quantity,
        }
        for load in selectors.loads_seen(user, convoy)
    ]
