"""Scenario sections of convoys: convoys with their journey, their lorries, deliveries.

`convoys.convoys` (YAML, list `convoys`): reference, name, owner, origin, destinations,
crossing_points, planned_departure, escort_organisation, escort_description, source,
confidence, visibility; `consignments` (references of truce.logistics consignments whose
lines become the loads) and/or `loads` ([{item, quantity}]); `route` (a LineString the
scenario draws, with `route_note` saying what it was drawn on); `events`
([{status, occurred_at, note}], in order: in_transit dispatches the loads from the
origin's stock); `positions` ([{lon, lat, reported_at}]); `arrival`
({occurred_at, losses: [{item, quantity, reason, note}]}: every load not lost is received).
`convoys.lorries` (CSV): convoy, plate, driver_name, driver_phone, capacity_t, load_t, source.
`convoys.deliveries` (CSV): convoy, item, quantity, delivered_on, settlement, shelter,
recipient, people, source, visibility.

All go through truce.convoys.services as the system (actor None). A convoy already in
the database (by reference) is left as it is ("unchanged"): a convoy's journey is a
history, corrected through the services, not re-synchronised from the file. A lorry is
keyed by convoy and plate, a delivery by convoy, item, day and place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from truce.convoys import services
from truce.convoys.models import Convoy, ConvoyStatus, Delivery, Lorry, LossReason
from truce.core.errors import DomainError
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Section,
    SectionType,
    csv_rows,
    register_section,
)
from truce.core.scenario.files import yaml_entries

CONVOY_KEYS = {
    "reference",
    "name",
    "owner",
    "origin",
    "destinations",
    "crossing_points",
    "planned_departure",
    "escort_organisation",
    "escort_description",
    "source",
    "confidence",
    "visibility",
    "consignments",
    "loads",
    "route",
    "route_note",
    "events",
    "positions",
    "arrival",
    "notes",
}
PLAN_FIELDS = (
    "reference",
    "name",
    "owner",
    "origin",
    "destinations",
    "crossing_points",
    "planned_departure",
    "escort_organisation",
    "escort_description",
    "source",
    "confidence",
    "notes",
)


def parse_convoys(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _document in yaml_entries(section, "convoys"):
        raw.only(CONVOY_KEYS)
        reference = raw.text("reference", required=True)
        raw.keyed("reference", reference)
        entry = raw.data
        fields = {name: entry[name] for name in PLAN_FIELDS if entry.get(name) is not None}
        for event in entry.get("events") or []:
            if not isinstance(event, dict) or event.get("status") not in ConvoyStatus.values:
                raise raw.error(f"an event needs a status of {ConvoyStatus.values}", "events")
        for loss in (entry.get("arrival") or {}).get("losses") or []:
            if loss.get("reason") not in LossReason.values:
                raise raw.error(f"a loss needs a reason of {LossReason.values}", "arrival")
        item = Item(
            file=raw.file,
            label=raw.label,
            key=reference,
            fields=fields,
            visibility=raw.visibility(),
            extra={
                name: entry.get(name)
                for name in (
                    "consignments",
                    "loads",
                    "route",
                    "route_note",
                    "events",
                    "positions",
                    "arrival",
                )
            },
        )
        ctx.declare("convoy", item)
        items.append(item)
    return items


def _loads(item: Item, convoy: Convoy) -> None:
    from truce.logistics.models import Consignment

    for reference in item.extra.get("consignments") or []:
        consignment = Consignment.objects.filter(reference=reference, is_deleted=False).first()
        if consignment is None:
            raise item.error(f"unknown consignment {reference!r}", "consignments")
        for line in consignment.lines.filter(is_deleted=False).select_related("item"):
            services.load_add(
                actor=None,
                convoy=convoy,
                item=line.item,
                quantity=line.quantity,
                consignment=consignment,
                source=consignment.source,
            )
    for load in item.extra.get("loads") or []:
        services.load_add(
            actor=None,
            convoy=convoy,
            item=load.get("item"),
            quantity=load.get("quantity"),
            source=str(load.get("source") or item.fields.get("source") or ""),
        )


def _journey(item: Item, convoy: Convoy) -> Convoy:
    arrival = item.extra.get("arrival") or {}
    for event in item.extra.get("events") or []:
        if event["status"] == ConvoyStatus.ARRIVED:
            continue  # the arrival below reconciles the loads and marks it arrived
        convoy = services.convoy_status_change(
            actor=None,
            convoy=convoy,
            status=event["status"],
            occurred_at=event.get("occurred_at"),
            note=str(event.get("note") or ""),
        )
    for position in item.extra.get("positions") or []:
        services.position_report(
            actor=None,
            convoy=convoy,
            lon=position.get("lon"),
            lat=position.get("lat"),
            reported_at=position.get("reported_at"),
            note=str(position.get("note") or ""),
        )
    if arrival:
        losses: dict[str, list[dict[str, Any]]] = {}
        for loss in arrival.get("losses") or []:
            losses.setdefault(str(loss.get("item")), []).append(loss)
        lines = []
        for load in convoy.loads.filter(is_deleted=False).select_related("item"):
            mine = losses.pop(load.item.code, [])
            lost = sum((Decimal(str(x["quantity"])) for x in mine), Decimal(0))
            lines.append(
                {
                    "load": load,
                    "received": load.quantity - lost,
                    "losses": mine,
                    "into": arrival.get("into"),
                }
            )
        if losses:
            raise item.error(
                f"losses of items the convoy did not carry: {sorted(losses)}", "arrival"
            )
        convoy = services.convoy_arrive(
            actor=None,
            convoy=convoy,
            occurred_at=arrival.get("occurred_at"),
            lines=lines,
            note=str(arrival.get("note") or ""),
        )
    return convoy


def write_convoy(ctx: LoadContext, item: Item) -> Outcome:
    if Convoy.objects.filter(reference=item.key).exists():
        return "unchanged"
    try:
        fields = dict(item.fields)
        route = item.extra.get("route")
        if route:
            fields["route_geometry"] = route
            fields["route_found"] = True
            fields["route_planned_on"] = {
                "method": "scenario",
                "note": item.extra.get("route_note") or "drawn by the scenario author",
            }
        convoy = services.convoy_create(actor=None, fields=fields, visibility=item.visibility)
        _loads(item, convoy)
        _journey(item, convoy)
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created"


LORRY_COLUMNS = ("convoy", "plate", "driver_name", "driver_phone", "capacity_t", "load_t", "source")


def parse_lorries(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, LORRY_COLUMNS, ("convoy", "plate")):
        convoy = raw.text("convoy", required=True)
        if not ctx.known("convoy", convoy, Convoy, "reference"):
            raise raw.error(f"unknown convoy {convoy!r}", "convoy")
        plate = raw.text("plate", required=True)
        key = f"{convoy}/{plate}"
        raw.keyed("lorry", key)
        fields = {
            "plate": plate,
            "driver_name": raw.text("driver_name"),
            "driver_phone": raw.text("driver_phone"),
            "capacity_t": raw.number("capacity_t", required=False),
            "load_t": raw.number("load_t", required=False),
            "source": raw.text("source", max_length=500),
        }
        item = Item(
            file=raw.file, label=raw.label, key=key, fields=fields, extra={"convoy": convoy}
        )
        ctx.declare("convoy_lorry", item)
        items.append(item)
    return items


def write_lorry(ctx: LoadContext, item: Item) -> Outcome:
    convoy = Convoy.objects.get(reference=item.extra["convoy"])
    if Lorry.objects.filter(convoy=convoy, plate=item.fields["plate"], is_deleted=False).exists():
        return "unchanged"
    try:
        services.lorry_add(actor=None, convoy=convoy, fields=item.fields)
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created"


DELIVERY_COLUMNS = (
    "convoy",
    "item",
    "quantity",
    "delivered_on",
    "settlement",
    "shelter",
    "recipient",
    "people",
    "source",
    "visibility",
)


def parse_deliveries(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, DELIVERY_COLUMNS, ("item", "quantity", "delivered_on")):
        convoy = raw.text("convoy")
        if convoy and not ctx.known("convoy", convoy, Convoy, "reference"):
            raise raw.error(f"unknown convoy {convoy!r}", "convoy")
        day = raw.date("delivered_on")
        if day is None:
            raise raw.error("is required", "delivered_on")
        place = raw.text("settlement") or raw.text("shelter") or raw.text("recipient")
        key = f"{convoy}/{raw.text('item')}/{day.isoformat()}/{place}"
        raw.keyed("delivery", key)
        quantity = raw.number("quantity")
        if quantity is None or quantity <= 0:
            raise raw.error("must be more than zero", "quantity")
        fields = {
            "convoy": convoy or None,
            "item": raw.text("item", required=True),
            "quantity": Decimal(str(quantity)),
            "delivered_on": day,
            "settlement": raw.text("settlement") or None,
            "shelter": raw.text("shelter") or None,
            "recipient": raw.text("recipient") or None,
            "people": raw.integer("people", required=False),
            "source": raw.text("source", max_length=500),
        }
        item = Item(
            file=raw.file, label=raw.label, key=key, fields=fields, visibility=raw.visibility()
        )
        ctx.declare("convoy_delivery", item)
        items.append(item)
    return items


def write_delivery(ctx: LoadContext, item: Item) -> Outcome:
    f = item.fields
    found = Delivery.objects.filter(
        convoy__reference=f["convoy"],
        item__code=f["item"],
        delivered_on=f["delivered_on"],
        is_deleted=False,
    )
    if f["settlement"]:
        found = found.filter(settlement__pcode=f["settlement"])
    if f["shelter"]:
        found = found.filter(shelter__code=f["shelter"])
    if found.exists():
        return "unchanged"
    try:
        services.delivery_record(actor=None, fields=f, visibility=item.visibility)
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created"


for _section_type in (
    SectionType(
        "convoys.convoys",
        parse_convoys,
        write_convoy,
        "Convoys: plan, loads, route, status history, positions, arrival (YAML)",
    ),
    SectionType("convoys.lorries", parse_lorries, write_lorry, "Lorries of convoys (CSV)"),
    SectionType(
        "convoys.deliveries",
        parse_deliveries,
        write_delivery,
        "Deliveries to settlements, shelters and organisations (CSV)",
    ),
):
    register_section(_section_type)
