"""Writes of aid logistics: catalogue, warehouses, stock movements, requests, pledges,
consignments and stated totals.

Every service is keyword-only and atomic and goes through truce.core.records (the
ledger entry in the same transaction). Stock changes only here: `stock_receive`,
`stock_dispatch` and `stock_adjust` take the ledger head first (the one lock order
of every write), then lock the level's row (`select_for_update`), check the new
level, write the movement, the level and the day's rollup together. The database's
CHECK (`quantity >= 0`) stands behind the check: a level below zero cannot commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F

from truce.core.errors import InvalidInput
from truce.core.models import Facility, FacilityKind, Organisation, User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_update
from truce.core.references import facility_ref, lookup, organisation_ref, settlement_ref
from truce.core.sharing import SHARE_COLUMNS, visibility_of
from truce.ledger.services import ledger_lock
from truce.lib.time import utcnow
from truce.logistics.models import (
    ADJUSTMENTS,
    OUTGOING,
    Consignment,
    ConsignmentLine,
    ConsignmentStatus,
    Item,
    ItemCategory,
    Pledge,
    PledgeStatus,
    Reason,
    Request,
    RequestStatus,
    StatedTotal,
    StockDaily,
    StockItemDaily,
    StockLevel,
    StockMovement,
    StockTotal,
    Unit,
    Warehouse,
)

Visibility = Iterable[str] | str | None

# Catalogue, requests, pledges and consignments are the agencies' working picture.
DEFAULT_VISIBILITY = ("agencies",)
# Mass units convert into each other; other units only into themselves.
MASS_KG = {Unit.KG.value: Decimal(1), Unit.TONNE.value: Decimal(1000)}
MAX_QUANTITY = Decimal("1e12")


def ensure_logistics_writer(actor: User | None) -> None:
    """Mission staff with a response role, or agency staff (None is the scenario loader)."""
    ensure_response_writer(
        actor, "only the response centre's staff and agency staff may record logistics"
    )


# --- checked values -------------------------------------------------------------------------


def decimal_of(
    value: Any, name: str, *, positive: bool = True, allow_zero: bool = False
) -> Decimal:
    """A quantity as a Decimal; negative (or zero, unless allowed) is InvalidInput on `name`."""
    if value is None or value == "":
        raise InvalidInput(f"{name} is required", field=name)
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name} must be a number, not {value!r}", field=name) from None
    if not number.is_finite():
        raise InvalidInput(f"{name} must be a finite number", field=name)
    if positive and number < 0:
        raise InvalidInput(f"{name} cannot be negative ({number})", field=name)
    if positive and not allow_zero and number == 0:
        raise InvalidInput(f"{name} must be more than zero", field=name)
    if abs(number) >= MAX_QUANTITY:
        raise InvalidInput(f"{name} {number} is too large", field=name)
    return number


def date_of(value: Any, name: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name) from None


def time_of(value: Any, name: str = "occurred_at") -> dt.datetime:
    """An aware datetime (naive ones are UTC); a bare date is that day's midnight UTC."""
    if value in (None, ""):
        raise InvalidInput(f"{name} is required", field=name)
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(0))
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{name} must be a time as YYYY-MM-DDTHH:MM", field=name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if moment > utcnow() + dt.timedelta(days=1):
        raise InvalidInput(f"{name} {moment.isoformat()} is in the future", field=name)
    return moment


def item_ref(actor: User | None, value: Any, *, field: str = "item") -> Item:
    """An item given as a row, its code or public id; unknown (or hidden) is InvalidInput."""
    if value is None or value == "":
        raise InvalidInput("is required: give an item code", field=field)
    row = lookup(Item, actor, value, "code")
    if row is None:
        raise InvalidInput(f"unknown item {str(value)!r}", field=field)
    return row


def warehouse_ref(actor: User | None, value: Any, *, field: str = "warehouse") -> Facility:
    """A warehouse facility given as a row or its code (a facility of another kind is refused)."""
    if value is None or value == "":
        raise InvalidInput("is required: give a warehouse code", field=field)
    row = facility_ref(actor, value, field=field)
    assert row is not None
    if row.kind != FacilityKind.WAREHOUSE:
        raise InvalidInput(f"{row.code} is a {row.kind}, not a warehouse", field=field)
    return row


def unit_of(value: Any, *, field: str = "unit") -> str:
    text = str(value or "").strip()
    if text not in Unit.values:
        raise InvalidInput(
            f"unknown unit {text!r}; use any of {', '.join(Unit.values)}", field=field
        )
    return text


def in_item_units(item: Item, quantity: Decimal, unit: str | None) -> Decimal:
    """A quantity given in `unit` as a quantity of the item's own unit (kg <-> t only)."""
    if unit in (None, ""):
        return quantity
    given = unit_of(unit)
    if given == item.unit:
        return quantity
    if given in MASS_KG and item.unit in MASS_KG:
        return quantity * MASS_KG[given] / MASS_KG[item.unit]
    raise InvalidInput(f"{item.code} is counted in {item.unit}, not {given}", field="unit")


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value).strip()


def _unknown(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


# --- catalogue and warehouses ---------------------------------------------------------------

ITEM_FIELDS = (
    "code",
    "name",
    "category",
    "unit",
    "unit_weight_kg",
    "unit_volume_m3",
    "notes",
    "source",
    "confidence",
)


def _check_item(fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    _unknown(fields, ITEM_FIELDS)
    checked: dict[str, Any] = dict(fields)
    category = checked.get("category")
    if ("category" in checked or not partial) and category not in ItemCategory.values:
        raise InvalidInput(f"unknown category {category!r}", field="category")
    if "unit" in checked or not partial:
        checked["unit"] = unit_of(checked.get("unit"))
    if "unit_weight_kg" in checked or not partial:
        checked["unit_weight_kg"] = decimal_of(
            checked.get("unit_weight_kg"), "unit_weight_kg", allow_zero=True
        )
    if checked.get("unit_volume_m3") not in (None, ""):
        checked["unit_volume_m3"] = decimal_of(checked["unit_volume_m3"], "unit_volume_m3")
    elif "unit_volume_m3" in checked:
        checked["unit_volume_m3"] = None
    for name in ("notes", "source", "name"):
        if name in checked and checked[name] is None:
            checked[name] = ""
    return checked


@transaction.atomic
def item_create(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> Item:
    """An item of the catalogue: code, name, category, unit and the weight of one unit."""
    ensure_logistics_writer(actor)
    checked = _check_item(fields, partial=False)
    if Item.objects.filter(code=checked.get("code")).exists():
        raise InvalidInput(f"an item {checked['code']!r} already exists", field="code")
    return record_create(actor=actor, model=Item, fields=checked, visibility=visibility)


@transaction.atomic
def item_update(
    *,
    actor: User | None,
    item: Item,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> Item:
    """A new version of an item; its code and unit stay (the movements are counted in it)."""
    ensure_logistics_writer(actor)
    for name in ("code", "unit"):
        if name in changes and changes[name] != getattr(item, name):
            raise InvalidInput(f"an item's {name} cannot change: make a new item", field=name)
    checked = _check_item(changes, partial=True)
    return record_update(
        actor=actor,
        record=item,
        expected_version=expected_version,
        changes=checked,
        visibility=visibility,
    )


WAREHOUSE_FIELDS = ("capacity_t", "capacity_m3", "operator", "notes", "source", "confidence")


def _check_warehouse(actor: User | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(fields, WAREHOUSE_FIELDS)
    checked: dict[str, Any] = dict(fields)
    for name in ("capacity_t", "capacity_m3"):
        if checked.get(name) in (None, ""):
            checked[name] = None
        else:
            checked[name] = decimal_of(checked[name], name)
    if "operator" in checked:
        checked["operator"] = organisation_ref(actor, checked["operator"], field="operator")
    for name in ("notes", "source"):
        if name in checked and checked[name] is None:
            checked[name] = ""
    return checked


@transaction.atomic
def warehouse_record(
    *,
    actor: User | None,
    facility: Facility | str,
    fields: Mapping[str, Any],
    visibility: Visibility = None,
) -> Warehouse:
    """Create or update the record beside a warehouse facility (capacity, operator).

    Its visibility is the facility's unless given: who sees the depot sees its capacity.
    """
    ensure_logistics_writer(actor)
    place = warehouse_ref(actor, facility, field="facility")
    checked = _check_warehouse(actor, fields)
    existing = Warehouse.objects.filter(facility=place).first()
    if existing is None:
        return record_create(
            actor=actor,
            model=Warehouse,
            fields={"facility": place, **checked},
            visibility=visibility if visibility is not None else visibility_of(place),
        )
    return record_update(
        actor=actor,
        record=existing,
        expected_version=None,
        changes=checked,
        visibility=visibility,
    )


# --- stock ----------------------------------------------------------------------------------


def _lock_level(warehouse: Facility, item: Item, now: dt.datetime) -> StockLevel:
    """The level's row, locked for the transaction (created at zero if it is the first)."""
    level = StockLevel.objects.select_for_update().filter(warehouse=warehouse, item=item).first()
    if level is None:
        # Writers queue on the ledger head before this, so no second creator can race us.
        level = StockLevel.objects.create(
            warehouse=warehouse, item=item, quantity=Decimal(0), updated_at=now
        )
    return level


def _add_daily(warehouse: Facility, item: Item, day: dt.date, reason: str, delta: Decimal) -> None:
    updated = StockDaily.objects.filter(
        warehouse=warehouse, item=item, day=day, reason=reason
    ).update(quantity=F("quantity") + delta, movements=F("movements") + 1)
    if not updated:
        StockDaily.objects.create(
            warehouse=warehouse, item=item, day=day, reason=reason, quantity=delta, movements=1
        )


def _add_item_daily(
    warehouse: Facility, item: Item, day: dt.date, reason: str, delta: Decimal
) -> None:
    key = {c: bool(getattr(warehouse, c)) for c in SHARE_COLUMNS.values()}
    updated = StockItemDaily.objects.filter(item=item, day=day, reason=reason, **key).update(
        quantity=F("quantity") + delta, movements=F("movements") + 1
    )
    if not updated:
        StockItemDaily.objects.create(
            item=item, day=day, reason=reason, quantity=delta, movements=1, **key
        )


def _add_total(warehouse: Facility, item: Item, reason: str, delta: Decimal) -> None:
    updated = StockTotal.objects.filter(warehouse=warehouse, item=item, reason=reason).update(
        quantity=F("quantity") + delta, movements=F("movements") + 1
    )
    if not updated:
        StockTotal.objects.create(
            warehouse=warehouse, item=item, reason=reason, quantity=delta, movements=1
        )


def _consignment(actor: User | None, value: Any) -> Consignment | None:
    if value in (None, ""):
        return None
    row = lookup(Consignment, actor, value, "reference")
    if row is None:
        raise InvalidInput(f"unknown consignment {str(value)!r}", field="consignment")
    return row


def _move(
    *,
    actor: User | None,
    warehouse: Facility | str,
    item: Item | str,
    reason: str,
    quantity: Any,
    unit: str | None,
    occurred_at: Any,
    consignment: Consignment | str | None,
    reference: str,
    source: str,
    note: str,
    counted: bool = False,
) -> StockMovement:
    ensure_logistics_writer(actor)
    place = warehouse_ref(actor, warehouse)
    goods = item_ref(actor, item)
    amount = in_item_units(goods, decimal_of(quantity, "quantity", allow_zero=counted), unit)
    moment = time_of(occurred_at)
    parcel = _consignment(actor, consignment)
    ledger_lock()
    level = _lock_level(place, goods, utcnow())
    if counted:
        delta = amount - level.quantity
    elif reason in OUTGOING or reason == Reason.TRANSFERRED:
        if amount > level.quantity:
            raise InvalidInput(
                f"{place.code} holds {level.quantity.normalize():f} {goods.unit} of {goods.code}: "
                f"cannot take out {amount.normalize():f}",
                field="quantity",
            )
        delta = -amount
    else:
        delta = amount
    balance = level.quantity + delta
    movement = record_create(
        actor=actor,
        model=StockMovement,
        fields={
            "warehouse": place,
            "item": goods,
            "reason": reason,
            "quantity": delta,
            "balance_after": balance,
            "occurred_at": moment,
            "consignment": parcel,
            "reference": (reference or "").strip(),
            "note": (note or "").strip(),
            "source": (source or "").strip(),
        },
        # Who sees the warehouse sees its stock and how it changed.
        visibility=visibility_of(place),
    )
    StockLevel.objects.filter(pk=level.pk).update(
        quantity=balance, movements=F("movements") + 1, updated_at=utcnow()
    )
    _add_daily(place, goods, moment.astimezone(dt.UTC).date(), reason, delta)
    _add_total(place, goods, reason, delta)
    _add_item_daily(place, goods, moment.astimezone(dt.UTC).date(), reason, delta)
    return movement


@transaction.atomic
def stock_receive(
    *,
    actor: User | None,
    warehouse: Facility | str,
    item: Item | str,
    quantity: Any,
    occurred_at: Any,
    consignment: Consignment | str | None = None,
    reference: str = "",
    source: str = "",
    unit: str | None = None,
    note: str = "",
) -> StockMovement:
    """Goods came in: the level rises by `quantity` (in the item's unit, or `unit`)."""
    return _move(
        actor=actor,
        warehouse=warehouse,
        item=item,
        reason=Reason.RECEIVED,
        quantity=quantity,
        unit=unit,
        occurred_at=occurred_at,
        consignment=consignment,
        reference=reference,
        source=source,
        note=note,
    )


@transaction.atomic
def stock_dispatch(
    *,
    actor: User | None,
    warehouse: Facility | str,
    item: Item | str,
    quantity: Any,
    occurred_at: Any,
    reason: str = Reason.DISPATCHED,
    consignment: Consignment | str | None = None,
    reference: str = "",
    source: str = "",
    unit: str | None = None,
    note: str = "",
) -> StockMovement:
    """Goods went out (dispatched or transferred): more than the level holds is refused."""
    if reason not in (Reason.DISPATCHED, Reason.TRANSFERRED):
        raise InvalidInput(
            f"a dispatch's reason is dispatched or transferred, not {reason!r}", field="reason"
        )
    return _move(
        actor=actor,
        warehouse=warehouse,
        item=item,
        reason=reason,
        quantity=quantity,
        unit=unit,
        occurred_at=occurred_at,
        consignment=consignment,
        reference=reference,
        source=source,
        note=note,
    )


@transaction.atomic
def stock_adjust(
    *,
    actor: User | None,
    warehouse: Facility | str,
    item: Item | str,
    reason: str,
    quantity: Any,
    occurred_at: Any,
    note: str = "",
    reference: str = "",
    source: str = "",
    unit: str | None = None,
    consignment: Consignment | str | None = None,
) -> StockMovement:
    """Lost, damaged or expired goods (taken out), or a count (sets the level to `quantity`).

    A count records the difference between what was counted and the level as a
    movement, so the stock card shows the correction and its reason.
    """
    if reason not in ADJUSTMENTS:
        raise InvalidInput(
            f"an adjustment's reason is one of {', '.join(sorted(ADJUSTMENTS))}, not {reason!r}",
            field="reason",
        )
    return _move(
        actor=actor,
        warehouse=warehouse,
        item=item,
        reason=reason,
        quantity=quantity,
        unit=unit,
        occurred_at=occurred_at,
        consignment=consignment,
        reference=reference,
        source=source,
        note=note,
        counted=reason == Reason.COUNTED,
    )


# --- requests and pledges -------------------------------------------------------------------

REQUEST_FIELDS = (
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
)


@transaction.atomic
def request_create(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> Request:
    """Someone asks for goods: who, what, how much, for where, by when."""
    ensure_logistics_writer(actor)
    _unknown(fields, REQUEST_FIELDS)
    goods = item_ref(actor, fields.get("item"))
    checked: dict[str, Any] = {
        "requested_by": organisation_ref(actor, fields.get("requested_by"), field="requested_by"),
        "requester": _text(fields, "requester"),
        "item": goods,
        "quantity": in_item_units(
            goods, decimal_of(fields.get("quantity"), "quantity"), fields.get("unit")
        ),
        "settlement": settlement_ref(actor, fields.get("settlement"), field="settlement"),
        "facility": facility_ref(actor, fields.get("facility"), field="facility"),
        "needed_by": date_of(fields.get("needed_by"), "needed_by", required=False),
        "requested_on": date_of(fields.get("requested_on"), "requested_on"),
        "status": fields.get("status") or RequestStatus.OPEN,
        "notes": _text(fields, "notes"),
        "source": _text(fields, "source"),
        "confidence": _text(fields, "confidence"),
    }
    if checked["requested_by"] is None and not checked["requester"]:
        raise InvalidInput("say who asks: an organisation or a requester", field="requested_by")
    if checked["status"] not in RequestStatus.values:
        raise InvalidInput(f"unknown status {checked['status']!r}", field="status")
    return record_create(actor=actor, model=Request, fields=checked, visibility=visibility)


PLEDGE_FIELDS = (
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
)


def _currency(value: Any) -> str:
    text = str(value or "").strip().upper()
    if text and (len(text) != 3 or not text.isalpha()):
        raise InvalidInput(f"currency is a three-letter code, not {value!r}", field="currency")
    return text


@transaction.atomic
def pledge_create(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> Pledge:
    """Someone promises goods: who gives, what, how much, by when."""
    ensure_logistics_writer(actor)
    _unknown(fields, PLEDGE_FIELDS)
    goods = item_ref(actor, fields.get("item"))
    donor = organisation_ref(actor, fields.get("donor"), field="donor")
    if donor is None:
        raise InvalidInput("donor is required", field="donor")
    request = None
    if fields.get("request") not in (None, ""):
        request = lookup(Request, actor, fields["request"], "public_id")
        if request is None:
            raise InvalidInput(f"unknown request {fields['request']!r}", field="request")
    value = fields.get("value")
    checked: dict[str, Any] = {
        "donor": donor,
        "item": goods,
        "quantity": in_item_units(
            goods, decimal_of(fields.get("quantity"), "quantity"), fields.get("unit")
        ),
        "request": request,
        "value": None if value in (None, "") else decimal_of(value, "value", allow_zero=True),
        "currency": _currency(fields.get("currency")),
        "due_by": date_of(fields.get("due_by"), "due_by", required=False),
        "pledged_on": date_of(fields.get("pledged_on"), "pledged_on"),
        "status": fields.get("status") or PledgeStatus.PLEDGED,
        "notes": _text(fields, "notes"),
        "source": _text(fields, "source"),
        "confidence": _text(fields, "confidence"),
    }
    if checked["value"] is not None and not checked["currency"]:
        raise InvalidInput("a value needs its currency", field="currency")
    if checked["status"] not in PledgeStatus.values:
        raise InvalidInput(f"unknown status {checked['status']!r}", field="status")
    return record_create(actor=actor, model=Pledge, fields=checked, visibility=visibility)


@transaction.atomic
def pledge_set_status(
    *, actor: User | None, pledge: Pledge, status: str, expected_version: int | None
) -> Pledge:
    ensure_logistics_writer(actor)
    if status not in PledgeStatus.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    return record_update(
        actor=actor, record=pledge, expected_version=expected_version, changes={"status": status}
    )


# --- consignments ---------------------------------------------------------------------------

CONSIGNMENT_FIELDS = (
    "reference",
    "origin",
    "owner",
    "pledge",
    "status",
    "prepared_on",
    "description",
    "notes",
    "source",
    "confidence",
)
LINE_FIELDS = ("item", "quantity", "unit", "value", "currency")


def _check_lines(actor: User | None, lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        raise InvalidInput("a consignment needs at least one line", field="lines")
    checked = []
    for number, line in enumerate(lines, start=1):
        try:
            _unknown(line, LINE_FIELDS)
            goods = item_ref(actor, line.get("item"))
            quantity = in_item_units(
                goods, decimal_of(line.get("quantity"), "quantity"), line.get("unit")
            )
            value = line.get("value")
            row = {
                "item": goods,
                "quantity": quantity,
                "weight_kg": goods.weight_kg(quantity),
                "value": None
                if value in (None, "")
                else decimal_of(value, "value", allow_zero=True),
                "currency": _currency(line.get("currency")),
            }
            if row["value"] is not None and not row["currency"]:
                raise InvalidInput("a value needs its currency", field="currency")
        except InvalidInput as exc:
            # Name the line too: "lines.2.quantity" says which of twenty to fix.
            raise InvalidInput(f"line {number}: {exc.message}", field=exc.field) from None
        checked.append(row)
    return checked


@transaction.atomic
def consignment_create(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> Consignment:
    """A consignment with its lines, in one transaction (a bad line writes nothing)."""
    ensure_logistics_writer(actor)
    _unknown(fields, CONSIGNMENT_FIELDS)
    reference = _text(fields, "reference")
    if not reference:
        raise InvalidInput("reference is required", field="reference")
    if Consignment.objects.filter(reference=reference).exists():
        raise InvalidInput(f"a consignment {reference!r} already exists", field="reference")
    owner = organisation_ref(actor, fields.get("owner"), field="owner")
    if owner is None:
        raise InvalidInput("owner is required", field="owner")
    pledge = None
    if fields.get("pledge") not in (None, ""):
        pledge = lookup(Pledge, actor, fields["pledge"], "public_id")
        if pledge is None:
            raise InvalidInput(f"unknown pledge {fields['pledge']!r}", field="pledge")
    status = fields.get("status") or ConsignmentStatus.IN_PROCESS
    if status not in ConsignmentStatus.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    checked_lines = _check_lines(actor, lines)
    consignment = record_create(
        actor=actor,
        model=Consignment,
        fields={
            "reference": reference,
            "origin": warehouse_ref(actor, fields.get("origin"), field="origin"),
            "owner": owner,
            "pledge": pledge,
            "status": status,
            "prepared_on": date_of(fields.get("prepared_on"), "prepared_on"),
            "description": _text(fields, "description"),
            "notes": _text(fields, "notes"),
            "source": _text(fields, "source"),
            "confidence": _text(fields, "confidence"),
        },
        visibility=visibility,
    )
    for row in checked_lines:
        record_create(
            actor=actor,
            model=ConsignmentLine,
            fields={"consignment": consignment, **row, "source": consignment.source},
            visibility=visibility_of(consignment),
        )
    return consignment


@transaction.atomic
def consignment_set_status(
    *,
    actor: User | None,
    consignment: Consignment,
    status: str,
    expected_version: int | None = None,
) -> Consignment:
    """Move a consignment along (in process, sent, received, cancelled, returning)."""
    ensure_logistics_writer(actor)
    if status not in ConsignmentStatus.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    return record_update(
        actor=actor,
        record=consignment,
        expected_version=expected_version,
        changes={"status": status},
    )


# --- stated totals --------------------------------------------------------------------------

STATED_FIELDS = (
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
)


@transaction.atomic
def stated_total_create(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = ("public",)
) -> StatedTotal:
    """A figure as a source states it (with the source), kept apart from computed totals."""
    ensure_logistics_writer(actor)
    _unknown(fields, STATED_FIELDS)
    if not _text(fields, "source"):
        raise InvalidInput("a stated total needs the source that states it", field="source")
    category = _text(fields, "category")
    if category and category not in ItemCategory.values:
        raise InvalidInput(f"unknown category {category!r}", field="category")
    code = _text(fields, "code")
    if StatedTotal.objects.filter(code=code).exists():
        raise InvalidInput(f"a stated total {code!r} already exists", field="code")
    return record_create(
        actor=actor,
        model=StatedTotal,
        fields={
            "code": code,
            "what": _text(fields, "what"),
            "quantity": decimal_of(fields.get("quantity"), "quantity"),
            "unit": unit_of(fields.get("unit")),
            "qualifier": _text(fields, "qualifier"),
            "category": category,
            "as_of": date_of(fields.get("as_of"), "as_of"),
            "note": _text(fields, "note"),
            "source": _text(fields, "source"),
            "confidence": _text(fields, "confidence"),
        },
        visibility=visibility,
    )


def organisation_of(actor: User | None, value: Any, field: str) -> Organisation | None:
    """Public helper for L2 and the forms: an organisation by code (InvalidInput naming field)."""
    return organisation_ref(actor, value, field=field)
