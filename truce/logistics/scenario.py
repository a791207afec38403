"""Scenario sections of aid logistics (YAML), written through truce.logistics.services.

- `logistics.items`: the catalogue (`items:` code, name, category, unit, unit_weight_kg,
  unit_volume_m3, notes, source, confidence, visibility); keyed by code.
- `logistics.warehouses`: the record beside each warehouse facility (`warehouses:`
  facility, capacity_t, capacity_m3, operator, notes, source, visibility); keyed by facility.
- `logistics.stock`: stock movements (`movements:` warehouse, item, reason, quantity,
  unit, occurred_at, reference, note, source); keyed by warehouse, item, reason, time and
  reference, so a second load finds each and writes nothing.
- `logistics.requests` and `logistics.pledges`: each entry has a `key` so that a pledge
  can name the request it answers; the key is not stored, so a second load finds a row
  by who, what, the day and the source.
- `logistics.consignments`: reference, origin, owner, status, prepared_on, description,
  lines (item, quantity, unit, value, currency); keyed by reference.
- `logistics.stated_totals`: figures as a source states them; keyed by code.

All are written as the system (actor None), in the loader's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Facility, Organisation
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    register_section,
    yaml_entries,
)
from truce.core.scenario.sync import visibility_changed
from truce.logistics import services
from truce.logistics.models import (
    Consignment,
    ConsignmentStatus,
    ItemCategory,
    Pledge,
    PledgeStatus,
    Reason,
    Request,
    RequestStatus,
    StatedTotal,
    StockMovement,
    Unit,
    Warehouse,
)
from truce.logistics.models import Item as CatalogueItem

NS_ITEM = "logistics_item"


def _entries(section: Section, key: str, allowed: tuple[str, ...]) -> list[Raw]:
    raws = []
    for raw, _doc in yaml_entries(section, key):
        raw.only(allowed)
        raws.append(raw)
    return raws


def _item_code(ctx: LoadContext, raw: Raw, name: str = "item") -> str:
    code = raw.text(name, required=True)
    if not ctx.known(NS_ITEM, code, CatalogueItem, "code"):
        raise raw.error(f"unknown item {code!r}", name)
    return code


def _facility(ctx: LoadContext, raw: Raw, name: str) -> str:
    code = raw.text(name, required=True)
    if not ctx.known("facility", code, Facility, "code"):
        raise raw.error(f"unknown facility {code!r}", name)
    return code


def _organisation(ctx: LoadContext, raw: Raw, name: str, *, required: bool = True) -> str:
    code = raw.text(name, required=required)
    if code and not ctx.known("organisation", code, Organisation, "code"):
        raise raw.error(f"unknown organisation {code!r}", name)
    return code


def _guard(item: Item, write: Callable[[], Outcome]) -> Outcome:
    try:
        return write()
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def _number(raw: Raw, name: str, *, required: bool = True) -> str | None:
    value = raw.number(name, required=required)
    # Keep the figure as written (Decimal from text): 0.1 t stays 0.1 t.
    return None if value is None else str(raw.data[name]).strip()


# --- items ---

ITEM_KEYS = (
    "code",
    "name",
    "category",
    "unit",
    "unit_weight_kg",
    "unit_volume_m3",
    "notes",
    "source",
    "confidence",
    "visibility",
)


def parse_items(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "items", ITEM_KEYS):
        code = raw.text("code", required=True)
        raw.keyed("item", code)
        fields = {
            "code": code,
            "name": raw.text("name", required=True, max_length=200),
            "category": raw.choice("category", ItemCategory.values),
            "unit": raw.choice("unit", Unit.values),
            "unit_weight_kg": _number(raw, "unit_weight_kg"),
            "unit_volume_m3": _number(raw, "unit_volume_m3", required=False),
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.text("confidence"),
        }
        item = Item(raw.file, raw.label, code, fields, raw.visibility())
        ctx.declare(NS_ITEM, item)
        items.append(item)
    return items


def _changes(record: Any, fields: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for name, value in fields.items():
        current = getattr(record, name)
        if value is None or current is None:
            if value != current:
                changes[name] = value
        elif str(current) != str(value) and not _same_number(current, value):
            changes[name] = value
    return changes


def _same_number(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def write_item(ctx: LoadContext, item: Item) -> Outcome:
    def go() -> Outcome:
        existing = CatalogueItem.objects.filter(code=item.key).first()
        if existing is None:
            services.item_create(actor=None, fields=item.fields, visibility=item.visibility)
            return "created"
        changes = _changes(existing, item.fields)
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.item_update(
            actor=None,
            item=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"

    return _guard(item, go)


# --- warehouses ---

WAREHOUSE_KEYS = (
    "facility",
    "capacity_t",
    "capacity_m3",
    "operator",
    "notes",
    "source",
    "confidence",
    "visibility",
)


def parse_warehouses(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "warehouses", WAREHOUSE_KEYS):
        code = _facility(ctx, raw, "facility")
        raw.keyed("facility", code)
        fields = {
            "capacity_t": _number(raw, "capacity_t", required=False),
            "capacity_m3": _number(raw, "capacity_m3", required=False),
            "operator": _organisation(ctx, raw, "operator", required=False) or None,
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.text("confidence"),
        }
        vis = raw.visibility() if raw.data.get("visibility") else None
        item = Item(raw.file, raw.label, code, fields, vis)
        ctx.declare("logistics_warehouse", item)
        items.append(item)
    return items


def write_warehouse(ctx: LoadContext, item: Item) -> Outcome:
    def go() -> Outcome:
        existing = Warehouse.objects.filter(facility__code=item.key).first()
        if existing is not None:
            wanted = {k: v for k, v in item.fields.items() if k != "operator"}
            op = existing.operator.code if existing.operator else None
            if not _changes(existing, wanted) and op == item.fields["operator"]:
                return "unchanged"
        services.warehouse_record(
            actor=None, facility=item.key, fields=item.fields, visibility=item.visibility
        )
        return "created" if existing is None else "updated"

    return _guard(item, go)


# --- stock movements ---

MOVEMENT_KEYS = (
    "warehouse",
    "item",
    "reason",
    "quantity",
    "unit",
    "occurred_at",
    "reference",
    "consignment",
    "note",
    "source",
)


def parse_stock(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "movements", MOVEMENT_KEYS):
        warehouse = _facility(ctx, raw, "warehouse")
        code = _item_code(ctx, raw)
        reason = raw.choice("reason", Reason.values)
        when = raw.text("occurred_at", required=True)
        try:
            moment = services.time_of(when)
        except DomainError as exc:
            raise raw.error(exc.message, "occurred_at") from None
        reference = raw.text("reference", max_length=100)
        key = f"{warehouse}/{code}/{reason}/{moment.isoformat()}/{reference}"
        raw.keyed("movement", key)
        fields = {
            "warehouse": warehouse,
            "item": code,
            "quantity": _number(raw, "quantity"),
            "unit": raw.text("unit") or None,
            "occurred_at": moment,
            "reference": reference,
            "consignment": raw.text("consignment") or None,
            "note": raw.text("note", max_length=500),
            "source": raw.text("source", max_length=500),
        }
        item = Item(raw.file, raw.label, key, fields, None, {"reason": reason})
        ctx.declare("logistics_movement", item)
        items.append(item)
    return items


def write_movement(ctx: LoadContext, item: Item) -> Outcome:
    f = item.fields
    reason = item.extra["reason"]

    def go() -> Outcome:
        if StockMovement.objects.filter(
            warehouse__code=f["warehouse"],
            item__code=f["item"],
            reason=reason,
            occurred_at=f["occurred_at"],
            reference=f["reference"],
            is_deleted=False,
        ).exists():
            return "unchanged"
        if reason == Reason.RECEIVED:
            services.stock_receive(actor=None, **f)
        elif reason in (Reason.DISPATCHED, Reason.TRANSFERRED):
            services.stock_dispatch(actor=None, reason=reason, **f)
        else:
            services.stock_adjust(actor=None, reason=reason, **f)
        return "created"

    return _guard(item, go)


# --- requests and pledges ---

REQUEST_KEYS = (
    "key",
    "requested_by",
    "requester",
    "item",
    "quantity",
    "unit",
    "settlement",
    "facility",
    "needed_by",
    "requested_on",
    "status",
    "notes",
    "source",
    "confidence",
    "visibility",
)
PLEDGE_KEYS = (
    "key",
    "donor",
    "item",
    "quantity",
    "unit",
    "request",
    "value",
    "currency",
    "due_by",
    "pledged_on",
    "status",
    "notes",
    "source",
    "confidence",
    "visibility",
)


def parse_requests(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "requests", REQUEST_KEYS):
        key = raw.text("key", required=True)
        raw.keyed("request", key)
        fields = {
            "requested_by": _organisation(ctx, raw, "requested_by", required=False) or None,
            "requester": raw.text("requester"),
            "item": _item_code(ctx, raw),
            "quantity": _number(raw, "quantity"),
            "unit": raw.text("unit") or None,
            "settlement": raw.text("settlement") or None,
            "facility": raw.text("facility") or None,
            "needed_by": raw.date("needed_by"),
            "requested_on": raw.date("requested_on"),
            "status": raw.choice("status", RequestStatus.values, required=False) or "open",
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.text("confidence"),
        }
        item = Item(raw.file, raw.label, key, fields, raw.visibility())
        ctx.declare("logistics_request", item)
        items.append(item)
    return items


def _request_match(fields: dict[str, Any]) -> Request | None:
    return Request.objects.filter(
        item__code=fields["item"],
        requested_on=fields["requested_on"],
        requested_by__code=fields["requested_by"],
        source=fields["source"],
        is_deleted=False,
    ).first()


def write_request(ctx: LoadContext, item: Item) -> Outcome:
    def go() -> Outcome:
        if _request_match(item.fields) is not None:
            return "unchanged"
        row = services.request_create(actor=None, fields=item.fields, visibility=item.visibility)
        ctx.notes[f"logistics_request:{item.key}"] = row.public_id
        return "created"

    return _guard(item, go)


def parse_pledges(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "pledges", PLEDGE_KEYS):
        key = raw.text("key", required=True)
        raw.keyed("pledge", key)
        request = raw.text("request")
        if request and ctx.declared_item("logistics_request", request) is None:
            raise raw.error(f"unknown request {request!r}", "request")
        fields = {
            "donor": _organisation(ctx, raw, "donor"),
            "item": _item_code(ctx, raw),
            "quantity": _number(raw, "quantity"),
            "unit": raw.text("unit") or None,
            "value": _number(raw, "value", required=False),
            "currency": raw.text("currency"),
            "due_by": raw.date("due_by"),
            "pledged_on": raw.date("pledged_on"),
            "status": raw.choice("status", PledgeStatus.values, required=False) or "pledged",
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.text("confidence"),
        }
        item = Item(raw.file, raw.label, key, fields, raw.visibility(), {"request": request})
        ctx.declare("logistics_pledge", item)
        items.append(item)
    return items


def write_pledge(ctx: LoadContext, item: Item) -> Outcome:
    f = item.fields

    def go() -> Outcome:
        if Pledge.objects.filter(
            donor__code=f["donor"],
            item__code=f["item"],
            pledged_on=f["pledged_on"],
            source=f["source"],
            is_deleted=False,
        ).exists():
            return "unchanged"
        fields = dict(f)
        request_key = item.extra["request"]
        if request_key:
            declared = ctx.declared_item("logistics_request", request_key)
            assert declared is not None  # checked in parse
            match = _request_match(declared.fields)
            fields["request"] = str(match.public_id) if match else None
        services.pledge_create(actor=None, fields=fields, visibility=item.visibility)
        return "created"

    return _guard(item, go)


# --- consignments ---

CONSIGNMENT_KEYS = (
    "reference",
    "origin",
    "owner",
    "status",
    "prepared_on",
    "description",
    "notes",
    "source",
    "confidence",
    "visibility",
    "lines",
)
LINE_KEYS = ("item", "quantity", "unit", "value", "currency")


def parse_consignments(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "consignments", CONSIGNMENT_KEYS):
        reference = raw.text("reference", required=True)
        raw.keyed("consignment", reference)
        lines_data = raw.data.get("lines")
        if not isinstance(lines_data, list) or not lines_data:
            raise raw.error("a consignment needs a list of lines", "lines")
        lines = []
        for number, entry in enumerate(lines_data, 1):
            line = Raw(
                raw.file, f"{raw.label} line {number}", entry if isinstance(entry, dict) else {}
            )
            line.only(LINE_KEYS)
            lines.append(
                {
                    "item": _item_code(ctx, line),
                    "quantity": _number(line, "quantity"),
                    "unit": line.text("unit") or None,
                    "value": _number(line, "value", required=False),
                    "currency": line.text("currency"),
                }
            )
        fields = {
            "reference": reference,
            "origin": _facility(ctx, raw, "origin"),
            "owner": _organisation(ctx, raw, "owner"),
            "status": raw.choice("status", ConsignmentStatus.values, required=False)
            or "in_process",
            "prepared_on": raw.date("prepared_on"),
            "description": raw.text("description", max_length=300),
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.text("confidence"),
        }
        item = Item(raw.file, raw.label, reference, fields, raw.visibility(), {"lines": lines})
        ctx.declare("logistics_consignment", item)
        items.append(item)
    return items


def write_consignment(ctx: LoadContext, item: Item) -> Outcome:
    def go() -> Outcome:
        # A consignment's lines are its contents when it was made up: a second load
        # leaves it alone (its status moves on through the convoys, not the file).
        if Consignment.objects.filter(reference=item.key).exists():
            return "unchanged"
        services.consignment_create(
            actor=None, fields=item.fields, lines=item.extra["lines"], visibility=item.visibility
        )
        return "created"

    return _guard(item, go)


# --- stated totals ---

STATED_KEYS = (
    "code",
    "what",
    "quantity",
    "unit",
    "qualifier",
    "category",
    "as_of",
    "note",
    "source",
    "confidence",
    "visibility",
)


def parse_stated(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in _entries(section, "stated_totals", STATED_KEYS):
        code = raw.text("code", required=True)
        raw.keyed("stated total", code)
        fields = {
            "code": code,
            "what": raw.text("what", required=True, max_length=300),
            "quantity": _number(raw, "quantity"),
            "unit": raw.choice("unit", Unit.values),
            "qualifier": raw.text("qualifier", max_length=20),
            "category": raw.choice("category", ItemCategory.values, required=False),
            "as_of": raw.date("as_of"),
            "note": raw.text("note"),
            "source": raw.text("source", required=True, max_length=500),
            "confidence": raw.text("confidence"),
        }
        item = Item(raw.file, raw.label, code, fields, raw.visibility())
        ctx.declare("logistics_stated_total", item)
        items.append(item)
    return items


def write_stated(ctx: LoadContext, item: Item) -> Outcome:
    def go() -> Outcome:
        if StatedTotal.objects.filter(code=item.key).exists():
            return "unchanged"
        services.stated_total_create(actor=None, fields=item.fields, visibility=item.visibility)
        return "created"

    return _guard(item, go)


for _section_type in (
    SectionType("logistics.items", parse_items, write_item, "The item catalogue (YAML)"),
    SectionType(
        "logistics.warehouses",
        parse_warehouses,
        write_warehouse,
        "Capacity and operator of each warehouse facility (YAML)",
    ),
    SectionType("logistics.stock", parse_stock, write_movement, "Stock movements (YAML)"),
    SectionType("logistics.requests", parse_requests, write_request, "Requests for goods (YAML)"),
    SectionType("logistics.pledges", parse_pledges, write_pledge, "Pledges of goods (YAML)"),
    SectionType(
        "logistics.consignments",
        parse_consignments,
        write_consignment,
        "Consignments with their lines (YAML)",
    ),
    SectionType(
        "logistics.stated_totals",
        parse_stated,
        write_stated,
        "Figures as a source states them, kept beside the computed ones (YAML)",
    ),
):
    register_section(_section_type)
