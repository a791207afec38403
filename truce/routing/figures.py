"""Road figures: since when a corridor is open to civilians, and km of road verified clear.

A figure asked "as of" a date reads the records begun by that day; without a date,
today's. Each counts only what the reader may see: corridors and status records
through truce.routing.selectors and truce.core.sharing.visible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.core.models import User
from truce.core.sharing import visible
from truce.lib.time import utcnow
from truce.routing import selectors
from truce.routing.models import RoadNetwork, SegmentState, SegmentStatus

OTHER_ROADS = "other roads"


@figure(
    "routing_corridor_open_to_civilians_since",
    label=_("Corridor open to civilian traffic since"),
    unit="date",
    description=(
        "The earliest day a corridor (the Lachin corridor in the demo) was open to civilian "
        "traffic, among the corridors open by the day asked; the number of such corridors "
        "in the breakdown."
    ),
)
def _corridor_open_since(query: FigureQuery) -> Any:
    day = query.as_of or utcnow().date()
    corridors = [
        c
        for c in selectors.corridors_visible_to(query.user)
        if c.open_to_civilians_since is not None and c.open_to_civilians_since <= day
    ]
    if not corridors:
        return None, [], {}
    first = min(c.open_to_civilians_since for c in corridors if c.open_to_civilians_since)
    return first.isoformat(), corridors, {"corridors": len(corridors)}


def _statuses_by_day(user: User | None, network: RoadNetwork, day: dt.date) -> dict[str, Any]:
    """segment key -> its newest status record begun by `day` that the reader may see."""
    rows = visible(
        SegmentStatus.objects.filter(network=network, since__lte=day, is_deleted=False), user
    ).order_by("segment_key", "-since", "-id")
    newest: dict[str, SegmentStatus] = {}
    for record in rows:
        newest.setdefault(record.segment_key, record)
    return newest


@figure(
    "routing_road_verified_clear_km",
    label=_("Road verified clear of mines"),
    unit="km",
    description=(
        "Kilometres of road segments whose status on the day (the newest status begun by "
        "then) is verified clear, over every network the reader may see; by corridor."
    ),
)
def _verified_clear_km(query: FigureQuery) -> Any:
    day = query.as_of or utcnow().date()
    total_m = 0.0
    by_corridor: dict[str, float] = {}
    records: list[SegmentStatus] = []
    for network in selectors.networks_visible_to(query.user):
        newest = _statuses_by_day(query.user, network, day)
        clear = {k: r for k, r in newest.items() if r.status == SegmentState.VERIFIED_CLEAR}
        corridor_of = selectors.corridor_of_segments(query.user, network)
        for segment in selectors.segments_of(query.user, network).filter(key__in=list(clear)):
            total_m += segment.length_m
            name = corridor_of.get(segment.key, OTHER_ROADS)
            by_corridor[name] = by_corridor.get(name, 0.0) + segment.length_m / 1000.0
            records.append(clear[segment.key])
    breakdown = {name: round(km, 1) for name, km in by_corridor.items()}
    return round(total_m / 1000.0, 1), records, breakdown
