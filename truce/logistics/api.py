"""The logistics API, under /api/v1/logistics/.

Handlers parse, call a selector or a service, and serialise. Reads go through
truce.logistics.selectors (a record hidden from the caller's party is a 404 and is
never counted); writes go through truce.logistics.services.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema

from truce.core.auth import api_user
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import PageQuery, page_of
from truce.core.selectors import get_visible
from truce.core.sharing import visibility_seen_by
from truce.lib.pagination import paginate
from truce.logistics import selectors, services
from truce.logistics.models import (
    Consignment,
    Item,
    Pledge,
    Request,
    StatedTotal,
    StockMovement,
)

router = Router(tags=["logistics"])


# --- schemas -------------------------------------------------------------------------------


class ItemOut(Schema):
    id: str
    code: str
    name: str
    category: str
    unit: str
    unit_weight_kg: Decimal
    unit_volume_m3: Decimal | None
    source: str
    visibility: list[str]


class ItemIn(Schema):
    code: str
    name: str
    category: str
    unit: str
    unit_weight_kg: Decimal
    unit_volume_m3: Decimal | None = None
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class LevelOut(Schema):
    item: str
    item_name: str
    category: str
    unit: str
    quantity: Decimal
    weight_t: Decimal


class WarehouseOut(Schema):
    code: str
    name: str
    capacity_t: Decimal | None
    weight_t: Decimal
    free_t: Decimal | None
    operator: str | None
    stock: list[LevelOut]


class MovementOut(Schema):
    id: str
    seq: int
    warehouse: str
    item: str
    reason: str
    quantity: Decimal
    balance_after: Decimal
    occurred_at: dt.datetime
    consignment: str | None
    reference: str
    note: str
    source: str
    recorded_by: str | None
    visibility: list[str]


class MovementIn(Schema):
    warehouse: str = Field(description="The warehouse facility's code.")
    item: str = Field(description="The item's code.")
    quantity: Decimal = Field(description="In the item's unit, or in `unit`.")
    unit: str | None = None
    occurred_at: dt.datetime
    reason: str | None = Field(
        None,
        description="For dispatch: dispatched or transferred; "
        "for adjust: lost, damaged, expired or counted.",
    )
    consignment: str | None = None
    reference: str = ""
    note: str = ""
    source: str = ""


class MovementFilters(PageQuery):
    warehouse: str | None = None
    item: str | None = None
    reason: str | None = None
    reference: str | None = None


class TotalsQuery(Schema):
    item: str | None = None
    warehouse: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


class TotalsOut(Schema):
    reasons: dict[str, Decimal]
    net: Decimal


class CardQuery(Schema):
    limit: int = Field(100, ge=1, le=1000)
    before: int | None = Field(None, description="seq of the oldest movement already shown.")


class CardOut(Schema):
    warehouse: str
    item: str
    unit: str
    level: Decimal
    movements: list[MovementOut]
    next_before: int | None


class RequestOut(Schema):
    id: str
    requested_by: str | None
    requester: str
    item: str
    quantity: Decimal
    unit: str
    settlement: str | None
    facility: str | None
    needed_by: dt.date | None
    requested_on: dt.date
    status: str
    source: str
    visibility: list[str]


class RequestIn(Schema):
    requested_by: str | None = None
    requester: str = ""
    item: str
    quantity: Decimal
    unit: str | None = None
    settlement: str | None = None
    facility: str | None = None
    needed_by: dt.date | None = None
    requested_on: dt.date
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class PledgeOut(Schema):
    id: str
    donor: str
    item: str
    quantity: Decimal
    unit: str
    request: str | None
    value: Decimal | None
    currency: str
    due_by: dt.date | None
    pledged_on: dt.date
    status: str
    source: str
    visibility: list[str]


class PledgeIn(Schema):
    donor: str
    item: str
    quantity: Decimal
    unit: str | None = None
    request: str | None = None
    value: Decimal | None = None
    currency: str = ""
    due_by: dt.date | None = None
    pledged_on: dt.date
    status: str = "pledged"
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class LineOut(Schema):
    item: str
    quantity: Decimal
    unit: str
    weight_kg: Decimal
    value: Decimal | None
    currency: str


class ConsignmentOut(Schema):
    id: str
    reference: str
    origin: str
    owner: str
    pledge: str | None
    status: str
    prepared_on: dt.date
    description: str
    weight_kg: Decimal
    lines: list[LineOut]
    source: str
    visibility: list[str]


class LineIn(Schema):
    item: str
    quantity: Decimal
    unit: str | None = None
    value: Decimal | None = None
    currency: str = ""


class ConsignmentIn(Schema):
    reference: str
    origin: str
    owner: str
    pledge: str | None = None
    status: str = "in_process"
    prepared_on: dt.date
    description: str = ""
    notes: str = ""
    source: str = ""
    lines: list[LineIn]
    visibility: list[str] | None = None


class StatedOut(Schema):
    code: str
    what: str
    quantity: Decimal
    unit: str
    qualifier: str
    category: str
    as_of: dt.date
    note: str
    source: str


# --- serialisers ---------------------------------------------------------------------------


def item_out(item: Item, user: User) -> dict[str, Any]:
    return {
        "id": str(item.public_id),
        "code": item.code,
        "name": item.name,
        "category": item.category,
        "unit": item.unit,
        "unit_weight_kg": item.unit_weight_kg,
        "unit_volume_m3": item.unit_volume_m3,
        "source": item.source,
        "visibility": visibility_seen_by(item.visibility, user),
    }


def warehouse_out(stock: selectors.WarehouseStock) -> dict[str, Any]:
    record = stock.record
    return {
        "code": stock.facility.code,
        "name": stock.facility.name,
        "capacity_t": stock.capacity_t,
        "weight_t": stock.weight_t,
        "free_t": stock.free_t,
        "operator": record.operator.code if record and record.operator else None,
        "stock": [
            {
                "item": lv.item.code,
                "item_name": lv.item.name,
                "category": lv.item.category,
                "unit": lv.item.unit,
                "quantity": lv.quantity,
                "weight_t": lv.item.weight_kg(lv.quantity) / 1000,
            }
            for lv in stock.levels
        ],
    }


def movement_out(m: StockMovement, user: User) -> dict[str, Any]:
    return {
        "id": str(m.public_id),
        "seq": m.pk,
        "warehouse": m.warehouse.code,
        "item": m.item.code,
        "reason": m.reason,
        "quantity": m.quantity,
        "balance_after": m.balance_after,
        "occurred_at": m.occurred_at,
        "consignment": m.consignment.reference if m.consignment else None,
        "reference": m.reference,
        "note": m.note,
        "source": m.source,
        "recorded_by": m.created_by.username if m.created_by else None,
        "visibility": visibility_seen_by(m.visibility, user),
    }


def request_out(r: Request, user: User) -> dict[str, Any]:
    return {
        "id": str(r.public_id),
        "requested_by": r.requested_by.code if r.requested_by else None,
        "requester": r.requester,
        "item": r.item.code,
        "quantity": r.quantity,
        "unit": r.item.unit,
        "settlement": r.settlement.pcode if r.settlement else None,
        "facility": r.facility.code if r.facility else None,
        "needed_by": r.needed_by,
        "requested_on": r.requested_on,
        "status": r.status,
        "source": r.source,
        "visibility": visibility_seen_by(r.visibility, user),
    }


def pledge_out(p: Pledge, user: User) -> dict[str, Any]:
    return {
        "id": str(p.public_id),
        "donor": p.donor.code,
        "item": p.item.code,
        "quantity": p.quantity,
        "unit": p.item.unit,
        "request": str(p.request.public_id) if p.request else None,
        "value": p.value,
        "currency": p.currency,
        "due_by": p.due_by,
        "pledged_on": p.pledged_on,
        "status": p.status,
        "source": p.source,
        "visibility": visibility_seen_by(p.visibility, user),
    }


def consignment_out(c: Consignment, user: User) -> dict[str, Any]:
    lines = selectors.consignment_lines(user, c)
    return {
        "id": str(c.public_id),
        "reference": c.reference,
        "origin": c.origin.code,
        "owner": c.owner.code,
        "pledge": str(c.pledge.public_id) if c.pledge else None,
        "status": c.status,
        "prepared_on": c.prepared_on,
        "description": c.description,
        "weight_kg": sum((line.weight_kg for line in lines), Decimal(0)),
        "lines": [
            {
                "item": line.item.code,
                "quantity": line.quantity,
                "unit": line.item.unit,
                "weight_kg": line.weight_kg,
                "value": line.value,
                "currency": line.currency,
            }
            for line in lines
        ],
        "source": c.source,
        "visibility": visibility_seen_by(c.visibility, user),
    }


def stated_out(s: StatedTotal) -> dict[str, Any]:
    return {
        "code": s.code,
        "what": s.what,
        "quantity": s.quantity,
        "unit": s.unit,
        "qualifier": s.qualifier,
        "category": s.category,
        "as_of": s.as_of,
        "note": s.note,
        "source": s.source,
    }


def _visibility(fields: dict[str, Any]) -> dict[str, Any]:
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


# --- catalogue -----------------------------------------------------------------------------


@router.get("/items/", response=page_of(ItemOut), url_name="logistics_items_list")
def items_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(
        selectors.items_visible_to(user),
        namespace="logistics-items",
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": [item_out(i, user) for i in page.items], "next_cursor": page.next_cursor}


@router.post("/items/", response={201: ItemOut}, url_name="logistics_items_create")
def items_create(
    request: HttpRequest,
    payload: ItemIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, item_out(services.item_create(actor=user, fields=fields, **extra), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/items/{code}", response=ItemOut, url_name="logistics_item_get")
def item_get(request: HttpRequest, code: str) -> dict[str, Any]:
    user = api_user(request)
    return item_out(selectors.item_get(user, code), user)


# --- warehouses and stock ------------------------------------------------------------------


@router.get("/warehouses/", response=list[WarehouseOut], url_name="logistics_warehouses_list")
def warehouses_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = api_user(request)
    return [warehouse_out(s) for s in selectors.warehouses_with_stock(user)]


@router.get("/warehouses/{code}", response=WarehouseOut, url_name="logistics_warehouse_get")
def warehouse_get(request: HttpRequest, code: str) -> dict[str, Any]:
    return warehouse_out(selectors.warehouse_stock(api_user(request), code))


@router.get(
    "/warehouses/{code}/items/{item}/card", response=CardOut, url_name="logistics_stock_card"
)
def stock_card(
    request: HttpRequest, code: str, item: str, query: Query[CardQuery]
) -> dict[str, Any]:
    user = api_user(request)
    goods = selectors.item_get(user, item)
    rows = selectors.stock_card(user, code, goods, limit=query.limit, before_id=query.before)
    return {
        "warehouse": code,
        "item": goods.code,
        "unit": goods.unit,
        "level": selectors.stock_level(user, code, goods),
        "movements": [movement_out(m, user) for m in rows],
        "next_before": rows[-1].pk if len(rows) == query.limit else None,
    }


@router.get("/movements/", response=page_of(MovementOut), url_name="logistics_movements_list")
def movements_list(request: HttpRequest, query: Query[MovementFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.movements_visible_to(user)
    if query.warehouse:
        rows = rows.filter(warehouse__code=query.warehouse)
    if query.item:
        rows = rows.filter(item__code=query.item)
    if query.reason:
        rows = rows.filter(reason=query.reason)
    if query.reference:
        rows = rows.filter(reference=query.reference)
    page = paginate(rows, namespace="logistics-movements", limit=query.limit, cursor=query.cursor)
    return {"items": [movement_out(m, user) for m in page.items], "next_cursor": page.next_cursor}


@router.get("/movements/{uuid:public_id}", response=MovementOut, url_name="logistics_movement_get")
def movement_get(request: HttpRequest, public_id: uuid.UUID) -> dict[str, Any]:
    user = api_user(request)
    return movement_out(get_visible(selectors.movements_visible_to(user), user, public_id), user)


def _move(request: HttpRequest, payload: MovementIn, kind: str, key: str | None) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    reason = fields.pop("reason")

    def perform() -> tuple[int, dict[str, Any]]:
        if kind == "receive":
            moved = services.stock_receive(actor=user, **fields)
        elif kind == "dispatch":
            moved = services.stock_dispatch(actor=user, reason=reason or "dispatched", **fields)
        else:
            moved = services.stock_adjust(actor=user, reason=reason or "", **fields)
        return 201, movement_out(moved, user)

    return run_idempotent(request, user=user, key=key, perform=perform).as_response()


@router.post("/movements/receive", response={201: MovementOut}, url_name="logistics_receive")
def receive(
    request: HttpRequest,
    payload: MovementIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _move(request, payload, "receive", idempotency_key)


@router.post("/movements/dispatch", response={201: MovementOut}, url_name="logistics_dispatch")
def dispatch(
    request: HttpRequest,
    payload: MovementIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _move(request, payload, "dispatch", idempotency_key)


@router.post("/movements/adjust", response={201: MovementOut}, url_name="logistics_adjust")
def adjust(
    request: HttpRequest,
    payload: MovementIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _move(request, payload, "adjust", idempotency_key)


@router.get("/running-totals", response=TotalsOut, url_name="logistics_running_totals")
def running_totals(request: HttpRequest, query: Query[TotalsQuery]) -> dict[str, Any]:
    user = api_user(request)
    totals = selectors.running_totals(
        user, item=query.item, warehouse=query.warehouse, start=query.start, end=query.end
    )
    return {"reasons": totals, "net": sum(totals.values(), Decimal(0))}


# --- requests, pledges, consignments, stated totals ----------------------------------------


@router.get("/requests/", response=page_of(RequestOut), url_name="logistics_requests_list")
def requests_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(
        selectors.requests_visible_to(user),
        namespace="logistics-requests",
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": [request_out(r, user) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/requests/", response={201: RequestOut}, url_name="logistics_requests_create")
def requests_create(
    request: HttpRequest,
    payload: RequestIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, request_out(services.request_create(actor=user, fields=fields, **extra), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/requests/{public_id}", response=RequestOut, url_name="logistics_request_get")
def request_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return request_out(selectors.request_get(user, public_id), user)


@router.get("/pledges/", response=page_of(PledgeOut), url_name="logistics_pledges_list")
def pledges_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(
        selectors.pledges_visible_to(user),
        namespace="logistics-pledges",
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": [pledge_out(p, user) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/pledges/", response={201: PledgeOut}, url_name="logistics_pledges_create")
def pledges_create(
    request: HttpRequest,
    payload: PledgeIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, pledge_out(services.pledge_create(actor=user, fields=fields, **extra), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/pledges/{public_id}", response=PledgeOut, url_name="logistics_pledge_get")
def pledge_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return pledge_out(selectors.pledge_get(user, public_id), user)


@router.get(
    "/consignments/", response=page_of(ConsignmentOut), url_name="logistics_consignments_list"
)
def consignments_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(
        selectors.consignments_visible_to(user),
        namespace="logistics-consignments",
        limit=query.limit,
        cursor=query.cursor,
    )
    return {
        "items": [consignment_out(c, user) for c in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/consignments/", response={201: ConsignmentOut}, url_name="logistics_consignments_create"
)
def consignments_create(
    request: HttpRequest,
    payload: ConsignmentIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    lines = fields.pop("lines")
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        made = services.consignment_create(actor=user, fields=fields, lines=lines, **extra)
        return 201, consignment_out(selectors.consignment_get(user, made.public_id), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get(
    "/consignments/{public_id}", response=ConsignmentOut, url_name="logistics_consignment_get"
)
def consignment_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return consignment_out(selectors.consignment_get(user, public_id), user)


class StatusIn(Schema):
    status: str = Field(description="in_process, sent, received, cancelled or returning.")
    expected_version: int | None = None


@router.post(
    "/consignments/{public_id}/status",
    response=ConsignmentOut,
    url_name="logistics_consignment_status",
)
def consignment_status(request: HttpRequest, public_id: str, payload: StatusIn) -> dict[str, Any]:
    user = api_user(request)
    row = selectors.consignment_get(user, public_id)
    services.consignment_set_status(
        actor=user,
        consignment=row,
        status=payload.status,
        expected_version=payload.expected_version,
    )
    return consignment_out(selectors.consignment_get(user, public_id), user)


@router.get("/stated-totals/", response=list[StatedOut], url_name="logistics_stated_list")
def stated_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [stated_out(s) for s in selectors.stated_totals_visible_to(api_user(request))]


@router.get("/stated-totals/{code}", response=StatedOut, url_name="logistics_stated_get")
def stated_get(request: HttpRequest, code: str) -> dict[str, Any]:
    return stated_out(selectors.stated_total_get(api_user(request), code))
