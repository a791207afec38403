"""Reads of convoys and deliveries, every one filtered by the reader's party.

Drivers' names and phones are personal data: only the mission and the convoy's
owner organisation read them. lorries_of() blanks them field by field for anyone
else and notes which fields it blanked (row.redacted_fields), as
truce/population/redaction.py does for households, so every screen, export and
endpoint gets the same redacted values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet, Sum

from truce.convoys.models import (
    Convoy,
    ConvoyEvent,
    ConvoyLoad,
    ConvoyPosition,
    ConvoyStatus,
    Delivery,
    DeliveryTotal,
    LoadLoss,
    Lorry,
    TotalDimension,
)
from truce.core.selectors import get_visible, visible_reference
from truce.core.sharing import Scope, viewer_scope, visible, visible_counts

if TYPE_CHECKING:
    from truce.core.models import User

DRIVER_FIELDS = ("driver_name", "driver_phone")
MOVING = (ConvoyStatus.IN_TRANSIT, ConvoyStatus.UNLOADING, ConvoyStatus.RETURNING)


def convoys_visible_to(
    user: User | None, *, status: str | None = None, q: str | None = None
) -> QuerySet[Convoy]:
    qs = visible(Convoy.objects.select_related("owner", "origin", "escort_organisation"), user)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(reference__icontains=q)
    return qs


def convoy_get(user: User | None, reference_or_id: str) -> Convoy:
    """One convoy by reference or public id; NotFound if missing or hidden."""
    row = convoys_visible_to(user).filter(reference=reference_or_id).first()
    if row is not None:
        return row
    return get_visible(convoys_visible_to(user), user, reference_or_id)


def seen_places(user: User | None, convoy: Convoy) -> Convoy:
    """Blank what the reader may not see of a convoy's places (a convoy shared with a side
    may start at a depot, or cross a checkpoint, shared with the agencies only).

    Sets `seen_origin`, `seen_escort` and `seen_crossing_points` on the row; screens and
    the API print those, never the raw relations.
    """
    from truce.core.models import Facility

    convoy.seen_origin = visible_reference(convoy.origin, user)  # type: ignore[attr-defined]
    convoy.seen_owner = visible_reference(convoy.owner, user)  # type: ignore[attr-defined]
    convoy.seen_escort = visible_reference(  # type: ignore[attr-defined]
        convoy.escort_organisation, user
    )
    codes = set(
        visible(Facility.objects.filter(code__in=convoy.crossing_points), user).values_list(
            "code", flat=True
        )
    )
    convoy.seen_crossing_points = [  # type: ignore[attr-defined]
        code for code in convoy.crossing_points if code in codes
    ]
    return convoy


def reads_drivers(user: User | None, convoy: Convoy) -> bool:
    """The mission and the convoy's owner organisation read drivers' names and phones."""
    if user is None or not user.is_authenticated:
        return False
    if viewer_scope(user) == Scope.MISSION:
        return True
    return user.organisation_id is not None and user.organisation_id == convoy.owner_id


def _redact(lorry: Lorry, hidden: bool) -> Lorry:
    lorry.redacted_fields = list(DRIVER_FIELDS) if hidden else []  # type: ignore[attr-defined]
    if hidden:
        for name in DRIVER_FIELDS:
            setattr(lorry, name, "")
    return lorry


def lorries_visible_to(user: User | None, *, convoy: Convoy | None = None) -> list[Lorry]:
    """Lorries of visible convoys, drivers redacted for whoever may not read them."""
    qs = visible(Lorry.objects.select_related("convoy"), user).filter(
        convoy__in=convoys_visible_to(user)
    )
    if convoy is not None:
        qs = qs.filter(convoy=convoy)
    return [_redact(lorry, not reads_drivers(user, lorry.convoy)) for lorry in qs]


def lorries_queryset(user: User | None) -> QuerySet[Lorry]:
    """Visible lorries, unredacted: for lookups by id only; serialise through redact_lorry."""
    return visible(Lorry.objects.select_related("convoy"), user).filter(
        convoy__in=convoys_visible_to(user)
    )


def redact_lorry(user: User | None, lorry: Lorry) -> Lorry:
    return _redact(lorry, not reads_drivers(user, lorry.convoy))


def loads_of(user: User | None, convoy: Convoy) -> QuerySet[ConvoyLoad]:
    return visible(
        ConvoyLoad.objects.select_related("item", "consignment", "received_into"), user
    ).filter(convoy=convoy)


def loads_seen(user: User | None, convoy: Convoy) -> list[ConvoyLoad]:
    """The loads, each with `seen_consignment` (None if the consignment is hidden)."""
    rows = list(loads_of(user, convoy))
    for load in rows:
        load.seen_consignment = visible_reference(load.consignment, user)  # type: ignore[attr-defined]
    return rows


def losses_of(user: User | None, convoy: Convoy) -> QuerySet[LoadLoss]:
    return visible(LoadLoss.objects.select_related("load__item"), user).filter(load__convoy=convoy)


def events_of(user: User | None, convoy: Convoy) -> QuerySet[ConvoyEvent]:
    return visible(ConvoyEvent.objects.all(), user).filter(convoy=convoy).order_by("occurred_at")


def positions_visible_to(user: User | None, *, convoy: Convoy | None = None) -> QuerySet[Any]:
    qs = visible(ConvoyPosition.objects.select_related("convoy"), user).filter(
        convoy__in=convoys_visible_to(user)
    )
    if convoy is not None:
        qs = qs.filter(convoy=convoy)
    return qs


def convoy_tonnage(user: User | None, convoy: Convoy) -> Decimal:
    total = loads_of(user, convoy).aggregate(t=Sum("weight_t"))["t"]
    return total or Decimal(0)


def deliveries_visible_to(
    user: User | None,
    *,
    convoy: Convoy | None = None,
    settlement: str | None = None,
    item: str | None = None,
) -> QuerySet[Delivery]:
    qs = visible(
        Delivery.objects.select_related(
            "item", "settlement", "shelter", "recipient", "convoy", "consignment"
        ),
        user,
    )
    if convoy is not None:
        qs = qs.filter(convoy=convoy)
    if settlement:
        qs = qs.filter(settlement__pcode=settlement)
    if item:
        qs = qs.filter(item__code=item)
    return qs


DELIVERY_REFERENCES = ("settlement", "shelter", "recipient", "convoy", "consignment")


def seen_delivery(user: User | None, delivery: Delivery) -> Delivery:
    """Set `seen_<name>` for each record a delivery names: None where the reader may not see it."""
    for name in DELIVERY_REFERENCES:
        setattr(delivery, f"seen_{name}", visible_reference(getattr(delivery, name), user))
    return delivery


@dataclass
class TotalRow:
    key: str
    item_code: str
    item_name: str
    category: str
    unit: str
    quantity: Decimal
    weight_t: Decimal
    people: int
    deliveries: int


def delivery_totals(user: User | None, dimension: str) -> list[TotalRow]:
    """Running totals by item, settlement or source, summed from the visible rollup rows."""
    rows = (
        visible_counts(DeliveryTotal.objects.filter(dimension=dimension), user)
        .values("key", "item__code", "item__name", "item__category", "item__unit")
        .annotate(q=Sum("quantity"), t=Sum("weight_t"), p=Sum("people"), n=Sum("deliveries"))
        .order_by("key", "item__code")
    )
    return [
        TotalRow(
            key=r["key"],
            item_code=r["item__code"],
            item_name=r["item__name"],
            category=r["item__category"],
            unit=r["item__unit"],
            quantity=r["q"] or Decimal(0),
            weight_t=r["t"] or Decimal(0),
            people=r["p"] or 0,
            deliveries=r["n"] or 0,
        )
        for r in rows
        if r["n"]
    ]


def totals_by_item(user: User | None) -> list[TotalRow]:
    return delivery_totals(user, TotalDimension.ITEM)


def totals_by_settlement(user: User | None) -> list[TotalRow]:
    return delivery_totals(user, TotalDimension.SETTLEMENT)


def totals_by_source(user: User | None) -> list[TotalRow]:
    return delivery_totals(user, TotalDimension.SOURCE)


# --- the map and the pipeline ------------------------------------------------------------------


def in_transit_geojson(user: User | None) -> dict[str, Any]:
    """Convoys on the road: their route line and their last reported position."""
    features: list[dict[str, Any]] = []
    convoys = list(convoys_visible_to(user).filter(status__in=MOVING))
    last: dict[int, ConvoyPosition] = {}
    for position in positions_visible_to(user).filter(convoy__in=convoys).order_by("reported_at"):
        last[position.convoy_id] = position
    for convoy in convoys:
        props = {
            "reference": convoy.reference,
            "name": convoy.name,
            "status": convoy.status,
            "url": convoy.get_absolute_url(),
        }
        if convoy.route_geometry:
            features.append(
                {
                    "type": "Feature",
                    "geometry": convoy.route_geometry,
                    "properties": {**props, "kind": "route"},
                }
            )
        position = last.get(convoy.pk)
        if position is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [position.lon, position.lat]},
                    "properties": {
                        **props,
                        "kind": "position",
                        "reported_at": position.reported_at.isoformat(),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


@dataclass
class PipelineRow:
    category: str
    label: str
    # stage -> tonnes
    stages: dict[str, Decimal] = field(default_factory=dict)


PIPELINE_STAGES = ("pledged", "consigned", "loaded", "departed", "received", "delivered")


def pipeline(user: User | None) -> list[PipelineRow]:
    """Tonnes per item category at each stage: pledged, consigned, on convoys, delivered.

    Pledges and consignments come from truce.logistics' selectors (the reader's
    view of them); loads and deliveries from the convoys the reader may see.
    """
    from truce.logistics import selectors as logistics

    by_category: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(PIPELINE_STAGES, Decimal(0))
    )
    pledges = getattr(logistics, "pledges_visible_to", None)
    if pledges is not None:
        for pledge in pledges(user).select_related("item"):
            item = pledge.item
            weight = Decimal(str(item.unit_weight_kg or 0)) * pledge.quantity / 1000
            by_category[item.category]["pledged"] += weight
    for consignment in logistics.consignments_visible_to(user):
        for line in consignment.lines.filter(is_deleted=False).select_related("item"):
            item = line.item
            weight = Decimal(str(item.unit_weight_kg or 0)) * line.quantity / 1000
            by_category[item.category]["consigned"] += weight
    convoys = convoys_visible_to(user)
    loads = visible(ConvoyLoad.objects.select_related("item"), user).filter(convoy__in=convoys)
    for load in loads:
        stages = by_category[load.item.category]
        stages["loaded"] += load.weight_t
        if load.dispatched_at is not None:
            stages["departed"] += load.weight_t
        if load.received_quantity is not None and load.quantity:
            stages["received"] += load.weight_t * load.received_quantity / load.quantity
    for row in totals_by_item(user):
        by_category[row.category]["delivered"] += row.weight_t
    from truce.logistics.models import ItemCategory

    labels = dict(ItemCategory.choices)
    return [
        PipelineRow(
            category=cat,
            label=str(labels.get(cat, cat)),
            stages={k: v.quantize(Decimal("0.1")) for k, v in st.items()},
        )
        for cat, st in sorted(by_category.items())
    ]
