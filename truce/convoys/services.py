"""Writes of convoys and deliveries: keyword-only, atomic, through truce.core.records.

Leaving (status in transit) dispatches every load from the origin's stock
through truce.logistics.services.stock_dispatch in the same transaction, so a
convoy cannot leave with more than the stock holds and a refusal writes nothing.
Arrival reconciles each load: received + losses must equal what left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F

from truce.convoys.models import (
    TRANSITIONS,
    Convoy,
    ConvoyEvent,
    ConvoyLoad,
    ConvoyPosition,
    ConvoyStatus,
    Delivery,
    DeliveryTotal,
    LoadLoss,
    Lorry,
    LossReason,
    TotalDimension,
)
from truce.core.errors import DomainError, InvalidInput
from truce.core.models import Facility, FacilityKind, Settlement, User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_update
from truce.core.references import facility_ref, lookup, organisation_ref, settlement_ref
from truce.core.sharing import SHARE_COLUMNS
from truce.lib.time import utcnow

Visibility = Iterable[str] | str | None

DEFAULT_VISIBILITY = ("agencies",)
# Clock skew between a lorry's phone and the server: a report a few minutes ahead is fine.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def ensure_convoy_writer(actor: User | None) -> None:
    """Mission staff with a response role, or agency staff (None is the scenario loader)."""
    ensure_response_writer(
        actor, "only the response centre's staff and agency staff may run convoys"
    )


# --- checks ------------------------------------------------------------------------------


def _decimal(value: Any, name: str, *, required: bool = True, positive: bool = True) -> Any:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise InvalidInput(f"{name} must be more than zero", field=name)
    return number


def _when(value: Any, name: str, *, required: bool = True) -> dt.datetime | None:
    """A time with its zone, not in the future; InvalidInput naming `name`."""
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        raise InvalidInput(f"{name} is a time (YYYY-MM-DDTHH:MM+00:00), not a day", field=name)
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{name} must be a time as YYYY-MM-DDTHH:MM", field=name) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def _not_future(when: dt.datetime, name: str) -> None:
    if when > utcnow() + FUTURE_TOLERANCE:
        raise InvalidInput(f"{name} {when.isoformat()} is in the future", field=name)


def _item(value: Any) -> Any:
    from truce.logistics.models import Item

    row = lookup(Item, None, value, "code")
    if row is None:
        raise InvalidInput(f"unknown item {str(value)!r}", field="item")
    return row


def _consignment(value: Any) -> Any:
    if value in (None, ""):
        return None
    from truce.logistics.models import Consignment

    row = lookup(Consignment, None, value, "reference")
    if row is None:
        raise InvalidInput(f"unknown consignment {str(value)!r}", field="consignment")
    return row


def _weight_t(item: Any, quantity: Decimal) -> Decimal:
    unit_kg = getattr(item, "unit_weight_kg", None) or 0
    return (Decimal(str(unit_kg)) * quantity / Decimal(1000)).quantize(Decimal("0.001"))


def _facility_of(actor: User | None, value: Any, kind: str, name: str) -> Facility:
    place = facility_ref(actor, value, field=name)
    if place is None:
        raise InvalidInput(f"{name} is required", field=name)
    if place.kind != kind:
        raise InvalidInput(f"{place.code} is a {place.kind}, not a {kind}", field=name)
    return place


def _destinations(actor: User | None, values: Sequence[Any]) -> list[dict[str, str]]:
    """Destinations as settlement P-codes or facility codes, resolved and named."""
    resolved = []
    for value in values or []:
        code = str(value.get("code") if isinstance(value, Mapping) else value).strip()
        settlement = lookup(Settlement, actor, code, "pcode")
        if settlement is not None:
            resolved.append(
                {"kind": "settlement", "code": settlement.pcode, "name": settlement.display_name}
            )
            continue
        place = lookup(Facility, actor, code, "code")
        if place is None:
            raise InvalidInput(f"unknown destination {code!r}", field="destinations")
        resolved.append({"kind": "facility", "code": place.code, "name": place.name})
    return resolved


def _check_convoy(actor: User | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "owner":
            owner = organisation_ref(actor, value, field="owner")
            if owner is None:
                raise InvalidInput("owner is required", field="owner")
            checked["owner"] = owner
        elif name == "escort_organisation":
            checked[name] = organisation_ref(actor, value, field=name)
        elif name == "origin":
            checked["origin"] = _facility_of(actor, value, FacilityKind.WAREHOUSE, "origin")
        elif name == "destinations":
            checked["destinations"] = _destinations(actor, value)
        elif name == "crossing_points":
            checked["crossing_points"] = [
                _facility_of(actor, code, FacilityKind.CHECKPOINT, "crossing_points").code
                for code in value or []
            ]
        elif name == "planned_departure":
            checked[name] = _when(value, name)
        elif name in {"reference", "name", "escort_description", "notes", "source", "confidence"}:
            checked[name] = "" if value is None else str(value).strip()
        elif name in {"route_geometry", "route_planned_on", "route_found", "route_length_m"}:
            checked[name] = value
        else:
            raise InvalidInput(f"unknown field {name!r}", field=name)
    return checked


# --- convoys ------------------------------------------------------------------------------


@transaction.atomic
def convoy_create(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> Convoy:
    """A convoy in preparation: reference, name, owner, origin warehouse, destinations..."""
    ensure_convoy_writer(actor)
    for name in ("reference", "name", "owner", "origin", "planned_departure"):
        if fields.get(name) in (None, ""):
            raise InvalidInput(f"{name} is required", field=name)
    checked = _check_convoy(actor, fields)
    if Convoy.objects.filter(reference=checked["reference"]).exists():
        raise InvalidInput(f"convoy {checked['reference']} already exists", field="reference")
    convoy = record_create(actor=actor, model=Convoy, fields=checked, visibility=visibility)
    record_create(
        actor=actor,
        model=ConvoyEvent,
        fields={
            "convoy": convoy,
            "status": ConvoyStatus.PREPARING,
            "occurred_at": min(checked["planned_departure"], utcnow()),
            "note": "created",
        },
        visibility=convoy.visibility,
    )
    return convoy


@transaction.atomic
def convoy_update(
    *, actor: User | None, convoy: Convoy, expected_version: int | None, changes: Mapping[str, Any]
) -> Convoy:
    """A new version of a convoy's plan (not its status: use convoy_status_change)."""
    ensure_convoy_writer(actor)
    if "reference" in changes:
        raise InvalidInput("a convoy's reference cannot change", field="reference")
    checked = _check_convoy(actor, changes)
    return record_update(
        actor=actor, record=convoy, expected_version=expected_version, changes=checked
    )


def _lorry_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in fields.items():
        if name in {"capacity_t", "load_t"}:
            checked[name] = _decimal(value, name, required=False, positive=False)
        elif name in {"plate", "driver_name", "driver_phone", "source"}:
            checked[name] = "" if value is None else str(value).strip()
        else:
            raise InvalidInput(f"unknown field {name!r}", field=name)
    capacity, load = checked.get("capacity_t"), checked.get("load_t")
    if capacity is not None and load is not None and load > capacity:
        raise InvalidInput(f"load {load} t is more than the capacity {capacity} t", field="load_t")
    return checked


@transaction.atomic
def lorry_add(*, actor: User | None, convoy: Convoy, fields: Mapping[str, Any]) -> Lorry:
    """A lorry of the convoy (plate, driver, phone, capacity and load in tonnes)."""
    ensure_convoy_writer(actor)
    checked = _lorry_fields(fields)
    if not checked.get("plate"):
        raise InvalidInput("plate is required", field="plate")
    if Lorry.objects.filter(convoy=convoy, plate=checked["plate"], is_deleted=False).exists():
        raise InvalidInput(f"lorry {checked['plate']} is already in the convoy", field="plate")
    return record_create(
        actor=actor, model=Lorry, fields={"convoy": convoy, **checked}, visibility=convoy.visibility
    )


@transaction.atomic
def load_add(
    *,
    actor: User | None,
    convoy: Convoy,
    item: Any,
    quantity: Any,
    consignment: Any = None,
    source: str = "",
) -> ConvoyLoad:
    """A load: an item and quantity (from a consignment of truce.logistics, or not)."""
    ensure_convoy_writer(actor)
    if convoy.status != ConvoyStatus.PREPARING:
        raise InvalidInput("loads are added while the convoy is preparing", field="status")
    row = _item(item)
    amount = _decimal(quantity, "quantity")
    return record_create(
        actor=actor,
        model=ConvoyLoad,
        fields={
            "convoy": convoy,
            "item": row,
            "quantity": amount,
            "weight_t": _weight_t(row, amount),
            "consignment": _consignment(consignment),
            "source": source,
        },
        visibility=convoy.visibility,
    )


@transaction.atomic
def convoy_plan_route(
    *, actor: User | None, convoy: Convoy, weight_t: float | None = None
) -> Convoy:
    """(Re-)plan the route with truce.routing; a route that cannot be planned keeps why."""
    from truce.routing.services import plan_route

    ensure_convoy_writer(actor)
    if not convoy.destinations:
        raise InvalidInput("the convoy has no destination to plan to", field="destinations")
    target = convoy.destinations[-1]["code"]
    heaviest = weight_t
    if heaviest is None:
        loads = [lorry.load_t for lorry in convoy.lorries.filter(is_deleted=False) if lorry.load_t]
        heaviest = float(max(loads)) if loads else None
    planned_on: dict[str, Any] = {
        "method": "truce.routing.plan_route",
        "from": convoy.origin.code,
        "to": target,
        "profile": "lorry",
        "weight_t": heaviest,
    }
    changes: dict[str, Any]
    try:
        plan = plan_route(
            user=actor,
            origin=convoy.origin.code,
            destination=target,
            profile="lorry",
            weight_t=heaviest,
        )
    except DomainError as exc:
        changes = {
            "route_found": False,
            "route_length_m": None,
            "route_duration_s": None,
            "route_blockers": [{"reason": exc.message, "field": exc.field}],
        }
    else:
        planned_on["network"] = plan.network
        changes = {
            "route_found": plan.found,
            "route_length_m": plan.length_m,
            "route_duration_s": plan.duration_s,
            "route_geometry": plan.geometry,
            "route_blockers": plan.blockers,
        }
    changes["route_planned_on"] = planned_on
    changes["route_planned_at"] = utcnow()
    return record_update(actor=actor, record=convoy, expected_version=None, changes=changes)


def _event(actor: User | None, convoy: Convoy, status: str, when: dt.datetime, note: str) -> None:
    record_create(
        actor=actor,
        model=ConvoyEvent,
        fields={"convoy": convoy, "status": status, "occurred_at": when, "note": note},
        visibility=convoy.visibility,
    )


def _dispatch_loads(actor: User | None, convoy: Convoy, when: dt.datetime) -> None:
    from truce.logistics.services import stock_dispatch

    for load in convoy.loads.filter(is_deleted=False).select_related("item"):
        try:
            stock_dispatch(
                actor=actor,
                warehouse=convoy.origin,
                item=load.item,
                quantity=load.quantity,
                occurred_at=when,
                consignment=load.consignment,
                reference=convoy.reference,
                source=load.source or convoy.source,
            )
        except InvalidInput as exc:
            raise InvalidInput(
                f"load {load.item.code} ({load.quantity}): {exc.message}", field="loads"
            ) from None
        record_update(
            actor=actor, record=load, expected_version=None, changes={"dispatched_at": when}
        )


@transaction.atomic
def convoy_status_change(
    *,
    actor: User | None,
    convoy: Convoy,
    status: str,
    occurred_at: Any,
    note: str = "",
    expected_version: int | None = None,
) -> Convoy:
    """Move the convoy on (preparing -> in transit -> unloading -> arrived, ...) at a time.

    In transit dispatches the loads from the origin's stock; arrived before it left,
    or a time in the future, is InvalidInput on occurred_at and nothing is written.
    """
    ensure_convoy_writer(actor)
    if status not in ConvoyStatus.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    current = Convoy.objects.select_for_update().get(pk=convoy.pk)
    if status not in TRANSITIONS[ConvoyStatus(current.status)]:
        raise InvalidInput(f"a convoy {current.status} cannot become {status}", field="status")
    when = _when(occurred_at, "occurred_at")
    assert when is not None
    _not_future(when, "occurred_at")
    last = current.events.filter(is_deleted=False).order_by("-occurred_at").first()
    if current.departed_at is not None and when < current.departed_at:
        raise InvalidInput(
            f"occurred_at {when.isoformat()} is before the convoy left "
            f"({current.departed_at.isoformat()})",
            field="occurred_at",
        )
    if last is not None and when < last.occurred_at and status != ConvoyStatus.IN_TRANSIT:
        raise InvalidInput(
            f"occurred_at is before the last status change ({last.occurred_at.isoformat()})",
            field="occurred_at",
        )
    changes: dict[str, Any] = {"status": status}
    if status == ConvoyStatus.IN_TRANSIT:
        if not current.loads.filter(is_deleted=False).exists():
            raise InvalidInput("the convoy has no loads to carry", field="loads")
        _dispatch_loads(actor, current, when)
        changes["departed_at"] = when
    if status == ConvoyStatus.ARRIVED:
        changes["arrived_at"] = when
    updated = record_update(
        actor=actor, record=current, expected_version=expected_version, changes=changes
    )
    _event(actor, updated, status, when, note)
    return updated


@transaction.atomic
def convoy_arrive(
    *,
    actor: User | None,
    convoy: Convoy,
    occurred_at: Any,
    lines: Sequence[Mapping[str, Any]],
    note: str = "",
) -> Convoy:
    """Reconcile the arrival against what left, per load, and mark the convoy arrived.

    Each line: `load` (a ConvoyLoad or its public id), `received` and `losses`
    ([{quantity, reason, note}]); received + losses must equal the load. With
    `into` (a warehouse code), the received goods go into that warehouse's stock.
    Every load that left must be accounted for.
    """
    from truce.logistics.services import stock_receive

    ensure_convoy_writer(actor)
    current = Convoy.objects.select_for_update().get(pk=convoy.pk)
    if current.status not in (ConvoyStatus.IN_TRANSIT, ConvoyStatus.UNLOADING):
        raise InvalidInput(f"a convoy {current.status} cannot arrive", field="status")
    when = _when(occurred_at, "occurred_at")
    assert when is not None
    _not_future(when, "occurred_at")
    if current.departed_at is not None and when < current.departed_at:
        raise InvalidInput(
            f"occurred_at {when.isoformat()} is before the convoy left "
            f"({current.departed_at.isoformat()})",
            field="occurred_at",
        )
    loads = {str(load.public_id): load for load in current.loads.filter(is_deleted=False)}
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        raw = line.get("load")
        key = str(raw.public_id) if isinstance(raw, ConvoyLoad) else str(raw)
        load = loads.get(key)
        if load is None:
            raise InvalidInput(f"line {number}: not a load of this convoy", field="load")
        if key in seen:
            raise InvalidInput(f"line {number}: load given twice", field="load")
        seen.add(key)
        received = _decimal(line.get("received"), "received", positive=False)
        lost = Decimal(0)
        losses = []
        for loss in line.get("losses") or []:
            amount = _decimal(loss.get("quantity"), "losses")
            reason = str(loss.get("reason") or "")
            if reason not in LossReason.values:
                raise InvalidInput(
                    f"line {number}: a loss needs a reason ({', '.join(LossReason.values)})",
                    field="reason",
                )
            lost += amount
            losses.append((amount, reason, str(loss.get("note") or "")))
        if received + lost != load.quantity:
            raise InvalidInput(
                f"load {load.item.code}: {load.quantity} left, {received} received and "
                f"{lost} lost: {load.quantity - received - lost} not accounted for",
                field="losses",
            )
        into = line.get("into")
        warehouse = _facility_of(actor, into, FacilityKind.WAREHOUSE, "into") if into else None
        for amount, reason, text in losses:
            record_create(
                actor=actor,
                model=LoadLoss,
                fields={"load": load, "quantity": amount, "reason": reason, "note": text},
                visibility=current.visibility,
            )
        record_update(
            actor=actor,
            record=load,
            expected_version=None,
            changes={"received_quantity": received, "received_into": warehouse},
        )
        if warehouse is not None and received > 0:
            stock_receive(
                actor=actor,
                warehouse=warehouse,
                item=load.item,
                quantity=received,
                occurred_at=when,
                consignment=load.consignment,
                reference=current.reference,
                source=load.source or current.source,
            )
    missing = set(loads) - seen
    if missing:
        names = ", ".join(sorted(loads[k].item.code for k in missing))
        raise InvalidInput(f"loads not accounted for: {names}", field="lines")
    updated = record_update(
        actor=actor,
        record=current,
        expected_version=None,
        changes={"status": ConvoyStatus.ARRIVED, "arrived_at": when},
    )
    _event(actor, updated, ConvoyStatus.ARRIVED, when, note)
    return updated


@transaction.atomic
def position_report(
    *,
    actor: User | None,
    convoy: Convoy,
    lon: Any,
    lat: Any,
    reported_at: Any,
    note: str = "",
) -> ConvoyPosition:
    """Where the convoy is (for the map of convoys in transit)."""
    ensure_convoy_writer(actor)
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput("lon and lat must be numbers", field="lon") from None
    if not -180 <= x <= 180:
        raise InvalidInput("lon out of range", field="lon")
    if not -90 <= y <= 90:
        raise InvalidInput("lat out of range", field="lat")
    when = _when(reported_at, "reported_at")
    assert when is not None
    _not_future(when, "reported_at")
    return record_create(
        actor=actor,
        model=ConvoyPosition,
        fields={"convoy": convoy, "lon": x, "lat": y, "reported_at": when, "note": note},
        visibility=convoy.visibility,
    )


# --- deliveries ------------------------------------------------------------------------------


def _bump(delivery: Delivery, sign: int) -> None:
    """Add (or take away) one delivery in the rollup rows, in the write transaction."""
    flags = {column: getattr(delivery, column) for column in SHARE_COLUMNS.values()}
    keys = [(TotalDimension.ITEM, "")]
    if delivery.settlement is not None:
        keys.append((TotalDimension.SETTLEMENT, delivery.settlement.pcode))
    keys.append((TotalDimension.SOURCE, delivery.source or ""))
    for dimension, key in keys:
        row, _ = DeliveryTotal.objects.select_for_update().get_or_create(
            dimension=dimension, key=key, item_id=delivery.item_id, **flags
        )
        DeliveryTotal.objects.filter(pk=row.pk).update(
            quantity=F("quantity") + sign * delivery.quantity,
            weight_t=F("weight_t") + sign * delivery.weight_t,
            people=F("people") + sign * (delivery.people or 0),
            deliveries=F("deliveries") + sign,
        )


@transaction.atomic
def delivery_record(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> Delivery:
    """What reached a settlement, shelter or organisation, for how many people, from where."""
    ensure_convoy_writer(actor)
    checked: dict[str, Any] = {}
    item = _item(fields.get("item"))
    quantity = _decimal(fields.get("quantity"), "quantity")
    day = fields.get("delivered_on")
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("delivered_on must be YYYY-MM-DD", field="delivered_on") from None
    if not isinstance(day, dt.date):
        raise InvalidInput("delivered_on is required", field="delivered_on")
    if day > utcnow().date() + dt.timedelta(days=1):
        raise InvalidInput(f"delivered_on {day} is in the future", field="delivered_on")
    checked.update(item=item, quantity=quantity, weight_t=_weight_t(item, quantity))
    checked["delivered_on"] = day
    checked["settlement"] = settlement_ref(actor, fields.get("settlement"), field="settlement")
    shelter = fields.get("shelter")
    checked["shelter"] = (
        _facility_of(actor, shelter, FacilityKind.SHELTER, "shelter") if shelter else None
    )
    checked["recipient"] = organisation_ref(actor, fields.get("recipient"), field="recipient")
    if not (checked["settlement"] or checked["shelter"] or checked["recipient"]):
        raise InvalidInput(
            "say where it went: settlement, shelter or recipient", field="settlement"
        )
    if checked["shelter"] is not None and checked["settlement"] is None:
        checked["settlement"] = checked["shelter"].settlement
    people = fields.get("people")
    if people not in (None, ""):
        try:
            checked["people"] = int(people)
        except (TypeError, ValueError):
            raise InvalidInput("people must be a whole number", field="people") from None
        if checked["people"] < 0:
            raise InvalidInput("people cannot be negative", field="people")
    convoy = fields.get("convoy")
    if convoy not in (None, ""):
        row = convoy if isinstance(convoy, Convoy) else lookup(Convoy, None, convoy, "reference")
        if row is None:
            raise InvalidInput(f"unknown convoy {convoy!r}", field="convoy")
        if row.departed_at is None:
            raise InvalidInput(f"convoy {row.reference} has not left", field="convoy")
        if day < row.departed_at.date():
            raise InvalidInput("delivered_on is before the convoy left", field="delivered_on")
        checked["convoy"] = row
        load = row.loads.filter(item=item, is_deleted=False).first()
        if load is None:
            raise InvalidInput(f"convoy {row.reference} carried no {item.code}", field="item")
        delivered = sum(
            (d.quantity for d in Delivery.objects.filter(load=load, is_deleted=False)), Decimal(0)
        )
        left = load.received_quantity if load.received_quantity is not None else load.quantity
        if delivered + quantity > left:
            raise InvalidInput(
                f"convoy {row.reference} brought {left} of {item.code}; {delivered} already "
                f"delivered, {quantity} more is too much",
                field="quantity",
            )
        checked["load"] = load
        checked["consignment"] = load.consignment
    if fields.get("consignment") and "consignment" not in checked:
        checked["consignment"] = _consignment(fields.get("consignment"))
    for name in ("notes", "source", "confidence"):
        if fields.get(name):
            checked[name] = str(fields[name])
    delivery = record_create(actor=actor, model=Delivery, fields=checked, visibility=visibility)
    _bump(delivery, +1)
    return delivery
