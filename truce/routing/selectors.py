"""Reads of road networks, segments, statuses and corridors, filtered by the reader's party.

A segment is seen by whoever may see its network. Its status is the newest
status record the reader may see (or the status the import gave, when the
reader may see none of its records): a closure recorded for the mission only
is not shown to a side, though routes still avoid it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from truce.core.errors import InvalidInput, NotFound
from truce.core.models import User
from truce.core.sharing import Scope, viewer_scope, visible
from truce.routing.models import Corridor, RoadNetwork, RoadSegment, SegmentState, SegmentStatus

# Above this many segments a layer request must name a bbox.
GEOJSON_FEATURE_LIMIT = 5000


def networks_visible_to(user: User | None) -> QuerySet[RoadNetwork]:
    return visible(RoadNetwork.objects.all(), user).order_by("-imported_at", "slug")


def network_for(user: User | None, slug: str | RoadNetwork | None = None) -> RoadNetwork:
    """The named network (or the newest one the reader may see); NotFound naming `network`."""
    if isinstance(slug, RoadNetwork):
        slug = slug.slug
    rows = networks_visible_to(user)
    found = rows.filter(slug=slug).first() if slug else rows.first()
    if found is None:
        message = f"no road network {slug!r}" if slug else "no road network has been imported"
        raise NotFound(message, field="network")
    return found


def segments_of(
    user: User | None,
    network: RoadNetwork | str | None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    status: str | None = None,
) -> QuerySet[RoadSegment]:
    """Segments of a visible network, optionally intersecting a bbox.

    A status filter is applied to the stored current status; statuses_seen_by
    gives what a reader may see of it.
    """
    net = network_for(user, network)
    qs = RoadSegment.objects.filter(network=net)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        qs = qs.filter(max_lon__gte=x0, min_lon__lte=x1, max_lat__gte=y0, min_lat__lte=y1)
    if status:
        if status not in SegmentState.values:
            raise InvalidInput(
                f"unknown status {status!r}; use one of {', '.join(SegmentState.values)}",
                field="status",
            )
        qs = qs.filter(status=status)
    return qs.order_by("id")


def segment_get(user: User | None, network: RoadNetwork | str | None, key: str) -> RoadSegment:
    net = network_for(user, network)
    row = RoadSegment.objects.filter(network=net, key=key).select_related("network").first()
    if row is None:
        raise NotFound(f"no segment {key!r}", field="key")
    return row


def status_history(user: User | None, segment: RoadSegment) -> QuerySet[SegmentStatus]:
    """The segment's status records the reader may see, newest first."""
    return visible(
        SegmentStatus.objects.filter(network_id=segment.network_id, segment_key=segment.key),
        user,
    ).order_by("-since", "-id")


def statuses_seen_by(
    user: User | None, segments: Iterable[RoadSegment]
) -> dict[str, tuple[str, dt.date | None, SegmentStatus | None]]:
    """key -> (status, since, newest visible record or None) as the reader may see them."""
    rows = list(segments)
    result: dict[str, tuple[str, dt.date | None, SegmentStatus | None]] = {}
    with_history = [s for s in rows if s.status_version > 0]
    newest: dict[tuple[int, str], SegmentStatus] = {}
    if with_history:
        network_ids = {s.network_id for s in with_history}
        records = visible(
            SegmentStatus.objects.filter(
                network_id__in=network_ids, segment_key__in=[s.key for s in with_history]
            ),
            user,
        ).order_by("-since", "-id")
        for record in records:
            newest.setdefault((record.network_id, record.segment_key), record)
    mission = viewer_scope(user) == Scope.MISSION
    for s in rows:
        found = newest.get((s.network_id, s.key))
        if s.status_version == 0:
            result[s.key] = (s.status, s.status_since, None)
        elif mission:
            result[s.key] = (s.status, s.status_since, found)
        elif found is not None:
            result[s.key] = (found.status, found.since, found)
        else:
            result[s.key] = (s.imported_status, s.imported_status_since, None)
    return result


def corridors_visible_to(
    user: User | None, network: RoadNetwork | str | None = None
) -> QuerySet[Corridor]:
    qs = visible(Corridor.objects.select_related("network"), user)
    qs = qs.filter(network__in=networks_visible_to(user))
    if network is not None:
        qs = qs.filter(network=network_for(user, network))
    return qs.order_by("name")


def corridor_of_segments(user: User | None, network: RoadNetwork) -> dict[str, str]:
    """segment key -> corridor name, for the corridors the reader may see."""
    names: dict[str, str] = {}
    # The network is the caller's, already read through network_for.
    for corridor in visible(Corridor.objects.filter(network=network), user).order_by("name"):
        for key in corridor.segment_keys or []:
            names.setdefault(key, corridor.name)
    return names


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise InvalidInput("bbox is min_lon,min_lat,max_lon,max_lat", field="bbox")
    return (parts[0], parts[1], parts[2], parts[3])


def segment_feature(
    segment: RoadSegment, seen: tuple[str, dt.date | None, Any], corridor: str | None = None
) -> dict[str, Any]:
    status, since, _ = seen
    return {
        "type": "Feature",
        "id": segment.key,
        "geometry": segment.geometry,
        "properties": {
            "key": segment.key,
            "name": segment.name,
            "road_class": segment.road_class,
            "surface": segment.surface,
            "max_speed_kmh": segment.max_speed_kmh,
            "oneway": segment.oneway,
            "bridge": segment.bridge,
            "max_weight_t": segment.max_weight_t,
            "length_m": round(segment.length_m, 1),
            "status": status,
            "status_since": since.isoformat() if since else None,
            "status_version": segment.status_version,
            "corridor": corridor,
        },
    }
